from cooperations.importers.ght import GHT_LAYOUTS
from cooperations.management.commands._import import ImportCommand


class Command(ImportCommand):
    help = (
        "Importe la liste des GHT (table GHT de la SAE) ou la liste officielle de leurs membres (DGOS : "
        "GHT_CODE, ES_FINESS, GHT_SUPPORT…, en CSV ou XLSX), qui remplace la composition reconstituée."
    )
    layouts = GHT_LAYOUTS
