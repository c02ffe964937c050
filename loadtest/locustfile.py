"""Load test of issue 8, « No data lost »: directors save and submit their
declarations while the région's negotiators browse and edit CPOMs and
commitments and validate or send back the submitted values.

Every write the server acknowledges is appended, as a JSON line, to
``$LOADTEST_LOG`` (one file per process: ``.<pid>`` is added), with the
attempt written before the request: ``manage.py check_loadtest`` then compares
them with the database. ``$LOADTEST_MANIFEST`` is the JSON file written by
``manage.py prepare_loadtest``; ``$LOADTEST_PASSWORD`` the accounts' password.
With ``$LOADTEST_PRELOGIN=1`` every account logs in (through the login page)
before the timed window starts, and those logins are timed apart.

The server is reached over HTTPS, with a throw-away self-signed certificate
for 127.0.0.1 that the client trusts through ``$REQUESTS_CA_BUNDLE``: the
production settings (DEBUG=0) mark the session and CSRF cookies Secure, and
a client honestly sends them only over TLS.
"""

import itertools
import json
import os
import random
import re
import threading
import time
from html.parser import HTMLParser
from urllib.parse import urlsplit

import gevent.pool
import requests
from locust import HttpUser, between, events, task
from locust.clients import HttpSession

with open(os.environ.get("LOADTEST_MANIFEST", "loadtest-manifest.json"), encoding="utf-8") as _manifest:
    MANIFEST = json.load(_manifest)
PASSWORD = os.environ.get("LOADTEST_PASSWORD", "charge-cpom-2026")
LOG_PATH = f"{os.environ.get('LOADTEST_LOG', 'loadtest-acks.jsonl')}.{os.getpid()}"

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ENTRY = re.compile(r'name="i(\d+)-value"')
ALERT = re.compile(r"fr-alert--(success|error|warning|info)[^>]*>\s*<p>(.*?)</p>", re.S)
VALIDATE = re.compile(r'action="/suivi/declarations/(\d+)/valider/"')

_log_lock = threading.Lock()
_log = open(LOG_PATH, "a", encoding="utf-8")
_sequence = itertools.count()
_directors = itertools.count()
_negotiators = itertools.count()


def record(**fields):
    """One line per attempt and per answer, flushed at once: a crash of the
    load generator loses no acknowledgement."""
    with _log_lock:
        fields.update(seq=next(_sequence), at=time.time())
        _log.write(json.dumps(fields, ensure_ascii=False) + "\n")
        _log.flush()


@events.request.add_listener
def _every_request(request_type, name, response_time, response=None, exception=None, **kwargs):
    """Each request's time and status, so the check computes its figures
    with and without the logins (a password hash is CPU-bound by design)."""
    status = getattr(response, "status_code", 0) or 0
    record(kind="request", name=name, ms=round(response_time, 1), status=status, failed=exception is not None)


def alerts(html):
    return [(level, re.sub(r"\s+", " ", text).strip()) for level, text in ALERT.findall(html)]


class FormFields(HTMLParser):
    """The fields a browser would post from the first form carrying
    ``marker`` (an attribute name, or ``name=value``), outside <template> rows."""

    def __init__(self, marker):
        super().__init__()
        self.marker, self.fields = marker, {}
        self.in_form = self.done = False
        self.template_depth = 0
        self.select = self.select_first = self.textarea = None
        self.select_chosen = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name, _sep, value = self.marker.partition("=")
        if tag == "form" and not self.done and name in attrs and (not value or attrs[name] == value):
            self.in_form = True
        if not self.in_form:
            return
        if tag == "template":
            self.template_depth += 1
        if self.template_depth:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in {"submit", "button", "file", "image", "reset"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.fields[name] = attrs.get("value") or "on"
                return
            self.fields[name] = attrs.get("value") or ""
        elif tag == "select" and name:
            self.select, self.select_first, self.select_chosen = name, None, False
        elif tag == "option" and self.select:
            value = attrs.get("value") or ""
            if self.select_first is None:
                self.select_first = value
            if "selected" in attrs and not self.select_chosen:
                self.fields[self.select], self.select_chosen = value, True
        elif tag == "textarea" and name:
            self.textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag):
        if not self.in_form:
            return
        if tag == "template":
            self.template_depth -= 1
        elif tag == "select" and self.select:
            if not self.select_chosen:
                self.fields[self.select] = self.select_first or ""
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.in_form, self.done = False, True

    def handle_data(self, data):
        if self.textarea and not self.template_depth:
            self.fields[self.textarea] += data


def form_fields(html, marker):
    parser = FormFields(marker)
    parser.feed(html)
    return parser.fields


