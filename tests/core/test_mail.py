"""Emails never vanish in silence: core.mail composes a safe subject, renders
a French text and HTML message on SITE_URL, sends one task per recipient, logs
every failure at ERROR with its reason and retries those that may pass,
without resending to the recipients already served."""

import email
import email.policy
import logging
import re
import smtplib
import socket
import uuid
from dataclasses import asdict

import pytest
from aiosmtpd.controller import Controller
from django.core import mail as outbox

from accounts.models import Role
from core import mail
from indicators import notifications, services
from tests.accounts.factories import UserFactory
from tests.core.flaky_backend import FlakyBackend

pytestmark = pytest.mark.usefixtures("follow_up_scenario")

SITE = "https://cpom.ars.example.fr"


@pytest.fixture
def flaky(settings, eager):
    settings.EMAIL_BACKEND = "tests.core.flaky_backend.FlakyBackend"
    FlakyBackend.reset()
    yield FlakyBackend
    FlakyBackend.reset()


@pytest.fixture
def directors(world):
    """Three directors of entity A, the one whose value is sent back."""
    entity = world["entities"]["a"]
    world["users"]["director"].email = "dir.a@ch-alpha.fr"
    world["users"]["director"].save()
    for name in ("panne", "adjoint"):
        UserFactory(role=Role.DIRECTOR, legal_entity=entity, email=f"dir.{name}@ch-alpha.fr")
    return ["dir.a@ch-alpha.fr", "dir.panne@ch-alpha.fr", "dir.adjoint@ch-alpha.fr"]


def _send_back(world, django_capture_on_commit_callbacks, motive="Chiffre à justifier"):
    with django_capture_on_commit_callbacks(execute=True):
        services.send_back(world["users"]["negotiator"], world["declaration_a"], motive)


def _relabel(world, label):
    """The label of the indicator sent back (its CPOM is signed: written past the freeze, as an amendment would)."""
    indicator = world["declaration_a"].indicator
    type(indicator).objects.filter(pk=indicator.pk).update(label=label)


def _mail_records(caplog):
    return [r for r in caplog.records if r.name == "mail" and r.levelno == logging.ERROR]


# --- The subject -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Taux de\nfuite", "Taux de fuite"),
        ("Taux\r\nBcc: pirate@exemple.fr", "Taux Bcc: pirate@exemple.fr"),
        ("a\x00b\x1bc\x7fd", "a b c d"),
        ("ligne\u2028séparée\u2029ici\x85fin", "ligne séparée ici fin"),
        ("  espaces \t multiples  ", "espaces multiples"),
    ],
)
def test_a_subject_is_one_clean_line(raw, clean):
    assert mail.clean_subject(raw) == clean


def test_a_subject_is_bounded():
    subject = mail.clean_subject("é" * 500)
    assert len(subject) == mail.SUBJECT_MAX_LENGTH and subject.endswith("…")
    assert mail.clean_subject("court") == "court"


@pytest.mark.parametrize("address", ["dir@ch-alpha.fr", "prenom.nom+cpom@ars.sante.fr"])
def test_valid_addresses(address):
    assert mail.is_valid_address(address)


@pytest.mark.parametrize("address", ["", "pas-une-adresse", "dir@ch-alpha.fr\nBcc: x@y.fr", "a@b", None, "a b@c.fr"])
def test_invalid_addresses(address):
    assert not mail.is_valid_address(address)


def test_a_label_with_line_breaks_still_reaches_the_director(world, eager, django_capture_on_commit_callbacks):
    """It made Django raise BadHeaderError, and the email was lost."""
    world["users"]["director"].email = "dir.a@ch-alpha.fr"
    world["users"]["director"].save()
    _relabel(world, "Taux de\nfuite\r\nBcc: pirate@exemple.fr")
    _send_back(world, django_capture_on_commit_callbacks)
    (message,) = outbox.outbox
    assert message.to == ["dir.a@ch-alpha.fr"] and message.bcc == [] and message.cc == []
    assert message.subject == "[CPOM Volet 3] Valeur renvoyée pour correction : Taux de fuite Bcc: pirate@exemple.fr"
    headers = message.message()
    assert headers["Bcc"] is None and "\n" not in str(headers["Subject"]).replace("\n ", "")
    assert "Chiffre à justifier" in message.body


# --- The message -------------------------------------------------------------------------------


