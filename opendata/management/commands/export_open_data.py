from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from core.values import format_size
from opendata.publication import SCHEMA_FILE, write_files


class Command(BaseCommand):
    help = (
        "Écrit les données ouvertes du volet 3 (un CSV et un JSON par région et par année, le schéma TableSchema "
        "et un exemple valide) pour publication sur data.gouv.fr."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "-o",
            "--output",
            default=None,
            help="Dossier à écrire (par défaut celui que sert /donnees-ouvertes/, OPEN_DATA_ROOT).",
        )

    def handle(self, *args, output, **options):
        directory = Path(output or settings.OPEN_DATA_ROOT)
        written = write_files(directory)
        for path in written:
            self.stdout.write(f"{path} : {format_size(path.stat().st_size)}")
        files = f"{len(written)} fichier{'s' if len(written) > 1 else ''} de données"
        self.stdout.write(f"{files} et {directory / SCHEMA_FILE} écrits dans {directory}.")
