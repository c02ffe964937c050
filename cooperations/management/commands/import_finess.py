from cooperations.importers.finess import FINESS_LAYOUTS
from cooperations.management.commands._import import ImportCommand


class Command(ImportCommand):
    help = (
        "Importe le répertoire des établissements : table d’identification SAE (DREES), extraction FINESS "
        "des établissements (data.gouv.fr), coordonnées Eurostat ou capacités MCO SAE. Le format est reconnu "
        "à l’en-tête ; l’import est idempotent et se fait en une transaction."
    )
    layouts = FINESS_LAYOUTS
