import time
import tracemalloc

from django.core.management.base import BaseCommand, CommandError

from cooperations.importers.base import ImportRefusedError
from cooperations.importers.finessplus import run_finessplus_import


class Command(BaseCommand):
    help = (
        "Importe le flux national FINESS+ « structures » (JSON ou JSON.gz, lu en flux) : entités juridiques, "
        "établissements, GHT et leurs membres avec l’établissement support, groupements organiques (GCS…), "
        "engagements (CPOM). Idempotent, en une transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Fichier FINESS+ (.json ou .json.gz)")
        parser.add_argument("--strict", action="store_true", help="Refuser tout le fichier au premier élément rejeté.")
        parser.add_argument("--measure", action="store_true", help="Afficher durée, débit et mémoire de pointe.")

    def handle(self, *args, file, strict, measure, **options):
        bar = None
        if options["verbosity"] >= 1 and self.stderr.isatty():
            from tqdm import tqdm

            bar = tqdm(total=100, unit="%", desc="FINESS+", leave=False)

        def progress(fraction):
            if bar is not None:
                bar.update(round(fraction * 100) - bar.n)

        if measure:
            tracemalloc.start()
        started = time.perf_counter()
        try:
            report = run_finessplus_import(file, strict=strict, progress=progress)
        except ImportRefusedError as error:
            raise CommandError(str(error)) from error
        finally:
            if bar is not None:
                bar.close()
        for line in report.summary_lines():
            self.stdout.write(line)
        if measure:
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            elapsed = time.perf_counter() - started
            self.stdout.write(
                f"Durée : {elapsed:.2f} s ; {report.rows / elapsed:.0f} éléments/s ; "
                f"mémoire Python de pointe : {peak / 2**20:.1f} Mio"
            )
