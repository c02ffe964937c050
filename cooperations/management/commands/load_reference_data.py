import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

REFERENCE = Path(settings.BASE_DIR) / "data" / "reference"


class Command(BaseCommand):
    help = (
        "Charge les données de référence réelles livrées avec l’application (data/reference/, voir SOURCES.md) : "
        "établissements SAE 2023, coordonnées, lits MCO, les 135 GHT et les compositions reconstituées d’Île-de-France."
    )

    def handle(self, *args, **options):
        steps = [
            ("import_finess", REFERENCE / "sae2023_id_etablissements.csv"),
            ("import_finess", REFERENCE / "eurostat_hopitaux_fr_2020.csv"),
            ("import_finess", REFERENCE / "sae2023_mco.csv"),
            ("import_ght", REFERENCE / "sae2023_ght.csv"),
        ]
        for command, path in steps:
            started = time.perf_counter()
            self.stdout.write(self.style.MIGRATE_HEADING(f"{command} {path.name}"))
            call_command(command, str(path), stdout=self.stdout, verbosity=options["verbosity"])
            self.stdout.write(f"  ({time.perf_counter() - started:.1f} s)")
        # The real public figures of the computed indicators (Hospi Diag, ScanSanté), loaded by their app.
        call_command("load_public_figures", stdout=self.stdout)
