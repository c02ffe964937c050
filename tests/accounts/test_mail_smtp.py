"""The account emails: through a real local SMTP server started here
(aiosmtpd), and the deactivation of unused accounts after a warning (locmem)."""

import datetime
import socket

import pytest
from aiosmtpd.controller import Controller
from django.core import mail as outbox
from django.core.management import call_command
from django.utils import timezone

from accounts import invitations
from accounts.models import GrantKind
from tests.accounts.factories import UserFactory
from tests.cooperations.factories import LegalEntityFactory, department

# Emails are delivered in this process (eager tasks), in the test's transaction, in every mode.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager")]


class Keep:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(envelope)
        return "250 OK"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_invitation_goes_through_a_real_smtp_server(settings, django_capture_on_commit_callbacks):
    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.SITE_URL = "https://cpom.example.fr"
        manager = UserFactory(manager=True)
        entity = LegalEntityFactory(department=department("75"))
        with django_capture_on_commit_callbacks(execute=True):
            _invitation, token = invitations.invite(manager, "dir@ch.test", GrantKind.DIRECTOR, legal_entity=entity)
    finally:
        controller.stop()
    (envelope,) = handler.messages
    assert envelope.rcpt_tos == ["dir@ch.test"]
    body = envelope.content.decode()
    assert "multipart/alternative" in body and "text/html" in body
    assert "https://cpom.example.fr/" in body and token[:10] in body


def test_unused_accounts_are_warned_then_deactivated(settings):
    settings.ACCOUNT_INACTIVITY_DAYS, settings.ACCOUNT_WARNING_DAYS = 30, 7
    old = timezone.now() - datetime.timedelta(days=60)
    sleeper = UserFactory(negotiator=True, email="s@ars.test", last_login=old)
    active = UserFactory(negotiator=True, email="a@ars.test", last_login=timezone.now())
    call_command("deactivate_unused_accounts")
    assert [m.to for m in outbox.outbox] == [["s@ars.test"]]
    assert "désactivé" in outbox.outbox[0].subject
    sleeper.refresh_from_db()
    assert sleeper.is_active and sleeper.deactivation_warned_at
    call_command("deactivate_unused_accounts")  # within the grace period: nothing
    sleeper.refresh_from_db()
    assert sleeper.is_active and len(outbox.outbox) == 1
    sleeper.deactivation_warned_at = timezone.now() - datetime.timedelta(days=8)
    sleeper.save()
    call_command("deactivate_unused_accounts")
    sleeper.refresh_from_db()
    active.refresh_from_db()
    assert not sleeper.is_active and active.is_active
