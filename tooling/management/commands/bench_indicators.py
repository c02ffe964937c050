"""Benchmark of the leakage computation: N generated stays, then the
application's computation of every département's leakage rate (ORM) against
one hand-written SQL query computing the same rates in the same run, their
ratio, the GHT rates of a région, and the peak memory of the computation.
Prints figures; asserts nothing; removes its rows at the end."""

import io
import resource
import statistics
import time
import tracemalloc

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

from cooperations.models import CooperationStructure, Establishment, StructureKind
from demo.stays_generator import generate_stays
from indicators.computations import leakage_by_department, territory_leakage
from indicators.models import HospitalStay, InputImport

SOURCE = "Mesure bench_indicators"
RUNS = 3
HAND_WRITTEN = """
    SELECT home_department,
           SUM(CASE WHEN site_department <> home_department THEN stays ELSE 0 END) AS outside,
           SUM(stays) AS total
    FROM indicators_hospitalstay
    WHERE year = %s AND activity_field = %s
    GROUP BY home_department
    ORDER BY home_department
"""


def _timed(function):
    times, result = [], None
    for _ in range(RUNS):
        begin = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - begin)
    return statistics.median(times), result


class Command(BaseCommand):
    help = "Mesure le calcul des taux de fuite sur N séjours générés, face à une requête SQL écrite à la main."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--year", type=int, default=2030, help="Année des séjours générés (à part des autres).")
        parser.add_argument("--region", default="11", help="Région dont on calcule les taux de fuite des GHT.")
        parser.add_argument("--keep", action="store_true", help="Garder les séjours générés.")

    def handle(self, *args, rows, seed, year, region, keep, **options):
        if not Establishment.objects.exists():
            self.stdout.write(
                "Répertoire vide : chargement des données de référence (les séjours se rattachent aux sites réels)…"
            )
            call_command("load_reference_data", verbosity=0, stdout=io.StringIO())
            call_command("build_demo_ght", stdout=io.StringIO())  # the GHT memberships, as in the demo
        begin = time.perf_counter()
        generate_stays(rows, seed, year, source=SOURCE)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE indicators_hospitalstay")
        self.stdout.write(
            f"Données : {HospitalStay.objects.filter(year=year).count()} lignes de séjours générées "
            f"({time.perf_counter() - begin:.1f} s, {connection.vendor})"
        )
        tracemalloc.start()
        app_time, app = _timed(lambda: leakage_by_department(year, "MCO"))
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        def hand_written():
            with connection.cursor() as cursor:
                cursor.execute(HAND_WRITTEN, [year, "MCO"])
                return {department: (outside, total) for department, outside, total in cursor.fetchall()}

        sql_time, sql = _timed(hand_written)
        same = app == sql
        self.stdout.write(
            f"taux de fuite des {len(app)} départements (application, ORM) : {app_time * 1000:.0f} ms ; "
            f"requête SQL écrite à la main : {sql_time * 1000:.0f} ms ; rapport {app_time / sql_time:.2f} ; "
            f"résultats identiques : {'oui' if same else 'NON'}"
        )
        ghts = list(
            CooperationStructure.objects.filter(kind=StructureKind.GHT, region_id=region).order_by("short_code")
        )
        begin = time.perf_counter()
        computed = [territory_leakage(g.short_code, year, "MCO", ght=g) for g in ghts]
        self.stdout.write(
            f"taux de fuite des {len(ghts)} GHT de la région {region} (zone d’attractivité comprise) : "
            f"{(time.perf_counter() - begin) * 1000:.0f} ms au total, "
            f"{sum(r.value is not None for r in computed)} calculables"
        )
        # Every GHT of France against the départements (issue 19: within 2× the time of the 101 départements).
        every_ght = list(CooperationStructure.objects.filter(kind=StructureKind.GHT).order_by("short_code"))
        begin = time.perf_counter()
        for g in every_ght:
            territory_leakage(g.short_code, year, "MCO", ght=g)
        all_time = time.perf_counter() - begin
        self.stdout.write(
            f"taux de fuite des {len(every_ght)} GHT de France : {all_time * 1000:.0f} ms, "
            f"soit {all_time / app_time:.1f} × le temps des {len(app)} départements (objectif ≤ 2)"
        )
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(
            f"mémoire : pic Python pendant le calcul {peak / 2**20:.2f} Mio ; pic du processus {peak_rss:.0f} Mio"
        )
        if not keep:
            HospitalStay.objects.filter(batch__source=SOURCE).delete()
            InputImport.objects.filter(source=SOURCE).delete()
            self.stdout.write("(séjours de mesure supprimés)")
