"""Error reporting: off without SENTRY_DSN; on, nothing personal leaves the
site (config/sentry.py scrubs every event before it is sent)."""

import copy
import json
import logging
import os
import subprocess
import sys
from wsgiref.util import setup_testing_defaults

import pytest
import sentry_sdk
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.wsgi import WSGIHandler
from sentry_sdk.transport import Transport

from config.sentry import FILTERED, init_sentry, scrub_event

EMAIL = "dir.a@ch-alpha.fr"
IP = "192.0.2.10"
SECRETS = (EMAIL, "ch-alpha", "dir_a", IP, "s3cr3t", "sessionid=abc123", "abc123", "motdepasse")

SAMPLE = {
    "level": "error",
    "message": f"Courriel non remis à {EMAIL}",
    "logentry": {
        "message": "Courriel « %s » non remis à %s",
        "params": ["Objet", EMAIL],
        "formatted": f"Courriel « Objet » non remis à {EMAIL}",
    },
    "exception": {
        "values": [
            {
                "type": "SMTPRecipientsRefused",
                "value": f"{{'{EMAIL}': (550, b'5.1.1 User unknown')}}",
                "stacktrace": {"frames": [{"filename": "core/mail.py", "function": "send", "lineno": 120}]},
            }
        ]
    },
    "user": {"id": "42", "email": EMAIL, "username": "dir_a", "ip_address": IP},
    "request": {
        "url": "https://cpom.ars.sante.fr/suivi/mes-indicateurs/?email=dir.a%40ch-alpha.fr",
        "method": "POST",
        "query_string": "email=dir.a%40ch-alpha.fr",
        "cookies": {"sessionid": "abc123", "csrftoken": "t0k3n"},
        "data": {"password": "motdepasse", "value": "12"},
        "headers": {
            "Authorization": "Bearer s3cr3t",
            "Cookie": "sessionid=abc123",
            "X-Forwarded-For": IP,
            "User-Agent": "Mozilla/5.0",
        },
        "env": {"REMOTE_ADDR": IP, "SERVER_NAME": "web"},
    },
    "breadcrumbs": {
        "values": [
            {"category": "access.refused", "message": f"refus pour {EMAIL}", "data": {"username": "dir_a"}},
            {
                "category": "httplib",
                "data": {"url": "https://api.example.fr/x?token=s3cr3t", "http.query": "token=s3cr3t"},
            },
        ]
    },
    "extra": {"recipient": EMAIL, "sessionid": "abc123"},
}


def test_the_scrubber_removes_personal_data():
    event = scrub_event(copy.deepcopy(SAMPLE), {})
    dumped = json.dumps(event, ensure_ascii=False)
    assert not [secret for secret in SECRETS if secret in dumped], dumped
    assert event["user"] == {"id": "42"}
    request = event["request"]
    assert "cookies" not in request and "data" not in request and "query_string" not in request
    assert request["url"] == "https://cpom.ars.sante.fr/suivi/mes-indicateurs/"
    assert request["headers"]["Authorization"] == request["headers"]["Cookie"] == FILTERED
    assert request["headers"]["X-Forwarded-For"] == FILTERED
    assert request["env"] == {"SERVER_NAME": "web"}
    # What helps to understand the error stays.
    assert event["logentry"]["formatted"] == f"Courriel « Objet » non remis à {FILTERED}"
    assert event["message"] == f"Courriel non remis à {FILTERED}"
    assert event["exception"]["values"][0]["type"] == "SMTPRecipientsRefused"
    assert "550" in event["exception"]["values"][0]["value"]
    assert request["headers"]["User-Agent"] == "Mozilla/5.0" and request["method"] == "POST"
    assert event["breadcrumbs"]["values"][1]["data"] == {"url": "https://api.example.fr/x"}


def test_the_scrubber_finds_an_address_written_anywhere():
    event = scrub_event({"extra": {"list": [("à", "Jean.Dupont+cpom@ars.sante.fr")], "n": 3}}, {})
    assert event["extra"] == {"list": [["à", FILTERED]], "n": 3}


