"""Benchmark of the establishment import: a synthetic SAE file of N rows
(valid FINESS numbers, 4 sites per entity), imported twice, with the
throughput and the peak memory of each run. Prints figures; asserts nothing."""

import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction

from cooperations.finess import with_check_key as with_key
from cooperations.importers.base import run_import
from cooperations.importers.finess import FINESS_LAYOUTS
from cooperations.models import Establishment, LegalEntity

HEADER = (
    "bor;an;fi;rs;rscom;fi_ej;grp;stj;stjr;cat;catr;espic;mft;ccr;nat;sir;reg;dep;reg_diff;dep_diff;COMINSEE;NOMCOM"
)


class Command(BaseCommand):
    help = "Mesure l’import des établissements sur un fichier SAE synthétique de N lignes (défaut 100 000)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--keep", action="store_true", help="Garder les données importées (sinon tout est annulé).")

    def handle(self, *args, rows, keep, **options):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "sae_bench.csv"
            with path.open("w", encoding="latin-1") as handle:
                handle.write(HEADER + "\n")
                for i in range(rows):
                    site = with_key(f"78{i:06d}")
                    entity = with_key(f"79{i // 4:06d}")
                    handle.write(
                        f"ID;2023;{site};SITE DE BANC D'ESSAI {i};;{entity};04;13;1;355;PUB2;1;0;;0;;11;78;11;78;78361;MANTES\n"
                    )
            size = path.stat().st_size / 2**20
            self.stdout.write(f"Fichier : {rows} lignes, {size:.1f} Mio")
            try:
                with transaction.atomic():
                    for label in ("premier import", "second import (idempotence)"):
                        started = time.perf_counter()
                        report = run_import(path, FINESS_LAYOUTS)
                        elapsed = time.perf_counter() - started
                        self.stdout.write(
                            f"{label} : {elapsed:.1f} s ; {rows / elapsed:.0f} lignes/s ; rejetées {report.rejected}"
                        )
                    # Memory is traced on a third run: tracing slows Python down.
                    tracemalloc.start()
                    run_import(path, FINESS_LAYOUTS)
                    _current, peak = tracemalloc.get_traced_memory()
                    tracemalloc.stop()
                    self.stdout.write(f"mémoire Python de pointe d’un import : {peak / 2**20:.1f} Mio")
                    self.stdout.write(
                        f"En base : {Establishment.objects.count()} établissements, {LegalEntity.objects.count()} entités"
                    )
                    if not keep:
                        raise _Rollback
            except _Rollback:
                pass
        max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(f"RSS maximale du processus : {max_rss:.0f} Mio")


class _Rollback(Exception):  # noqa: N818 - control flow, not an error
    pass
