"""Where the server time of a main page goes: the pages of ``bench_pages`` on
the generated data set already in the database (``generate_scale_data`` or
``bench_pages --keep``), each requested by its user through the test client,
its median time printed and, with ``--profile``, a pyinstrument profile of a
few requests (the call tree, the slowest branches first)."""

import cProfile
import io
import pstats
import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client, override_settings
from pyinstrument import Profiler

from accounts.models import User
from cpom.models import Cpom
from tooling.management.commands.bench_pages import HOST
from tooling.management.commands.bench_pages import Command as BenchPages
from tooling.scale_data import SCALE_REFERENCE_PREFIX


class _SqlTimer:
    """The time spent in the database by the queries of one request, and their count."""

    def __init__(self):
        self.seconds = 0.0
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        begin = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - begin
            self.count += 1


def _python_calls(client, url, requests=3):
    """The Python function calls of one request (the median of ``requests``), as cProfile counts them."""
    counts = []
    for _ in range(requests):
        profile = cProfile.Profile()
        profile.enable()
        client.get(url, secure=True)
        profile.disable()
        counts.append(pstats.Stats(profile, stream=io.StringIO()).total_calls)
    return statistics.median(counts)


class Command(BaseCommand):
    help = "Temps serveur des pages principales sur le jeu généré, et profil pyinstrument des pages choisies."

    def add_arguments(self, parser):
        parser.add_argument("keys", nargs="*", help="Clés des pages (celles de bench_pages) ; toutes sinon.")
        parser.add_argument("--runs", type=int, default=7, help="Requêtes par page pour la médiane.")
        parser.add_argument("--profile", action="store_true", help="Affiche le profil de chaque page choisie.")
        parser.add_argument(
            "--calls",
            action="store_true",
            help="Compte aussi les appels de fonctions Python d’une requête (cProfile) : une mesure du travail "
            "que la charge de la machine ne change pas, pour comparer deux versions du code.",
        )

    def handle(self, *args, keys, runs, profile, calls=False, **options):
        if not Cpom.objects.filter(reference__startswith=SCALE_REFERENCE_PREFIX).exists():
            raise CommandError("Aucun jeu généré : lancez d’abord generate_scale_data (ou bench_pages --keep).")
        bench = BenchPages(stdout=self.stdout, stderr=self.stderr)
        pages = [page for page in bench._pages() if not keys or page.key in keys]
        unknown = set(keys) - {page.key for page in pages}
        if unknown:
            raise CommandError("Pages inconnues : " + ", ".join(sorted(unknown)))
        clients = {}
        with override_settings(ALLOWED_HOSTS=[HOST]):
            for page in pages:
                client = clients.get(page.username)
                if client is None:
                    client = clients[page.username] = Client(HTTP_HOST=HOST)
                    if page.username:
                        client.force_login(User.objects.get(username=page.username))
                client.get(page.url, secure=True)  # fills the caches
                times, sql_times, counts = [], [], []
                for _ in range(max(1, runs)):
                    timer = _SqlTimer()
                    with connection.execute_wrapper(timer):
                        begin = time.perf_counter()
                        response = client.get(page.url, secure=True)
                        times.append(time.perf_counter() - begin)
                    sql_times.append(timer.seconds)
                    counts.append(timer.count)
                if response.status_code != 200:
                    raise CommandError(f"{page.url} : réponse {response.status_code}")
                counted = f", {_python_calls(client, page.url)} appels Python" if calls else ""
                self.stdout.write(
                    f"{page.key:30} {statistics.median(times) * 1000:7.1f} ms"
                    f"  (SQL {statistics.median(sql_times) * 1000:5.1f} ms, {max(counts)} requêtes{counted})  {page.url}"
                )
                if profile:
                    profiler = Profiler(interval=0.0005)
                    profiler.start()
                    for _ in range(5):
                        client.get(page.url, secure=True)
                    profiler.stop()
                    self.stdout.write(profiler.output_text(unicode=True, color=False))
