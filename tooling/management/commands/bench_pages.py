"""Benchmark of the main pages at national scale, in one run:

1. the generated data set (``tooling.scale_data``) at a base factor, and
   the SQL queries of each main page (test client, in this process);
2. the same at ten times that size: a page whose query count grows with the
   data has an N+1 — the command then exits non-zero;
3. the application served by gunicorn on 127.0.0.1 (production settings:
   DEBUG=0, cached templates, hashed static files), each page loaded by a
   fixed number of client threads for a fixed time: requests per second, p95
   latency, and the ratio to a bare Django view (``/sante/vivant/``).

The users log in through the login form with the generated password; the
session cookie (``Secure`` under DEBUG=0) is sent back by hand over plain
http, which the server accepts: only browsers hold back a secure cookie."""

import http.client
import json
import logging
import os
import re
import secrets
import socket
import statistics
import subprocess  # nosec B404 - runs this project's own gunicorn and collectstatic, no shell
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cooperations.models import LegalEntity
from cpom.models import Cpom, Indicator, IndicatorKind
from indicators.models import Campaign
from tooling.scale_data import (
    DEFAULT_PASSWORD,
    DEFAULT_SEED,
    SCALE_REFERENCE_PREFIX,
    SCALE_USERNAME_PREFIX,
    generate_scale_data,
    remove_scale_data,
)

HOST = "127.0.0.1"
RATIO_FLOOR = 0.5


@dataclass
class Page:
    key: str
    label: str
    username: str | None  # None: anonymous
    url: str = ""
    queries: dict = field(default_factory=dict)  # size label → count
    server_ms: dict = field(default_factory=dict)
    rate: float = 0.0
    p95: float = 0.0
    errors: int = 0
    requests: int = 0


