import re
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from indicators.public_figures import load_activity, load_market_shares

REFERENCE = Path(settings.BASE_DIR) / "data" / "reference"


class Command(BaseCommand):
    help = (
        "Charge les chiffres publics réels des indicateurs calculés : parts de marché Hospi Diag 2022 par zone "
        "d’attractivité, séjours MCO par établissement ScanSanté 2023 et 2024 (data/reference/)."
    )

    def handle(self, *args, **options):
        count = load_market_shares((REFERENCE / "hospidiag2022_pdm_zone_attractivite.csv").read_bytes())
        self.stdout.write(f"Parts de marché Hospi Diag 2022 : {count}")
        for path in sorted(REFERENCE.glob("scansante_mco_sejours_*.csv")):
            year = int(re.search(r"_(\d{4})_", path.name).group(1))
            self.stdout.write(f"Séjours MCO ScanSanté {year} ({path.name}) : {load_activity(path.read_bytes(), year)}")
