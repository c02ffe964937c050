"""The TOTP second factor: required after a password login for an ARS role,
offered to the others; sessions opened otherwise (ProConnect, force_login)
are not asked."""

import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role
from accounts.second_factor import is_required
from tests.accounts.factories import UserFactory
from tests.accounts.totp import code_for
from tests.cooperations.factories import LegalEntityFactory

pytestmark = pytest.mark.django_db

PASSWORD = "motdepasse-test-123"


def _login(client, user, next_url=None):
    data = {"username": user.username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


def _secret(page):
    return re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page).group(1)


@pytest.mark.parametrize(
    "traits",
    [{"admin": True}, {"negotiator": True}, {"role": Role.OBSERVER}, {"negotiator": True, "manager": True}],
)
def test_an_ars_password_login_must_set_up_the_second_factor_before_any_page(client, traits):
    user = UserFactory(**traits)
    assert _login(client, user).status_code == 302
    for page in (reverse("home"), reverse("portal:sitemap"), reverse("otp_settings")):
        response = client.get(page)
        assert response.status_code == 302 and response["Location"].startswith(reverse("otp_setup")), page
    setup = client.get(reverse("otp_setup"))
    assert setup.status_code == 200
    page = setup.content.decode()
    assert 'src="data:image/svg+xml;base64,' in page
    secret = _secret(page)
    wrong = client.post(reverse("otp_setup"), {"code": "000000" if code_for(secret) != "000000" else "111111"})
    assert wrong.status_code == 200 and "Code incorrect" in wrong.content.decode()
    assert client.get(reverse("home")).status_code == 302
    done = client.post(reverse("otp_setup"), {"code": code_for(secret), "next": reverse("portal:sitemap")})
    assert done["Location"] == reverse("portal:sitemap")
    assert client.get(reverse("home")).status_code == 200
    assert TOTPDevice.objects.get(user=user).confirmed


def test_a_set_up_agent_enters_his_code_at_the_next_login(client):
    user = UserFactory(negotiator=True)
    _login(client, user)
    secret = _secret(client.get(reverse("otp_setup")).content.decode())
    client.post(reverse("otp_setup"), {"code": code_for(secret)})
    client.post(reverse("logout"))

    _login(client, user, next_url=reverse("portal:sitemap"))
    response = client.get(reverse("portal:sitemap"))
    assert response["Location"].startswith(reverse("otp_verify"))
    # The setup page does not hand out a new key to a session that has not given the code.
    assert client.get(reverse("otp_setup"))["Location"].startswith(reverse("otp_verify"))
    refused = client.post(reverse("otp_verify"), {"code": "12345a"})
    assert refused.status_code == 200 and client.get(reverse("home")).status_code == 302
    verified = client.post(
        reverse("otp_verify"), {"code": code_for(secret, drift=1), "next": reverse("portal:sitemap")}
    )
    assert verified["Location"] == reverse("portal:sitemap")
    assert client.get(reverse("home")).status_code == 200


def test_the_next_address_of_the_second_factor_stays_on_the_site(client):
    user = UserFactory(negotiator=True)
    _login(client, user)
    secret = _secret(client.get(reverse("otp_setup")).content.decode())
    response = client.post(reverse("otp_setup"), {"code": code_for(secret), "next": "https://ailleurs.example/"})
    assert response["Location"] == reverse("home")


def test_a_director_is_not_asked_and_may_choose_it(client):
    user = UserFactory(director=True, legal_entity=LegalEntityFactory())
    _login(client, user)
    assert client.get(reverse("home")).status_code == 200
    assert not is_required(user)
    settings_page = client.get(reverse("otp_settings")).content.decode()
    assert "Non activée" in settings_page
    secret = _secret(client.get(reverse("otp_setup")).content.decode())
    client.post(reverse("otp_setup"), {"code": code_for(secret)})
    assert is_required(user)
    client.post(reverse("logout"))
    _login(client, user)
    assert client.get(reverse("home"))["Location"].startswith(reverse("otp_verify"))
    client.post(reverse("otp_verify"), {"code": code_for(secret, drift=1)})
    # Chosen, it can be removed by its holder.
    assert client.post(reverse("otp_settings")).status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_an_ars_agent_cannot_remove_it(client):
    user = UserFactory(negotiator=True)
    _login(client, user)
    secret = _secret(client.get(reverse("otp_setup")).content.decode())
    client.post(reverse("otp_setup"), {"code": code_for(secret)})
    assert client.post(reverse("otp_settings")).status_code == 403
    assert TOTPDevice.objects.filter(user=user).exists()


def test_sessions_not_opened_by_the_password_form_are_not_asked(client):
    client.force_login(UserFactory(negotiator=True))
    assert client.get(reverse("home")).status_code == 200


def test_the_code_tries_are_throttled(client):
    """After a wrong code, even the right one waits (django-otp doubles the wait at each failure)."""
    user = UserFactory(negotiator=True)
    _login(client, user)
    secret = _secret(client.get(reverse("otp_setup")).content.decode())
    client.post(reverse("otp_setup"), {"code": code_for(secret)})
    client.post(reverse("logout"))
    _login(client, user)
    client.post(reverse("otp_verify"), {"code": "000000" if code_for(secret, 1) != "000000" else "111111"})
    throttled = client.post(reverse("otp_verify"), {"code": code_for(secret, drift=1)})
    assert throttled.status_code == 200 and "Trop d’essais" in throttled.content.decode()
    assert client.get(reverse("home")).status_code == 302
    assert TOTPDevice.objects.get(user=user).throttling_failure_count == 1


def test_the_admin_login_is_the_site_login_and_its_second_factor(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"] == reverse("login") + "?next=/admin/"
    admin = UserFactory(admin=True)
    _login(client, admin, next_url="/admin/")
    assert client.get("/admin/")["Location"].startswith(reverse("otp_setup"))


def test_a_code_serves_once(client):
    user = UserFactory(negotiator=True)
    _login(client, user)
    secret = _secret(client.get(reverse("otp_setup")).content.decode())
    client.post(reverse("otp_setup"), {"code": code_for(secret)})
    client.post(reverse("logout"))
    _login(client, user)
    replayed = client.post(reverse("otp_verify"), {"code": code_for(secret)})
    assert replayed.status_code == 200 and client.get(reverse("home")).status_code == 302