def test_text_and_html_in_french_with_links_on_site_url(
    world, eager, settings, django_capture_on_commit_callbacks, directors
):
    settings.SITE_URL = SITE + "/"
    _relabel(world, "Part d’actes « partagés » & co")
    _send_back(world, django_capture_on_commit_callbacks, motive="Écart de 20 % à l'année précédente")
    message = outbox.outbox[0]
    # Text: written as is (nothing escaped), the link absolute on SITE_URL, the footer saying why.
    assert message.body.startswith("Bonjour,\n\nL’ARS vous renvoie pour correction la valeur")
    assert "« Part d’actes « partagés » & co »" in message.body
    assert "Motif : Écart de 20 % à l'année précédente" in message.body
    assert f"Corriger la valeur : {SITE}/suivi/mes-indicateurs/" in message.body
    assert "Vous recevez ce courriel parce que vous dirigez un établissement" in message.body
    # HTML: the same, escaped, in French, every link on SITE_URL.
    ((html, content_type),) = message.alternatives
    assert content_type == "text/html"
    assert '<html lang="fr">' in html and "République<br>française" in html
    assert "Part d’actes « partagés » &amp; co" in html and "l&#x27;année" in html
    assert "Vous recevez ce courriel parce que vous dirigez un établissement" in html
    links = re.findall(r'href="([^"]+)"', html)
    assert f"{SITE}/suivi/mes-indicateurs/" in links
    assert links and all(link.startswith(SITE + "/") for link in links)
    assert "{{" not in html and "{%" not in html and "{{" not in message.body


def test_the_reminder_speaks_plural(world, eager):
    from indicators.follow_up import reminder_recipients

    world["users"]["director"].email = "dir.a@ch-alpha.fr"
    world["users"]["director"].save()
    campaign = world["campaign_idf"]
    ((director, missing),) = reminder_recipients(campaign)
    assert notifications.campaign_reminder(campaign) == 1
    expected = "1 valeur à soumettre" if missing == 1 else f"{missing} valeurs à soumettre"
    assert expected in outbox.outbox[0].body and expected in outbox.outbox[0].alternatives[0][0]


# --- Failures ----------------------------------------------------------------------------------


def test_a_refused_recipient_is_logged_and_retried_the_others_get_it_once(
    world, eager, flaky, caplog, django_capture_on_commit_callbacks, directors
):
    flaky.refuse(
        "dir.panne@ch-alpha.fr",
        smtplib.SMTPRecipientsRefused({"dir.panne@ch-alpha.fr": (450, b"4.2.1 Mailbox busy")}),
        times=2,
    )
    with caplog.at_level(logging.ERROR, logger="mail"):
        _send_back(world, django_capture_on_commit_callbacks)
    # Refused twice, delivered at the third attempt; the others once each.
    assert sorted(m.to[0] for m in outbox.outbox) == sorted(directors)
    assert flaky.attempts.count("dir.panne@ch-alpha.fr") == 3
    assert flaky.attempts.count("dir.a@ch-alpha.fr") == flaky.attempts.count("dir.adjoint@ch-alpha.fr") == 1
    records = _mail_records(caplog)
    assert len(records) == 2
    assert all(
        "dir.panne@ch-alpha.fr" in r.getMessage() and "450 4.2.1 Mailbox busy" in r.getMessage() for r in records
    )


def test_a_server_down_for_one_recipient_is_retried_then_given_up_loudly(flaky, caplog):
    flaky.refuse("b@ch-bravo.fr", smtplib.SMTPServerDisconnected("Connection unexpectedly closed"))
    mails = [mail.Mail(to=f"{n}@ch-bravo.fr", subject="Objet", text="Texte", html="<p>HTML</p>") for n in "abc"]
    with caplog.at_level(logging.ERROR, logger="mail"):
        assert mail.send_each(mails) == 2
    assert flaky.attempts.count("b@ch-bravo.fr") == mail.MAX_RETRIES + 1
    assert sorted(m.to[0] for m in outbox.outbox) == ["a@ch-bravo.fr", "c@ch-bravo.fr"]
    messages = [r.getMessage() for r in _mail_records(caplog)]
    assert sum("SMTPServerDisconnected: Connection unexpectedly closed" in m for m in messages) == 6
    assert messages[-1] == f"Courriel « Objet » à b@ch-bravo.fr abandonné après {mail.MAX_RETRIES + 1} tentatives."


def test_an_address_refused_for_good_is_logged_not_retried(flaky, caplog):
    flaky.refuse("b@ch-bravo.fr", smtplib.SMTPRecipientsRefused({"b@ch-bravo.fr": (550, b"5.1.1 User unknown")}))
    mails = [mail.Mail(to=f"{n}@ch-bravo.fr", subject="Objet", text="Texte", html="<p>HTML</p>") for n in "abc"]
    with caplog.at_level(logging.ERROR, logger="mail"):
        assert mail.send_each(mails) == 2  # run here (no broker): the number delivered
    assert flaky.attempts.count("b@ch-bravo.fr") == 1
    assert sorted(m.to[0] for m in outbox.outbox) == ["a@ch-bravo.fr", "c@ch-bravo.fr"]
    (record,) = _mail_records(caplog)
    assert "b@ch-bravo.fr" in record.getMessage() and "550 5.1.1 User unknown" in record.getMessage()


def test_a_bad_address_is_logged_and_the_others_still_go(flaky, caplog):
    mails = [
        mail.Mail(to=to, subject="Objet", text="Texte", html="<p>HTML</p>")
        for to in ("a@ch-bravo.fr", "a@ch-bravo.fr\nBcc: x@y.fr", "c@ch-bravo.fr")
    ]
    with caplog.at_level(logging.ERROR, logger="mail"):
        assert mail.send_each(mails) == 2
    assert [m.to for m in outbox.outbox] == [["a@ch-bravo.fr"], ["c@ch-bravo.fr"]]
    (record,) = _mail_records(caplog)
    assert "adresse invalide" in record.getMessage()


