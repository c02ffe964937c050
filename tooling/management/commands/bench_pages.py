"""Benchmark of the main pages at national scale, in one run:

1. the generated data set (``tooling.scale_data``) at a base factor, and
   the SQL queries of each main page (test client, in this process);
2. the same at ten times that size: a page whose query count grows with the
   data has an N+1 — the command then exits non-zero;
3. the application served by gunicorn on 127.0.0.1 (production settings:
   DEBUG=0, cached templates, hashed static files), each page loaded by a
   fixed number of client threads for a fixed time: requests per second, p95
   latency, and the ratio to a bare Django view (``/sante/vivant/``);
4. each list page beside the Django admin changelist of the same model, with
   the same rows per page (100), in the same run: server time and req/s;
5. the annexes of France as a ZIP: a sample of the generated CPOMs rendered
   into an archive, then read again from their stored bytes, extrapolated to
   every CPOM and to the number of workers.

Every page is measured for the role that uses it and for a national
administrator (``echelle-admin``). The second size is factor 1 (the national
set) on PostgreSQL only: on SQLite the two sizes are the factor ÷ growth and
the factor (the query counts still compare ×growth).

The users log in through the login form with the generated password (and
give the TOTP second factor an ARS account owes, as its owner would); the
session cookie (``Secure`` under DEBUG=0) is sent back by hand over plain
http, which the server accepts: only browsers hold back a secure cookie."""

import base64
import http.client
import io
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
from django.db import connection, reset_queries, transaction
from django.db.models import Count
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from cooperations.models import LegalEntity
from core.values import ngettext
from cpom.annex import write_archive
from cpom.models import AnnexFile, Commitment, Cpom, Indicator, IndicatorKind
from diagnostics.models import Diagnostic, Scope
from diagnostics.services import open_diagnostic
from indicators.models import Campaign, Declaration
from reviews.models import AnnualReview
from reviews.services import seed_review
from tooling.scale_data import (
    DEFAULT_PASSWORD,
    DEFAULT_SEED,
    SCALE_REFERENCE_PREFIX,
    SCALE_USERNAME_PREFIX,
    generate_scale_data,
    remove_scale_data,
)

HOST = "127.0.0.1"
RATIO_FLOOR = 0.1
SQLITE_MAX_FACTOR = 0.1  # factor 1 (3,000 CPOM) only on PostgreSQL
ADMIN = f"{SCALE_USERNAME_PREFIX}admin"
LIST_ROWS = 100  # rows per page of a list and of its admin changelist, side by side