def _settings_in_a_new_process(**env):
    """Sentry's client as config.settings leaves it, read in a fresh process."""
    code = (
        "import json, django, sentry_sdk; django.setup(); c = sentry_sdk.get_client(); o = c.options; "
        "print(json.dumps({'active': c.is_active(), 'pii': o.get('send_default_pii'), 'env': o.get('environment'), "
        "'release': o.get('release'), 'rate': o.get('traces_sample_rate'), "
        "'before_send': getattr(o.get('before_send'), '__name__', None), "
        "'integrations': sorted(getattr(c, 'integrations', {}))}))"
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    environ.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    out = subprocess.run(
        [sys.executable, "-c", code], env=environ, cwd=settings.BASE_DIR, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_sentry_is_off_without_a_dsn():
    assert _settings_in_a_new_process()["active"] is False
    if not os.environ.get("SENTRY_DSN"):
        assert not sentry_sdk.get_client().is_active()


def test_sentry_is_on_with_a_dsn_and_sends_no_personal_data():
    client = _settings_in_a_new_process(
        SENTRY_DSN="https://cle@sentry.invalid/1",
        SENTRY_ENVIRONMENT="recette",
        SENTRY_RELEASE="cpom-volet3@1.4.0",
        SENTRY_TRACES_SAMPLE_RATE="0.25",
    )
    assert client["active"] is True and client["pii"] is False and client["before_send"] == "scrub_event"
    assert (client["env"], client["release"], client["rate"]) == ("recette", "cpom-volet3@1.4.0", 0.25)
    assert {"django", "celery"} <= set(client["integrations"])


@pytest.mark.parametrize("rate", ["beaucoup", "2"])
def test_a_wrong_sample_rate_is_refused_at_start(rate):
    with pytest.raises(ImproperlyConfigured, match="SENTRY_TRACES_SAMPLE_RATE"):
        init_sentry("https://cle@sentry.invalid/1", traces_sample_rate=rate)
    assert not sentry_sdk.get_client().is_active()


class _Capture(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.events = []

    def capture_envelope(self, envelope):
        self.events += [item.payload.json for item in envelope.items if item.type in ("event", "transaction")]


@pytest.fixture
def sentry_events():
    """Sentry started as in production, its events kept here instead of sent."""
    transport = _Capture()
    init_sentry("https://cle@sentry.invalid/1", environment="test", release="cpom@test", transport=transport)
    yield transport.events
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


def test_a_logged_mail_failure_reaches_sentry_without_the_address(sentry_events):
    with sentry_sdk.isolation_scope() as scope:
        scope.set_user({"id": 7, "email": EMAIL, "username": "dir_a", "ip_address": IP})
        logging.getLogger("mail").error("Courriel « %s » non remis à %s : %s.", "Objet", EMAIL, "550 User unknown")
    (event,) = sentry_events
    dumped = json.dumps(event, ensure_ascii=False)
    assert not [secret for secret in SECRETS if secret in dumped], dumped
    assert event["logentry"]["formatted"] == f"Courriel « Objet » non remis à {FILTERED} : 550 User unknown."
    assert event["user"] == {"id": 7} and event["environment"] == "test" and event["release"] == "cpom@test"


@pytest.mark.django_db
def test_a_failing_request_reaches_sentry_without_personal_data(sentry_events, settings):
    """Through Django's WSGI handler, as gunicorn calls it (Sentry wraps it to read the request)."""
    settings.ROOT_URLCONF = "tests.sentry_urls"
    environ = {
        "PATH_INFO": "/panne/",
        "QUERY_STRING": "email=dir.a%40ch-alpha.fr",
        "HTTP_HOST": "testserver",
        "HTTP_AUTHORIZATION": "Bearer s3cr3t",
        "HTTP_COOKIE": "sessionid=abc123",
        "HTTP_X_FORWARDED_FOR": IP,
        "REMOTE_ADDR": IP,
    }
    setup_testing_defaults(environ)
    statuses = []
    b"".join(WSGIHandler()(environ, lambda status, headers, exc_info=None: statuses.append(status)))
    assert statuses == ["500 Internal Server Error"]
    (event,) = [e for e in sentry_events if e.get("exception")]
    dumped = json.dumps(event, ensure_ascii=False)
    assert not [secret for secret in SECRETS if secret in dumped], dumped
    assert event["exception"]["values"][-1]["value"] == f"Panne en traitant la demande de {FILTERED}"
    request = event["request"]
    assert request["url"] == "http://testserver/panne/" and request["method"] == "GET"
    assert "query_string" not in request and "cookies" not in request
    assert request["headers"]["Authorization"] == FILTERED and "REMOTE_ADDR" not in request.get("env", {})
