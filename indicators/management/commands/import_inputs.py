from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from indicators.inputs import import_inputs
from indicators.models import InputKind


class Command(BaseCommand):
    help = "Importe un fichier de séjours ou de coûts des fonctions support (même code que la page d’import)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--kind", required=True, choices=InputKind.values)
        parser.add_argument("--source", required=True)

    def handle(self, *args, file, kind, source, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {file}")
        with path.open("rb") as handle:  # read as a stream, never whole
            record = import_inputs(kind, source, handle, path.name)
        if record.status != record.Status.DONE:
            for error in record.report.get("errors", []):
                self.stderr.write(f"ligne {error['line']} : {error['reason']}")
            errors = record.report.get("error_count", 0)
            raise CommandError(
                f"Fichier refusé ({errors} ligne{'s' if errors > 1 else ''} en cause) : rien n’a été importé."
            )
        replaced = record.report.get("replaced_rows", 0)
        rows = f"{record.rows} ligne{'s' if record.rows > 1 else ''} importée{'s' if record.rows > 1 else ''}"
        self.stdout.write(f"{rows} ; {replaced} remplacée{'s' if replaced > 1 else ''}.")