@pytest.fixture
def celery_retries():
    """Celery's own retry machinery run inline: eager, without propagating."""
    from config.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


def test_the_task_retries_with_its_own_settings(flaky, celery_retries):
    message = asdict(mail.Mail(to="b@ch-bravo.fr", subject="Objet", text="Texte", html="<p>HTML</p>"))
    flaky.refuse("b@ch-bravo.fr", smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), times=2)
    result = mail.deliver.apply(args=[message])
    assert result.successful() and result.result is True and flaky.attempts == ["b@ch-bravo.fr"] * 3
    flaky.reset()
    flaky.refuse("b@ch-bravo.fr", smtplib.SMTPServerDisconnected("Connection unexpectedly closed"))
    result = mail.deliver.apply(args=[message])
    assert result.failed() and isinstance(result.result, mail.MailDeliveryError)
    assert flaky.attempts == ["b@ch-bravo.fr"] * (mail.MAX_RETRIES + 1) and len(outbox.outbox) == 1


def test_a_delivery_redelivered_after_success_sends_nothing(flaky):
    message = asdict(mail.Mail(to="a@ch-bravo.fr", subject="Objet", text="Texte", html="<p>HTML</p>"))
    task_id = str(uuid.uuid4())
    assert mail.deliver.apply(args=[message], task_id=task_id).get() is True
    assert mail.deliver.apply(args=[message], task_id=task_id).get() is True
    assert len(outbox.outbox) == 1
    mail.deliver.apply(args=[message], task_id=str(uuid.uuid4())).get()
    assert len(outbox.outbox) == 2


# --- Through a real SMTP server ----------------------------------------------------------------


class _Recorder:
    def __init__(self, refuse=None):
        self.envelopes = []
        self.refuse = refuse or {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's hook name
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    handler = _Recorder({"absent@ch-alpha.fr": "550 5.1.1 Unknown user"})
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    yield handler
    controller.stop()


def test_sent_through_a_real_smtp_server(world, eager, settings, smtp_server, django_capture_on_commit_callbacks):
    settings.SITE_URL = SITE
    world["users"]["director"].email = "dir.a@ch-alpha.fr"
    world["users"]["director"].save()
    _relabel(world, "Taux\nde fuite")
    _send_back(world, django_capture_on_commit_callbacks)
    (envelope,) = smtp_server.envelopes
    assert envelope.rcpt_tos == ["dir.a@ch-alpha.fr"] and envelope.mail_from == settings.DEFAULT_FROM_EMAIL
    received = email.message_from_bytes(envelope.content, policy=email.policy.default)
    # Folded by Python's email package after "Subject:": clients drop the fold's leading space.
    assert received["Subject"].strip() == "[CPOM Volet 3] Valeur renvoyée pour correction : Taux de fuite"
    assert received["To"] == "dir.a@ch-alpha.fr"
    assert received.get_content_type() == "multipart/alternative"
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert f"Corriger la valeur : {SITE}/suivi/mes-indicateurs/" in text
    assert f'href="{SITE}/suivi/mes-indicateurs/"' in html and '<html lang="fr">' in html


def test_a_real_refusal_is_logged_and_not_retried(smtp_server, eager, caplog):
    mails = [
        mail.Mail(to=to, subject="Objet", text="Texte", html="<p>HTML</p>")
        for to in ("absent@ch-alpha.fr", "dir.a@ch-alpha.fr")
    ]
    with caplog.at_level(logging.ERROR, logger="mail"):
        assert mail.send_each(mails) == 1
    assert [e.rcpt_tos for e in smtp_server.envelopes] == [["dir.a@ch-alpha.fr"]]
    (record,) = _mail_records(caplog)
    assert "absent@ch-alpha.fr" in record.getMessage() and "550 5.1.1 Unknown user" in record.getMessage()


def test_a_real_temporary_refusal_is_retried(smtp_server, caplog):
    smtp_server.refuse["plein@ch-alpha.fr"] = "452 4.2.2 Mailbox full"
    with caplog.at_level(logging.ERROR, logger="mail"):
        with pytest.raises(mail.MailDeliveryError, match="452"):
            mail.send(mail.Mail(to="plein@ch-alpha.fr", subject="Objet", text="Texte", html="<p>HTML</p>"))
    (record,) = _mail_records(caplog)
    assert "refus temporaire" in record.getMessage()


def test_a_server_down_is_retried(settings, caplog):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _free_port(), 2
    with caplog.at_level(logging.ERROR, logger="mail"):
        with pytest.raises(mail.MailDeliveryError, match="ConnectionRefusedError"):
            mail.send(mail.Mail(to="dir.a@ch-alpha.fr", subject="Objet", text="Texte", html="<p>HTML</p>"))
    (record,) = _mail_records(caplog)
    assert "dir.a@ch-alpha.fr" in record.getMessage() and "ConnectionRefusedError" in record.getMessage()
