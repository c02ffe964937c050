"""Benchmark of the FINESS+ import: a generated national-shaped file (gzipped
JSON, 4 sites per legal entity, GHT groups whose members resolve), imported
twice in a transaction that is then rolled back. Prints figures only."""

import gzip
import json
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction

from cooperations.finess import with_check_key as with_key
from cooperations.importers.finessplus import run_finessplus_import


def write_generated_file(path: Path, sites: int, per_entity: int = 4, ght_size: int = 10, ght_count: int = 135) -> None:
    """Write a FINESS+ file with ``sites`` sites, streaming (flat memory).
    Shaped like the national file: at most 135 GHT, of ``ght_size`` members."""
    entities = max(1, sites // per_entity)
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write('{"schemaVersion": "v1.0.0", "generatedAt": "2026-11-01T00:00:00Z", "gcc": [')
        ghts = min(ght_count, (entities + ght_size - 1) // ght_size)
        for g in range(ghts):
            members = [
                {"pmSmsseId": f"B{e}", "typeRoleEntiteGroupe": "S" if e == g * ght_size else "M"}
                for e in range(g * ght_size, min(entities, (g + 1) * ght_size))
            ]
            group = {"gccId": f"B{g}", "nomGcc": f"GHT de banc d'essai {g}", "typeGcc": "001",
                     "gccIdentifiantExterne": f"78{g % 1000:03d}", "pmejDuGcc": members, "egeDuGcc": [], "etatObjet": "A"}  # fmt: skip
            out.write(("," if g else "") + json.dumps(group))
        out.write('], "gco": [], "pmej": [')
        site = 0
        for e in range(entities):
            ege = []
            for _ in range(per_entity if e < entities - 1 else sites - site):
                ege.append({
                    "informationsGeneralesEGE": {"egeId": f"S{site}", "nomEgeLong": f"SITE DE BANC D'ESSAI {site}",
                                                 "numFinessEge": with_key(f"78{site:06d}"), "siret": ""},
                    "categorieentiteGeographiqueExercice": "355", "etatObjet": "A",
                    "adresse": [{"cogCommune": "78361", "codePostal": "78200", "ligneAcheminement": "MANTES LA JOLIE",
                                 "coordonneesGeographique": {"directionLatitude": "48.99", "directionLongitude": "1.71"}}],
                    "engagement": [{"engagementId": f"C{site}", "typeEngagement": "CONV", "sousTypeEngagement": "CPM",
                                    "dateEffetEngagement": "2024-01-01"}],
                })  # fmt: skip
                site += 1
            entity = {
                "informationsGeneralesPMEJ": {"pmSmsseId": f"B{e}", "numFinessPm": with_key(f"79{e:06d}"),
                                              "denominationPm": f"ENTITE DE BANC D'ESSAI {e}", "statutJuridique": "13"},
                "adresse": [{"cogCommune": "78361"}], "engagement": [], "ege": ege, "etatObjet": "A",
            }  # fmt: skip
            out.write(("," if e else "") + json.dumps(entity))
        out.write("]}")


class _Rollback(Exception):  # noqa: N818 - control flow, not an error
    pass


class Command(BaseCommand):
    help = "Mesure l’import FINESS+ sur un fichier généré de N sites (défaut 100 000) : débit et mémoire de pointe."

    def add_arguments(self, parser):
        parser.add_argument("--sites", type=int, default=100_000)

    def handle(self, *args, sites, **options):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "finessplus_bench.json.gz"
            write_generated_file(path, sites)
            raw_size = sum(len(chunk) for chunk in _chunks(path))
            self.stdout.write(
                f"Fichier : {sites} sites ; {path.stat().st_size / 2**20:.1f} Mio compressé, {raw_size / 2**20:.1f} Mio décompressé"
            )
            try:
                with transaction.atomic():
                    for label in ("premier import", "second import (idempotence)"):
                        started = time.perf_counter()
                        report = run_finessplus_import(path)
                        elapsed = time.perf_counter() - started
                        self.stdout.write(
                            f"{label} : {elapsed:.1f} s ; {sites / elapsed:.0f} sites/s ; rejets {report.rejected}"
                        )
                    # Memory is traced on a third run: tracing slows Python down.
                    tracemalloc.start()
                    run_finessplus_import(path)
                    _current, peak = tracemalloc.get_traced_memory()
                    tracemalloc.stop()
                    self.stdout.write(f"mémoire Python de pointe d’un import : {peak / 2**20:.1f} Mio")
                    raise _Rollback
            except _Rollback:
                pass
        self.stdout.write(
            f"RSS maximale du processus : {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} Mio"
        )


def _chunks(path):
    with gzip.open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            yield chunk