def login(session, host, username):
    """Log in through the login page, as a browser does: the CSRF token from
    the form, the page as referer. ``session``: a locust client (the request
    counts in the figures) or a plain requests session (before the window)."""
    counted = isinstance(session, HttpSession)
    page = session.get(f"{host}/connexion/", **({"name": "/connexion/"} if counted else {}))
    token = CSRF.search(page.text).group(1)
    answer = session.post(
        f"{host}/connexion/",
        data={"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD, "next": ""},
        headers={"Referer": f"{host}/connexion/"},
        **({"name": "/connexion/ [POST]"} if counted else {}),
    )
    if "/connexion/" in answer.url:
        raise RuntimeError(f"Connexion refusée pour {username}")
    if "/double-authentification/" in answer.url:
        answer = _second_factor(session, host, username, answer, counted)
    return answer


# The TOTP secret each negotiator set up in this run (accounts.second_factor: required of ARS password accounts).
TOTP_SECRETS = {}
TOTP_SECRET = re.compile(r'data-testid="totp-secret">([A-Z2-7 ]+)<')


def totp_code(secret: str, step_offset: int = 0) -> str:
    """RFC 6238, as an authenticator app computes it (30 s, 6 digits, SHA-1)."""
    import base64
    import hashlib
    import hmac
    import struct

    counter = int(time.time() // 30) + step_offset
    digest = hmac.new(base64.b32decode(secret.replace(" ", "")), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def _second_factor(session, host, username, answer, counted):
    """Set up the authenticator (first login) or give its code (next step: a code serves once)."""
    path = urlsplit(answer.url).path
    found = TOTP_SECRET.search(answer.text)
    if found:
        TOTP_SECRETS[username] = found.group(1)
    if username not in TOTP_SECRETS:
        raise RuntimeError(f"Double authentification de {username} sans sa clé : relancez prepare_loadtest")
    code = totp_code(TOTP_SECRETS[username], 0 if found else 1)
    answer = session.post(
        f"{host}{path}",
        data={"csrfmiddlewaretoken": CSRF.search(answer.text).group(1), "code": code, "next": ""},
        headers={"Referer": answer.url},
        **({"name": f"{path} [POST]"} if counted else {}),
    )
    if "/double-authentification/" in answer.url:
        raise RuntimeError(f"Code de double authentification refusé pour {username}")
    return answer


# Sessions opened before the timed window (LOADTEST_PRELOGIN=1): a working day's
# users are already logged in, and a login's password hash (about a second of
# CPU, by design) would otherwise crowd the window. Their times are logged apart.
SESSIONS = {}


@events.init.add_listener
def _log_in_everyone(environment, **kwargs):
    if os.environ.get("LOADTEST_PRELOGIN", "0") != "1":
        return
    host = environment.host.rstrip("/")
    usernames = [d["username"] for d in MANIFEST["directors"]] + MANIFEST["negotiators"]

    def open_session(username):
        session = requests.Session()
        started = time.perf_counter()
        login(session, host, username)
        record(kind="login", user=username, ms=round((time.perf_counter() - started) * 1000, 1))
        SESSIONS[username] = session.cookies

    started = time.perf_counter()
    gevent.pool.Pool(10).map(open_session, usernames)
    record(kind="logins", count=len(SESSIONS), seconds=round(time.perf_counter() - started, 1))


class CpomUser(HttpUser):
    abstract = True
    wait_time = between(0.5, 2.0)
    username = ""

    def on_start(self):
        # Locust's client keeps its own CA bundle: trust the run's certificate explicitly.
        self.client.verify = os.environ.get("REQUESTS_CA_BUNDLE") or True
        if self.username in SESSIONS:
            self.client.cookies.update(SESSIONS[self.username])
        else:
            login(self.client, self.host.rstrip("/"), self.username)

    def post(self, path, data, name, referer=None):
        """A form post as a browser sends it: with the page it came from."""
        headers = {"Referer": self.host.rstrip("/") + (referer or path)}
        return self.client.post(path, data=data, name=name, headers=headers)


class DirectorUser(CpomUser):
    """A director declaring his entity's values: drafts, then submission."""

    weight = 4

    def on_start(self):
        directors = MANIFEST["directors"]
        # One account per simulated director: each entity's values are written by one user at a time.
        account = directors[next(_directors) % len(directors)]
        self.username, self.finess = account["username"], account["finess"]
        super().on_start()
        page = self.client.get("/suivi/mes-indicateurs/", name="/suivi/mes-indicateurs/")
        self.declare_path = urlsplit(page.url).path  # redirected to the open campaign's page

    def _declare(self, submit):
        name = "/suivi/campagnes/[id]/etablissements/[finess]/"
        page = self.client.get(self.declare_path, name=name)
        # Every field of the page's form, as a browser posts it (the hidden « seen » tokens included).
        data = form_fields(page.text, "data-testid=declarations")
        editable = sorted({int(pk) for pk in ENTRY.findall(" ".join(f'name="{key}"' for key in data))})
        if not editable:
            return
        values = {pk: str(random.randint(0, 999)) for pk in editable}
        data["submit" if submit else "save"] = ""
        data.update({f"i{pk}-value": value for pk, value in values.items()})
        status = "soumise" if submit else "brouillon"
        year = MANIFEST["year"]
        for pk, value in values.items():
            record(kind="declaration", event="attempt", user=self.username, indicator=pk, year=year, value=value)
        answer = self.post(self.declare_path, data, name=f"{name} [{'soumettre' if submit else 'brouillon'}]")
        said = alerts(answer.text)
        success = answer.ok and any(level == "success" for level, _text in said)
        for pk, value in values.items():
            record(
                kind="declaration",
                event="ack" if success else "refused",
                user=self.username,
                indicator=pk,
                year=year,
                value=value,
                status=status,
                message=" / ".join(text for _level, text in said)[:300],
            )

    @task(4)
    def save_draft(self):
        self._declare(submit=False)

    @task(2)
    def submit(self):
        self._declare(submit=True)

    @task(1)
    def browse(self):
        self.client.get("/", name="/")
        self.client.get("/cpom/", name="/cpom/")


class NegotiatorUser(CpomUser):
    """An ARS negotiator: CPOM pages, a commitment edited with its edit token,
    the campaign's dashboard and its validation queue."""

    weight = 1

    def on_start(self):
        negotiators = MANIFEST["negotiators"]
        self.username = negotiators[next(_negotiators) % len(negotiators)]
        super().on_start()
        self.campaign = MANIFEST["campaign"]

    @task(2)
    def cpom_list(self):
        self.client.get("/cpom/", name="/cpom/")

    @task(2)
    def cpom_page(self):
        self.client.get(f"/cpom/{random.choice(MANIFEST['cpoms'])}/", name="/cpom/[id]/")

    @task(3)
    def edit_commitment(self):
        pk = random.choice(MANIFEST["commitments"])
        path = f"/engagements/{pk}/modifier/"
        page = self.client.get(path, name="/engagements/[id]/modifier/")
        fields = form_fields(page.text, "data-commitment-form")
        if not fields.get("edit_token"):
            return
        base = int(fields["edit_token"])
        objective = f"Organiser l’aval des courts séjours vers les soins de suite (révision {self.username} {random.randint(0, 10**9)})."
        fields["objective"] = objective
        record(
            kind="commitment",
            event="attempt",
            user=self.username,
            commitment=pk,
            base_token=base,
            objective=objective,
        )
        answer = self.post(path, fields, name="/engagements/[id]/modifier/ [POST]")
        said = alerts(answer.text)
        success = answer.ok and any(level == "success" and "enregistré" in text for level, text in said)
        record(
            kind="commitment",
            event="ack" if success else "refused",
            user=self.username,
            commitment=pk,
            base_token=base,
            objective=objective,
            message=" / ".join(text for _level, text in said)[:300],
        )

    @task(1)
    def dashboard(self):
        self.client.get(f"/suivi/campagnes/{self.campaign}/", name="/suivi/campagnes/[id]/")

    @task(4)
    def decide(self):
        queue = f"/suivi/campagnes/{self.campaign}/validation/?status=soumise"
        page = self.client.get(queue, name="/suivi/campagnes/[id]/validation/")
        waiting = VALIDATE.findall(page.text)
        if not waiting:
            return
        pk = int(random.choice(waiting))
        token = CSRF.search(page.text).group(1)
        if random.random() < 0.7:
            decision, path, data = "validee", f"/suivi/declarations/{pk}/valider/", {}
        else:
            decision, path = "renvoyee", f"/suivi/declarations/{pk}/renvoyer/"
            data = {"reason": "Valeur à vérifier avec le compte rendu du comité de suivi (test de charge)."}
        data.update(csrfmiddlewaretoken=token, next=queue)
        record(kind="decision", event="attempt", user=self.username, declaration=pk, decision=decision)
        answer = self.post(
            path, data, name=f"/suivi/declarations/[id]/{path.rstrip('/').rsplit('/', 1)[-1]}/", referer=queue
        )
        said = alerts(answer.text)
        success = answer.ok and any(level == "success" for level, _text in said)
        record(
            kind="decision",
            event="ack" if success else "refused",
            user=self.username,
            declaration=pk,
            decision=decision,
            message=" / ".join(text for _level, text in said)[:300],
        )
