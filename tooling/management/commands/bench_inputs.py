"""Benchmark of the input-data import on a national-shaped file of stays by
residence code (the largest input: PMSI publishes none, so its lines are
generated: ~1,400 sites in every département, each drawing patients from
hundreds of residence codes), read by the worker's path (streamed from
disk, checked and inserted by chunks in one transaction, then rolled back).
Prints the file's size, the time, the throughput and the memory; asserts
nothing."""

import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cooperations.finess import with_check_key as with_key
from cooperations.models import Department
from indicators.inputs import read_inputs
from indicators.models import InputImport

SITES = 1_400
FIELDS = ("MCO", "MCO", "MCO", "SSR", "PSY", "HAD")


def write_stays(path: Path, rows: int) -> None:
    """``rows`` lines of stays of 2025, streamed to ``path``."""
    departments = sorted(code for code in Department.objects.values_list("code", flat=True) if code.isdigit())
    if not departments:
        raise CommandError("Aucun département en base : lancez d’abord « python manage.py migrate ».")
    with path.open("w", encoding="utf-8") as out:
        out.write("annee;finess_et;code_geo;champ;sejours\n")
        for n in range(rows):
            site = n % SITES
            department = departments[site % len(departments)]
            finess = with_key(f"{department[:2]}{site:06d}")
            home = departments[(site + n // SITES % 7) % len(departments)]
            area = f"{home[:2]}{n // SITES % 1000:03d}" if len(home) == 2 else f"{home}{n % 100:02d}"
            out.write(f"2025;{finess};{area};{FIELDS[n % len(FIELDS)]};{n % 400 + 1}\n")


class Command(BaseCommand):
    help = "Mesure l’import d’un fichier national de séjours par code de résidence (défaut 1 250 000 lignes, ~40 Mo)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=1_250_000)
        parser.add_argument("--no-trace", action="store_true", help="Sans la mesure tracemalloc (un second import).")

    def handle(self, *args, rows, no_trace, **options):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "sejours_national.csv"
            write_stays(path, rows)
            size = path.stat().st_size
            self.stdout.write(f"Fichier : {rows} lignes, {size / 2**20:.1f} Mio")
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            started = time.perf_counter()
            record = self._import(path)
            elapsed = time.perf_counter() - started
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            self.stdout.write(
                f"import : {elapsed:.1f} s ; {rows / elapsed:.0f} lignes/s ; {record.get_status_display()}, "
                f"{record.rows} lignes"
            )
            self.stdout.write(
                f"RSS maximale du processus : {rss_after:.0f} Mio (avant l’import : {rss_before:.0f} Mio)"
            )
            if not no_trace:
                # Traced on a second run: tracing slows Python down.
                tracemalloc.start()
                self._import(path)
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                self.stdout.write(
                    f"mémoire Python de pointe de l’import : {peak / 2**20:.1f} Mio ({peak / size:.2f} × le fichier)"
                )

    def _import(self, path):
        try:
            with transaction.atomic():
                with path.open("rb") as handle:
                    record = read_inputs("sejours", "Banc d’essai national", handle, path.name)
                if record.status != InputImport.Status.DONE:
                    raise CommandError(f"Fichier refusé : {record.report['errors'][:3]}")
                raise _Rollback(record)
        except _Rollback as rollback:
            return rollback.args[0]


class _Rollback(Exception):  # noqa: N818 - control flow, not an error
    pass
