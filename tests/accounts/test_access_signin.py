"""The sign-in's pages per role, with ProConnect configured (a local
provider) and sessions opened by the password form (owing the second factor
when they hold an ARS role). The main table (tests/cooperations/test_access.py)
has them unconfigured and with force_login sessions."""

import pytest
from django.urls import reverse

from accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.accounts.oidc import local_proconnect
from tests.cooperations.factories import LegalEntityFactory

ROLES = ["anonymous", "admin", "negotiator", "observer", "director"]
PASSWORD = "motdepasse-test-123"


def _people():
    return {
        "admin": UserFactory(admin=True),
        "negotiator": UserFactory(negotiator=True),
        "observer": UserFactory(role=Role.OBSERVER),
        "director": UserFactory(director=True, legal_entity=LegalEntityFactory()),
    }


# name, args builder, expected status per role (ROLES order); ARS roles are held at the second factor (302).
TABLE = [
    ("login", lambda p: [], [200, 302, 302, 302, 302]),
    ("proconnect_login", lambda p: [], [302, 302, 302, 302, 302]),
    ("proconnect_callback", lambda p: [], [302, 302, 302, 302, 302]),
    ("password_reset", lambda p: [], [200, 302, 302, 302, 200]),
    ("password_reset_done", lambda p: [], [200, 302, 302, 302, 200]),
    ("password_reset_confirm", lambda p: ["MQ", "bad-token"], [200, 302, 302, 302, 200]),
    ("password_reset_complete", lambda p: [], [200, 302, 302, 302, 200]),
    ("otp_settings", lambda p: [], [302, 302, 302, 302, 200]),
    ("otp_setup", lambda p: [], [302, 200, 200, 200, 200]),
    ("otp_verify", lambda p: [], [302, 302, 302, 302, 302]),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "args", "statuses"), TABLE)
def test_role_gets_expected_status(client, settings, name, args, statuses):
    with local_proconnect(settings):
        people = _people()
        for role, expected in zip(ROLES, statuses, strict=True):
            client.logout()
            if role != "anonymous":
                assert client.post(reverse("login"), {"username": people[role].username, "password": PASSWORD})
            response = client.get(reverse(name, args=args(people)))
            assert response.status_code == expected, f"{role} on {name}: {response.status_code}"
            if role in ("admin", "negotiator", "observer") and expected == 302 and name != "login":
                assert response["Location"].startswith(reverse("otp_setup")), f"{role} on {name}"
