"""Shared body of the file-import commands."""

import time
import tracemalloc

from django.core.management.base import BaseCommand, CommandError

from cooperations.importers.base import ImportRefusedError, run_import


class ImportCommand(BaseCommand):
    layouts: list = []

    def add_arguments(self, parser):
        parser.add_argument("file", help="Chemin du fichier à importer (CSV ; ou , ; UTF-8 ou Latin-1 ; ou XLSX).")
        parser.add_argument(
            "--strict", action="store_true", help="Refuser tout le fichier à la première ligne en erreur."
        )
        parser.add_argument(
            "--measure", action="store_true", help="Afficher la durée et la mémoire de pointe de l’import."
        )

    def handle(self, *args, **options):
        if options["measure"]:
            tracemalloc.start()
        started = time.perf_counter()
        try:
            report = run_import(
                options["file"], self.layouts, strict=options["strict"], progress=options["verbosity"] >= 1
            )
        except ImportRefusedError as error:
            raise CommandError(str(error)) from error
        for line in report.summary_lines():
            self.stdout.write(line)
        if options["measure"]:
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            elapsed = time.perf_counter() - started
            self.stdout.write(
                f"Durée : {elapsed:.2f} s ({report.rows / elapsed:,.0f} lignes/s) ; "
                f"mémoire Python de pointe : {peak / 2**20:.1f} Mio".replace(",", " ")
            )
        return None
