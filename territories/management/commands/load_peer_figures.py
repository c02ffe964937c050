from django.core.management.base import BaseCommand

from territories.peers import HOSPIDIAG_FILE, HOSPIDIAG_YEAR, load_hospidiag


class Command(BaseCommand):
    help = (
        "Charge les indicateurs Hospi Diag 2022 (territories/data/hospidiag2022_indicateurs.csv) et calcule "
        "leurs centiles par catégorie, par région et en France. À lancer après load_reference_data (la région "
        "de chaque FINESS vient du répertoire)."
    )

    def handle(self, *args, **options):
        counts = load_hospidiag(HOSPIDIAG_FILE.read_bytes(), HOSPIDIAG_YEAR)
        self.stdout.write(
            f"Hospi Diag {HOSPIDIAG_YEAR} : {counts['figures']} valeurs, {counts['percentiles']} distributions"
        )