class Command(BaseCommand):
    help = (
        "Mesure les pages principales sur le jeu national généré : requêtes SQL à 1× puis 10× "
        "(code de sortie non nul si elles augmentent), puis débit et p95 sous gunicorn."
    )

    def add_arguments(self, parser):
        parser.add_argument("--factor", type=float, default=0.1, help="Taille de base (1 : 3 000 CPOM).")
        parser.add_argument("--growth", type=float, default=10.0, help="Multiplicateur de la seconde mesure.")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument("--duration", type=float, default=5.0, help="Secondes de charge par page.")
        parser.add_argument("--threads", type=int, default=4, help="Clients simultanés.")
        parser.add_argument("--workers", type=int, default=2, help="Processus gunicorn.")
        parser.add_argument("--port", type=int, default=8101, help="Port de gunicorn (un port libre sinon).")
        parser.add_argument("--no-load", action="store_true", help="Requêtes SQL seulement, sans gunicorn.")
        parser.add_argument("--keep", action="store_true", help="Garde le jeu généré à la fin.")

    def handle(self, *args, **options):
        self.options = options
        logging.getLogger("axes").setLevel(logging.WARNING)  # one line per test-client login otherwise
        password = os.environ.get("SCALE_PASSWORD", DEFAULT_PASSWORD)
        if not LegalEntity.objects.exists():
            self.stdout.write("Répertoire vide : chargement des données de référence réelles…")
            call_command("load_reference_data", stdout=self.stdout, verbosity=0)
            call_command("build_demo_ght", stdout=self.stdout)  # the GHT memberships, as in the demo
        base, big = options["factor"], options["factor"] * options["growth"]
        sizes = [f"{base:g}", f"{big:g}"]
        try:
            pages = None
            for factor, size in zip((base, big), sizes, strict=True):
                self.stdout.write(self.style.MIGRATE_HEADING(f"Jeu généré, facteur {size}"))
                report = generate_scale_data(factor, options["seed"], password, log=self.stdout.write)
                self.stdout.write(
                    f"  {report.counts.get('CPOM', 0)} CPOM, {report.counts.get('indicateurs', 0)} indicateurs, "
                    f"{report.counts.get('déclarations', 0)} déclarations ({report.seconds:.1f} s)"
                )
                pages = self._pages(previous=pages)
                self._count_queries(pages, size)
            if not options["no_load"]:
                self.stdout.write(self.style.MIGRATE_HEADING(f"Charge sous gunicorn, facteur {sizes[1]}"))
                self._load(pages, password)
        finally:
            if not options["keep"]:
                remove_scale_data(log=self.stdout.write)
        grown = self._table(pages, sizes)
        if grown:
            raise CommandError(
                "Nombre de requêtes SQL en hausse entre les deux tailles (N+1 probable) : " + ", ".join(grown)
            )

    # --- The pages -----------------------------------------------------------------------------

    def _pages(self, previous=None):
        """The pages measured, on the largest objects of the région that has
        the most generated CPOMs: its biggest signed CPOM, its open campaign,
        the director with the most values to declare, an indicator with
        every year declared."""
        generated = Cpom.objects.filter(reference__startswith=SCALE_REFERENCE_PREFIX)
        region = generated.values("region_id").annotate(n=Count("pk")).order_by("-n", "region_id").first()["region_id"]
        negotiator = f"{SCALE_USERNAME_PREFIX}negociateur-{region}-1"
        cpom = (
            generated.filter(region_id=region, signed_on__isnull=False)
            .annotate(n=Count("commitments"))
            .order_by("-n", "reference")
            .first()
        )
        campaign = (
            Campaign.objects.filter(region_id=region).accepting_on(timezone.localdate()).order_by("-year").first()
        )
        if campaign is None:
            raise CommandError(f"Aucune campagne ouverte dans la région {region}.")
        due = (
            Indicator.objects.filter(
                commitment__cpom__campaigns=campaign,
                commitment__cpom__reference__startswith=SCALE_REFERENCE_PREFIX,
                kind=IndicatorKind.DECLARATIVE,
            )
            .values("commitment__cpom__legal_entity__finess")
            .annotate(n=Count("pk"))
            .order_by("-n", "commitment__cpom__legal_entity__finess")
            .first()
        )
        finess = due["commitment__cpom__legal_entity__finess"]
        indicator = (
            Indicator.objects.filter(commitment__cpom__in=generated.filter(region_id=region))
            .annotate(n=Count("declarations"))
            .order_by("-n", "commitment__cpom__reference", "commitment__position", "position")
            .first()
        )
        director = f"{SCALE_USERNAME_PREFIX}directeur-{finess}"
        pages = [
            Page("alive", "vue Django nue (/sante/vivant/)", None, reverse("alive")),
            Page("establishments", "liste des établissements", negotiator, reverse("cooperations:establishment_list")),
            Page("cpoms", "liste des CPOM", negotiator, reverse("cpom:cpom_list")),
            Page("cpom", f"page d’un CPOM ({cpom.n} engagements)", negotiator, cpom.get_absolute_url()),
            Page(
                "declare",
                "« Mes indicateurs » d’un directeur",
                director,
                reverse("indicators:declare", args=[campaign.pk, finess]),
            ),
            Page(
                "dashboard",
                "tableau de bord de la campagne",
                negotiator,
                reverse("indicators:campaign_dashboard", args=[campaign.pk]),
            ),
            Page(
                "queue",
                "file de validation",
                negotiator,
                reverse("indicators:validation_queue", args=[campaign.pk]),
            ),
            Page(
                "indicator",
                "page d’un indicateur (graphique)",
                negotiator,
                reverse("indicators:indicator_detail", args=[indicator.pk]),
            ),  # fmt: skip
        ]
        if previous:
            for page, before in zip(pages, previous, strict=True):
                page.queries, page.server_ms = before.queries, before.server_ms
        return pages

    def _count_queries(self, pages, size, runs=3):
        clients = {}
        for page in pages:
            client = clients.get(page.username)
            if client is None:
                client = clients[page.username] = Client(HTTP_HOST=HOST)
                if page.username:
                    client.force_login(User.objects.get(username=page.username))
            times = []
            for _ in range(runs):  # the first run fills the caches; the last one is counted
                reset_queries()
                with CaptureQueriesContext(connection) as queries:
                    begin = time.perf_counter()
                    response = client.get(page.url)
                    times.append(time.perf_counter() - begin)
                if response.status_code != 200:
                    raise CommandError(f"{page.url} : réponse {response.status_code}")
            page.queries[size] = len(queries)
            page.server_ms[size] = statistics.median(times) * 1000
            self.stdout.write(f"  {page.label} : {len(queries)} requêtes SQL, {page.server_ms[size]:.0f} ms")

    # --- Load under gunicorn -------------------------------------------------------------------------

    def _load(self, pages, password):
        port = _free_port(self.options["port"])
        static_root = Path(tempfile.gettempdir()) / "cpom-bench-static"
        env = {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": f"{HOST},localhost",
            # Plain http on localhost: no redirection to https, no HSTS.
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_HSTS_SECONDS": "0",
            "STATIC_ROOT": str(static_root),
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "WARNING",  # no line per login from django-axes
        }
        if "DATABASE_URL" not in env and connection.vendor == "sqlite":
            env["DATABASE_URL"] = f"sqlite:///{settings.DATABASES['default']['NAME']}"
        if _static_is_current(static_root):
            self.stdout.write(f"  fichiers statiques hachés déjà à jour dans {static_root}")
        else:
            begin = time.perf_counter()
            subprocess.run(  # nosec B603 - fixed argument list, this interpreter
                [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
                cwd=settings.BASE_DIR,
                env=env,
                check=True,
            )
            self.stdout.write(
                f"  collectstatic (fichiers hachés et compressés de la production, dans {static_root}) : "
                f"{time.perf_counter() - begin:.1f} s"
            )
        server = subprocess.Popen(  # nosec B603 - fixed argument list, this interpreter
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"{HOST}:{port}",
                "--workers",
                str(self.options["workers"]),
                "--log-level",
                "warning",
            ],  # fmt: skip
            cwd=settings.BASE_DIR,
            env=env,
        )
        try:
            _wait_until_up(port, server)
            self.stdout.write(f"  gunicorn sur http://{HOST}:{port}/ ({self.options['workers']} processus)")
            cookies = {None: ""}
            for username in sorted({p.username for p in pages if p.username}):
                cookies[username] = _login(port, username, password)
            for page in pages:
                _hammer(port, page.url, cookies[page.username], 0.5, self.options["threads"])  # warm-up
                result = _hammer(port, page.url, cookies[page.username], self.options["duration"],
                                 self.options["threads"])  # fmt: skip
                page.rate, page.p95, page.errors, page.requests = result
                self.stdout.write(
                    f"  {page.label} : {page.rate:.1f} req/s, p95 {page.p95:.0f} ms"
                    + (f", {page.errors} erreurs" if page.errors else "")
                )
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()

    def _table(self, pages, sizes):
        small, big = sizes
        bare = next((p.rate for p in pages if p.key == "alive"), 0)
        header = (
            f"{'page':<42} {'req/s':>7} {'ratio':>6} {'p95 ms':>7} {'SQL ' + small + '×':>10} {'SQL ' + big + '×':>10}"
        )
        self.stdout.write(self.style.MIGRATE_HEADING("\nRésultats"))
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        grown = []
        for page in pages:
            flags = []
            before, after = page.queries.get(small), page.queries.get(big)
            if before is not None and after is not None and after > before:
                flags.append("REQUÊTES EN HAUSSE")
                grown.append(page.label)
            ratio = page.rate / bare if bare else 0
            if page.key != "alive" and page.rate and ratio < RATIO_FLOOR:
                flags.append(f"ratio < {RATIO_FLOOR:g}")
            if page.errors:
                flags.append(f"{page.errors} erreurs")
            rate = f"{page.rate:7.1f}" if page.rate else f"{'—':>7}"
            ratio_text = f"{ratio:6.2f}" if page.rate else f"{'—':>6}"
            p95 = f"{page.p95:7.0f}" if page.rate else f"{'—':>7}"
            self.stdout.write(
                f"{page.label[:42]:<42} {rate} {ratio_text} {p95} {_n(before):>10} {_n(after):>10}  {' ; '.join(flags)}"
            )
        return grown


