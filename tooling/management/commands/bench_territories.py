"""The territory pages' server time and SQL queries (issue 22): the page of
Île-de-France (about 500 sites) with each measure, on the data in place
(the national set of ``generate_scale_data`` on the real register)."""

import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, User
from cooperations.models import Establishment

BUDGET_MS = 300
PAGES = [
    "/territoires/regions/11/",
    "/territoires/regions/11/?mesure=engagements&theme=medicales&couleur=statut&taille=activite",
    "/territoires/regions/11/?mesure=fuite",
    "/territoires/regions/11/?mesure=campagne",
    "/territoires/departements/75/",
]


class Command(BaseCommand):
    help = (
        "Mesure le temps serveur (médiane de --runs requêtes) et les requêtes SQL des pages des territoires ; "
        f"échoue si la page d’Île-de-France dépasse {BUDGET_MS} ms."
    )

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=7)
        parser.add_argument("--region", default="11")

    def handle(self, *args, runs, region, **options):
        user = User.objects.filter(role=Role.NEGOTIATOR, region_id=region, is_active=True).first()
        if user is None:
            user = User.objects.create(username=f"bench-territoires-{region}", role=Role.NEGOTIATOR, region_id=region)
        client = Client(SERVER_NAME="localhost")
        client.force_login(user)
        sites = Establishment.objects.filter(region_id=region, closed_on__isnull=True).count()
        self.stdout.write(f"Région {region} : {sites} établissements ouverts")
        failures = []
        for url in PAGES:
            url = url.replace("/regions/11/", f"/regions/{region}/")
            client.get(url)  # warm-up (outlines read once per process)
            times = []
            for _run in range(runs):
                with CaptureQueriesContext(connection) as queries:
                    start = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - start) * 1000)
                if response.status_code != 200:
                    raise CommandError(f"{url} : {response.status_code}")
            median = statistics.median(times)
            self.stdout.write(
                f"{url} : {median:.0f} ms (médiane de {runs}), {len(queries)} requêtes SQL, "
                f"{len(response.content) // 1024} Kio"
            )
            if url.endswith(f"/regions/{region}/") and median > BUDGET_MS:
                failures.append(f"{url} : {median:.0f} ms > {BUDGET_MS} ms")
        if failures:
            raise CommandError(" ; ".join(failures))
