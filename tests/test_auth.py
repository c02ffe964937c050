"""Logging in and out, and the lockout after repeated failures (django-axes)."""

import pytest
from django.urls import reverse

from accounts.models import Role
from tests.accounts.factories import UserFactory

PASSWORD = "un-mot-de-passe-solide-2026"


@pytest.fixture
def agent(db):
    user = UserFactory(username="agent", role=Role.ADMIN)
    user.set_password(PASSWORD)
    user.save()
    return user


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_and_logout(client, agent):
    response = _login(client, "agent", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    # An administrator's password session gives its second factor first (tests/accounts/test_second_factor.py).
    assert client.get(reverse("home"))["Location"].startswith(reverse("otp_setup"))
    assert client.get(reverse("logout")).status_code == 405  # a GET never logs out
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_a_wrong_password_is_refused_in_french(client, agent):
    response = _login(client, "agent", "faux")
    assert response.status_code == 200 and "Identifiant ou mot de passe incorrect." in response.content.decode()


def test_five_failures_lock_the_account_from_that_address(client, agent, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "agent", "faux")
    response = _login(client, "agent", PASSWORD)  # even the right password, now
    assert response.status_code == 429 and "Connexion suspendue" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302
    other = UserFactory(username="autre", role=Role.ADMIN)
    other.set_password(PASSWORD)
    other.save()
    assert _login(client, "autre", PASSWORD).status_code == 302  # another user name is not locked