@dataclass
class Page:
    key: str
    label: str
    username: str | None  # None: anonymous
    url: str = ""
    versus: str = ""  # the key of the page this one is compared with (an admin changelist → its list)
    queries: dict = field(default_factory=dict)  # size label → count
    server_ms: dict = field(default_factory=dict)  # size label → median
    server_p95: dict = field(default_factory=dict)
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
        parser.add_argument("--runs", type=int, default=7, help="Requêtes par page pour le temps serveur.")
        parser.add_argument(
            "--annex-sample", type=int, default=10, help="CPOM rendus pour estimer le ZIP de France (0 : aucun)."
        )

    def handle(self, *args, **options):
        self.options = options
        logging.getLogger("axes").setLevel(logging.WARNING)  # one line per test-client login otherwise
        password = os.environ.get("SCALE_PASSWORD", DEFAULT_PASSWORD)
        if not LegalEntity.objects.exists():
            self.stdout.write("Répertoire vide : chargement des données de référence réelles…")
            call_command("load_reference_data", stdout=self.stdout, verbosity=0)
            call_command("build_demo_ght", stdout=self.stdout)  # the GHT memberships, as in the demo
        base, big = options["factor"], options["factor"] * options["growth"]
        if connection.vendor != "postgresql" and big > SQLITE_MAX_FACTOR:
            base, big = base / options["growth"], base
            self.stdout.write(
                f"SQLite : facteurs {base:g} et {big:g} (le facteur 1, national, se mesure sur PostgreSQL)."
            )
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
            if options["annex_sample"] > 0:
                self.stdout.write(self.style.MIGRATE_HEADING(f"Annexes de France en ZIP, facteur {sizes[1]}"))
                self._annexes(options["annex_sample"])
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
        # One from a library template at every size: its page then carries the peer distribution too.
        indicator = (
            Indicator.objects.filter(commitment__cpom__in=generated.filter(region_id=region), template__isnull=False)
            .annotate(n=Count("declarations"))
            .order_by("-n", "commitment__cpom__reference", "commitment__position", "position")
            .first()
        )
        director = f"{SCALE_USERNAME_PREFIX}directeur-{finess}"
        User.objects.get_or_create(  # generated sets of older versions had no national administrator
            username=ADMIN,
            defaults={"role": Role.ADMIN, "is_staff": True, "is_superuser": True,
                      "password": User.objects.get(username=negotiator).password},
        )  # fmt: skip
        # A signed CPOM's commitments are frozen: the form is measured on one still in negotiation.
        commitment = (
            Commitment.objects.filter(cpom__in=generated.filter(region_id=region, signed_on__isnull=True))
            .order_by("cpom__reference", "position")
            .first()
        )
        declaration = (
            Declaration.objects.filter(campaign=campaign, indicator__commitment__cpom__region_id=region)
            .order_by("-submitted_at", "pk")
            .first()
        )
        # A diagnostic of the CPOM's département and the review of its first year, made as the negotiator
        # would (removed with the generated set): their pages are measured too.
        lead = User.objects.get(username=negotiator)
        diagnostic = Diagnostic.objects.filter(created_by=lead).first() or open_diagnostic(
            lead, Scope.DEPARTMENT, cpom.legal_entity.department
        )
        review = AnnualReview.objects.filter(cpom=cpom).first() or seed_review(cpom, lead, cpom.first_year)
        wide = f"?per_page={LIST_ROWS}"
        main = [
            ("establishments", "établissements", negotiator, reverse("cooperations:establishment_list")),
            ("structures", "structures de coopération", negotiator, reverse("cooperations:structure_list")),
            ("cpoms", "liste des CPOM", negotiator, reverse("cpom:cpom_list")),
            ("cpom", f"page d’un CPOM ({cpom.n} engagements)", negotiator, cpom.get_absolute_url()),
            # At a small factor the région may have no CPOM still in negotiation: the form is then not measured.
            *([("commitment", "formulaire d’un engagement", negotiator,
                reverse("cpom:commitment_update", args=[commitment.pk]))] if commitment else []),
            ("declare", "« Mes indicateurs »", director, reverse("indicators:declare", args=[campaign.pk, finess])),
            ("dashboard", "tableau de bord de campagne", negotiator,
             reverse("indicators:campaign_dashboard", args=[campaign.pk])),
            ("queue", "file de validation", negotiator, reverse("indicators:validation_queue", args=[campaign.pk])),
            ("indicator", "page d’un indicateur", negotiator, reverse("indicators:indicator_detail", args=[indicator.pk])),
            ("audit", "journal des modifications", ADMIN, reverse("audit_log")),  # admins only
            ("diagnostic", "page d’un diagnostic", negotiator, reverse("diagnostics:diagnostic_detail", args=[diagnostic.pk])),
            ("territory", "page de la région (carte, réseau)", negotiator, reverse("territories:region", args=[region])),
            ("review", "revue annuelle d’un CPOM", negotiator, reverse("reviews:review", args=[cpom.pk, review.year])),
            ("reviews", "revues de la région", negotiator, reverse("reviews:region")),
            ("notifications", "notifications", negotiator, reverse("notifications:list")),
            ("users", "utilisateurs", ADMIN, reverse("portal:user_list")),
        ]  # fmt: skip
        if declaration is not None:
            main.insert(8, ("declaration", "page d’une déclaration", negotiator, declaration.get_absolute_url()))
        pages = [Page("alive", "vue Django nue (/sante/vivant/)", None, reverse("alive"))]
        for key, label, username, url in main:
            pages.append(Page(key, f"{label} — {_role(username)}", username, url))
            if username != ADMIN:
                pages.append(Page(f"{key}-admin", f"{label} — admin national", ADMIN, url))
        # Each list beside the Django admin changelist of the same model, same rows per page, same user.
        for key, label, url, changelist in (
            ("establishments", "établissements", reverse("cooperations:establishment_list"),
             reverse("admin:cooperations_establishment_changelist")),
            ("structures", "structures", reverse("cooperations:structure_list"),
             reverse("admin:cooperations_cooperationstructure_changelist")),
            ("cpoms", "CPOM", reverse("cpom:cpom_list"), reverse("admin:cpom_cpom_changelist")),
        ):  # fmt: skip
            pages.append(Page(f"{key}-{LIST_ROWS}", f"{label}, {LIST_ROWS} lignes — admin national", ADMIN,
                              url + wide))  # fmt: skip
            pages.append(Page(f"{key}-django-admin", f"admin Django, {label}, {LIST_ROWS} lignes", ADMIN,
                              changelist, versus=f"{key}-{LIST_ROWS}"))  # fmt: skip
        # The figures of the smaller size, by page (a page may exist at one size only: no CPOM in negotiation).
        earlier = {page.key: page for page in previous or ()}
        for page in pages:
            if page.key in earlier:
                before = earlier[page.key]
                page.queries, page.server_ms, page.server_p95 = before.queries, before.server_ms, before.server_p95
        return pages

    def _count_queries(self, pages, size):
        runs = max(3, self.options["runs"])
        clients = {}
        for page in pages:
            client = clients.get(page.username)
            if client is None:
                client = clients[page.username] = Client(HTTP_HOST=HOST)
                if page.username:
                    client.force_login(User.objects.get(username=page.username))
            times = []
            client.get(page.url)  # fills the caches
            for _ in range(runs):  # the last one is counted
                reset_queries()
                with CaptureQueriesContext(connection) as queries:
                    begin = time.perf_counter()
                    response = client.get(page.url)
                    times.append(time.perf_counter() - begin)
                if response.status_code != 200:
                    raise CommandError(f"{page.url} : réponse {response.status_code}")
            page.queries[size] = len(queries)
            page.server_ms[size] = statistics.median(times) * 1000
            page.server_p95[size] = _p95(times) * 1000
            self.stdout.write(
                f"  {page.label} : {len(queries)} requêtes SQL, médiane {page.server_ms[size]:.1f} ms, "
                f"p95 {page.server_p95[size]:.1f} ms"
            )

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

    def _annexes(self, sample):
        """The annexes of France as a ZIP: ``sample`` generated CPOMs rendered into an archive (as the
        worker does), then the same archive again, its signed versions read from their stored bytes;
        extrapolated to every generated CPOM and to the workers. Rolled back, files in a temporary folder."""
        ids = list(
            Cpom.objects.filter(reference__startswith=SCALE_REFERENCE_PREFIX)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        chosen = ids[:: max(1, len(ids) // sample)][:sample]
        if not chosen:
            return
        user = User.objects.get(username=ADMIN)
        with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
            try:
                with transaction.atomic():
                    AnnexFile.objects.filter(cpom_id__in=chosen).delete()
                    begin = time.perf_counter()
                    first = io.BytesIO()
                    write_archive(chosen, user, first)
                    rendered = time.perf_counter() - begin
                    begin = time.perf_counter()
                    write_archive(chosen, user, io.BytesIO())
                    stored = time.perf_counter() - begin
                    raise _RollbackError
            except _RollbackError:
                pass
        signed = Cpom.objects.filter(pk__in=chosen, signed_on__isnull=False).count()
        workers = self.options["workers"]
        first_total = rendered / len(chosen) * len(ids)
        # Once each signed version's PDF is stored, only the drafts (CPOMs in negotiation) are rendered again.
        steady_total = stored / len(chosen) * len(ids)
        self.annex_summary = (
            f"ZIP des annexes de France : {len(chosen)} CPOM rendus en {rendered:.1f} s ({rendered / len(chosen):.2f} s "
            f"l’annexe, {len(first.getvalue()) / 2**20:.1f} Mo) ; relus en {stored:.1f} s ("
            + ngettext("%(n)s version signée servie", "%(n)s versions signées servies", signed) % {"n": signed}
            + " depuis les octets stockés, "
            + ngettext("%(n)s projet rendu", "%(n)s projets rendus", len(chosen) - signed) % {"n": len(chosen) - signed}
            + f" à nouveau). Pour les {len(ids)} CPOM "
            f"du jeu : premier export {first_total / 60:.1f} min avec 1 worker ; ensuite {steady_total / 60:.1f} min "
            f"avec 1 worker, {steady_total / workers / 60:.1f} min avec {workers} (une archive par région, en "
            f"parallèle ; objectif ≤ 5 min pour 3 000 CPOM)."
        )
        self.stdout.write("  " + self.annex_summary)

    def _table(self, pages, sizes):
        small, big = sizes
        bare = next((p.rate for p in pages if p.key == "alive"), 0)
        by_key = {p.key: p for p in pages}
        header = (
            f"{'page — rôle':<52} {'méd ' + small:>8} {'p95 ' + small:>8} {'méd ' + big:>8} {'p95 ' + big:>8} "
            f"{'SQL ' + small:>7} {'SQL ' + big:>7} {'req/s':>7} {'ratio':>6} {'p95 ch':>7}"
        )
        self.stdout.write(self.style.MIGRATE_HEADING("\nRésultats (temps serveur en ms ; ratio : débit ÷ vue nue)"))
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
            versus = by_key.get(page.versus)
            if versus is not None and page.server_ms.get(big) and versus.server_ms.get(big):
                flags.append(
                    f"notre liste : {versus.server_ms[big] / page.server_ms[big]:.2f} × le temps de l’admin"
                    + (f", {versus.rate / page.rate:.2f} × son débit" if page.rate and versus.rate else "")
                )
            self.stdout.write(
                f"{page.label[:52]:<52} {_ms(page.server_ms.get(small)):>8} {_ms(page.server_p95.get(small)):>8} "
                f"{_ms(page.server_ms.get(big)):>8} {_ms(page.server_p95.get(big)):>8} {_n(before):>7} {_n(after):>7} "
                f"{_rate(page.rate):>7} {(f'{ratio:.2f}' if page.rate else '—'):>6} "
                f"{(f'{page.p95:.0f}' if page.rate else '—'):>7}  {' ; '.join(flags)}"
            )
        if getattr(self, "annex_summary", ""):
            self.stdout.write(self.annex_summary)
        return grown


class _RollbackError(Exception):
    pass


def _role(username):
    if username == ADMIN:
        return "admin national"
    for word, label in (("negociateur", "négociateur"), ("directeur", "directeur"), ("observateur", "observateur")):
        if username and word in username:
            return label
    return "anonyme"


def _p95(values):
    return statistics.quantiles(values, n=20)[18] if len(values) >= 2 else values[0]


def _ms(value):
    return "—" if value is None else f"{value:.1f}"


def _rate(value):
    return f"{value:.1f}" if value else "—"


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


def _jar_header(jar):
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def _submit(port, path, jar, fields):
    """GET the form at ``path``, then POST its CSRF token with ``fields`` (a dict, or a function of the
    form page giving it), as a browser would: (status, headers, jar)."""
    status, headers, page = _get(port, path, _jar_header(jar))
    jar = _cookies(headers, jar)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if status != 200 or token is None:
        raise CommandError(f"Formulaire {path} inattendu ({status}).")
    values = fields(page) if callable(fields) else fields
    form = urllib.parse.urlencode({**values, "csrfmiddlewaretoken": token.group(1).decode()})
    status, headers, _body = _request(
        port, "POST", path, {"Cookie": _jar_header(jar), "Content-Type": "application/x-www-form-urlencoded"}, form
    )
    return status, headers, _cookies(headers, jar)


def _login(port, username, password):
    """Log in through the form, as a browser would, then give the second factor an ARS account owes
    (set up at its first password login with the secret the page shows, or the code of the device it
    has); return the Cookie header."""
    status, _headers, jar = _submit(port, reverse("login"), {}, {"username": username, "password": password})
    if status != 302:
        raise CommandError(f"Connexion de {username} refusée ({status}) : le mot de passe est-il celui du jeu généré ?")
    status, headers, _body = _get(port, reverse("home"), _jar_header(jar))
    location = dict((k.lower(), v) for k, v in headers).get("location", "")
    setup, verify = reverse("otp_setup"), reverse("otp_verify")
    if status == 302 and location.startswith(setup):

        def code_of_secret_shown(page):
            shown = re.search(rb'data-testid="totp-secret">([^<]+)<', page)
            if shown is None:
                raise CommandError(f"Secret de double authentification introuvable pour {username}.")
            return {"code": _totp(base64.b32decode(shown.group(1).decode().replace(" ", "")))}

        status, _headers, jar = _submit(port, setup, jar, code_of_secret_shown)
    elif status == 302 and location.startswith(verify):
        key = bytes.fromhex(TOTPDevice.objects.get(user__username=username, confirmed=True).key)
        status, _headers, jar = _submit(port, verify, jar, {"code": _totp(key)})
    else:
        return _jar_header(jar)
    if status != 302:
        raise CommandError(f"Double authentification de {username} refusée ({status}).")
    return _jar_header(jar)


def _totp(key: bytes) -> str:
    return f"{TOTP(key, step=30, digits=6).token():06d}"


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