def _static_is_current(static_root):
    """Whether a previous run's collectstatic (about two minutes: every file
    hashed and compressed) still serves: every static file is in its
    manifest and none changed since."""
    manifest = static_root / "staticfiles.json"
    if not manifest.exists():
        return False
    known = json.loads(manifest.read_text()).get("paths", {})
    written = manifest.stat().st_mtime
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            if path not in known or os.path.getmtime(storage.path(path)) > written:
                return False
    return True


def _n(value):
    return "—" if value is None else str(value)


def _free_port(preferred):
    with socket.socket() as probe:
        try:
            probe.bind((HOST, preferred))
            return preferred
        except OSError:
            probe.bind((HOST, 0))
            return probe.getsockname()[1]


def _wait_until_up(port, server, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CommandError("gunicorn s’est arrêté au démarrage (voir ses messages ci-dessus).")
        try:
            status, _headers, _body = _get(port, reverse("alive"))
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise CommandError("gunicorn ne répond pas.")


def _request(port, method, path, headers=None, body=None):
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        conn.request(method, path, body=body, headers={"Host": f"{HOST}:{port}", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def _get(port, path, cookie=""):
    return _request(port, "GET", path, {"Cookie": cookie} if cookie else None)


def _cookies(headers, jar):
    for name, value in headers:
        if name.lower() == "set-cookie":
            key, _sep, rest = value.partition("=")
            jar[key.strip()] = rest.split(";", 1)[0]
    return jar


def _login(port, username, password):
    """Log in through the form, as a browser would; return the Cookie header."""
    path = reverse("login")
    status, headers, body = _get(port, path)
    jar = _cookies(headers, {})
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or token is None:
        raise CommandError(f"Page de connexion inattendue ({status}).")
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1).decode()}
    )
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    status, headers, _body = _request(
        port, "POST", path, {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}, form
    )
    jar = _cookies(headers, jar)
    if status != 302:
        raise CommandError(f"Connexion de {username} refusée ({status}) : le mot de passe est-il celui du jeu généré ?")
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def _hammer(port, path, cookie, duration, threads):
    """``threads`` clients request ``path`` in a loop for ``duration``
    seconds; (requests per second, p95 in ms, errors, requests)."""
    latencies, errors = [], [0]
    lock = threading.Lock()
    stop = time.monotonic() + duration

    def client():
        mine, failed = [], 0
        while time.monotonic() < stop:
            begin = time.perf_counter()
            try:
                status, _headers, _body = _get(port, path, cookie)
            except OSError:
                status = 0
            if status == 200:
                mine.append(time.perf_counter() - begin)
            else:
                failed += 1
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    started = time.monotonic()
    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    if len(latencies) < 2:
        return 0.0, 0.0, errors[0], len(latencies)
    p95 = statistics.quantiles(latencies, n=20)[18] * 1000
    return len(latencies) / elapsed, p95, errors[0], len(latencies)
