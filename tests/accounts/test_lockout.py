"""The login lockout (accounts.lockout on django-axes): three counters with
their own limits, the client address read only from a trusted proxy's
header, the lockout page, and the administrators' page that lifts a lockout."""

import logging

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.lockout import client_ip_address
from accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.cooperations.factories import LegalEntityFactory

pytestmark = pytest.mark.django_db

PASSWORD = "un-mot-de-passe-solide-2026"
PAIR_LIMIT = settings.LOGIN_FAILURE_LIMITS[("username", "ip_address")]
USERNAME_LIMIT = settings.LOGIN_FAILURE_LIMITS[("username",)]
ADDRESS_LIMIT = settings.LOGIN_FAILURE_LIMITS[("ip_address",)]
LOCKOUTS = reverse("accounts:lockout_list")


def _user(username, role=Role.OBSERVER, **extra):
    if role == Role.DIRECTOR:
        extra.setdefault("legal_entity", LegalEntityFactory())
    user = UserFactory(username=username, role=role, **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def agent():
    return _user("agent")


def login(username, password, address="10.0.0.1", **headers):
    """One login attempt from a fresh browser at ``address``."""
    return Client().post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def succeeds(response):
    return response.status_code == 302 and response["Location"] == reverse("home")


def locked(response):
    return response.status_code == 429 and "Connexion suspendue" in response.content.decode()


def test_the_default_limits():
    assert (PAIR_LIMIT, USERNAME_LIMIT, ADDRESS_LIMIT) == (5, 20, 50)
    assert settings.TRUSTED_PROXY_COUNT == 0  # no forwarding header trusted unless configured


def test_the_tight_limit_locks_a_name_from_one_address_only(agent):
    _user("autre")
    for _ in range(PAIR_LIMIT - 1):
        assert not locked(login("agent", "faux"))
    assert locked(login("agent", "faux"))  # the limit-th failure
    assert locked(login("agent", PASSWORD))  # even the right password, now
    assert succeeds(login("autre", PASSWORD))  # another name from the same address
    assert succeeds(login("agent", PASSWORD, address="10.0.0.2"))  # the name from elsewhere: far from its own limit


def test_rotating_addresses_still_locks_the_name_at_its_limit(agent):
    for i in range(USERNAME_LIMIT - 1):
        assert not locked(login("agent", "faux", address=f"198.51.100.{i + 1}"))
    # One short of the limit, the user himself still gets in, and that does not clear the others' failures.
    assert succeeds(login("agent", PASSWORD, address="192.0.2.1"))
    assert locked(login("agent", "faux", address="198.51.100.200"))
    assert locked(login("agent", PASSWORD, address="192.0.2.2"))  # a fresh address gives no fresh attempts


def test_one_address_under_the_name_limit_does_not_lock_the_name_for_everyone(agent):
    """Behind one address (a proxy, a NAT), the tight limit locks that address's
    attempts at the name; the name stays open elsewhere until its own limit."""
    for _ in range(PAIR_LIMIT):
        login("agent", "faux", address="10.9.9.9")
    assert locked(login("agent", PASSWORD, address="10.9.9.9"))
    assert succeeds(login("agent", PASSWORD, address="10.0.0.3"))


def test_one_address_trying_many_names_is_locked_at_the_address_limit(agent):
    for i in range(ADDRESS_LIMIT - 1):
        assert not locked(login(f"inconnu{i}", "faux", address="203.0.113.9"))
    # A valid account of that address logging in does not reset the address's count.
    assert succeeds(login("agent", PASSWORD, address="203.0.113.9"))
    assert locked(login("encore-un", "faux", address="203.0.113.9"))
    assert locked(login("agent", PASSWORD, address="203.0.113.9"))  # every name, from that address
    assert succeeds(login("agent", PASSWORD, address="203.0.113.10"))  # not the others


def test_a_forged_forwarded_header_is_ignored_without_a_trusted_proxy(agent):
    for i in range(PAIR_LIMIT):
        login("agent", "faux", HTTP_X_FORWARDED_FOR=f"198.51.100.{i + 1}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.0.0.1"}
    assert locked(login("agent", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99"))


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_one_trusted_proxy_the_address_it_appended_is_counted(agent):
    proxy = "172.18.0.1"  # every request comes from the proxy
    for i in range(PAIR_LIMIT):
        # The client forges a header; the proxy appends the address it received the request from.
        login("agent", "faux", address=proxy, HTTP_X_FORWARDED_FOR=f"198.51.100.{i + 1}, 203.0.113.5")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}
    assert locked(login("agent", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="198.51.100.50, 203.0.113.5"))
    # Another client behind the same proxy is not locked.
    assert succeeds(login("agent", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.6"))


@pytest.mark.parametrize(
    ("proxies", "header", "expected"),
    [
        (0, "198.51.100.1", "10.0.0.1"),  # no proxy trusted: REMOTE_ADDR
        (1, None, "10.0.0.1"),  # the header missing: REMOTE_ADDR
        (1, "", "10.0.0.1"),
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "198.51.100.1, 203.0.113.5", "203.0.113.5"),  # the client's own entry is left of the proxy's
        (1, " 198.51.100.1 ,203.0.113.5 ", "203.0.113.5"),
        (2, "198.51.100.1, 203.0.113.5, 192.0.2.7", "203.0.113.5"),  # CDN, then the proxy
        (2, "203.0.113.5", "203.0.113.5"),  # fewer entries than proxies: all written by them
        (1, "pas-une-adresse", "10.0.0.1"),  # never a non-address in the database
        (1, "198.51.100.1, 203.0.113.5:443", "10.0.0.1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address(proxies, header, expected):
    meta = {"REMOTE_ADDR": "10.0.0.1"}
    if header is not None:
        meta["HTTP_X_FORWARDED_FOR"] = header
    request = RequestFactory().post("/connexion/", **meta)
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        assert client_ip_address(request) == expected


@override_settings(TRUSTED_PROXY_COUNT=1, TRUSTED_PROXY_HEADER="HTTP_X_REAL_IP")
def test_only_the_configured_header_is_read():
    request = RequestFactory().post(
        "/connexion/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1", HTTP_X_REAL_IP="203.0.113.5"
    )
    assert client_ip_address(request) == "203.0.113.5"


def test_the_lockout_page_says_how_long_and_whom_to_contact(agent):
    for _ in range(PAIR_LIMIT):
        response = login("agent", "faux")
    text = response.content.decode()
    assert response.status_code == 429
    assert "réessayez dans 15 minutes" in text
    assert "contactez l’administrateur de votre ARS" in text
    assert "pour cet identifiant depuis votre poste" in text


def test_the_lockout_page_names_an_address_lockout(agent):
    for i in range(ADDRESS_LIMIT):
        response = login(f"inconnu{i}", "faux", address="203.0.113.9")
    assert response.status_code == 429
    assert "depuis votre adresse réseau" in response.content.decode()


# The administrators' page.


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(_user("national", role=Role.ADMIN))
    return client


def _rows(response):
    return [(lockout.counter.kind, lockout.username, lockout.ip_address) for lockout in response.context["lockouts"]]


def test_an_admin_lists_and_lifts_a_lockout_then_the_user_logs_in(admin_client, agent, caplog):
    for _ in range(PAIR_LIMIT):
        login("agent", "faux", address="10.4.4.4")
    login("presque", "faux", address="10.4.4.4")  # one failure: no lockout
    assert locked(login("agent", PASSWORD, address="10.4.4.4"))

    response = admin_client.get(LOCKOUTS)
    assert response.status_code == 200
    assert _rows(response) == [("username_address", "agent", "10.4.4.4")]
    text = response.content.decode()
    assert "Identifiant depuis une adresse" in text and "10.4.4.4" in text
    assert response.context["lockouts"][0].failures == PAIR_LIMIT + 1  # the refused right password included
    assert "Déverrouiller" in text and "data-confirm" in text and "csrfmiddlewaretoken" in text
    assert 'href="/administration/verrouillages/"' in text  # the admin's navigation

    with caplog.at_level(logging.WARNING, logger="accounts.lockout"):
        response = admin_client.post(
            LOCKOUTS, {"kind": "username_address", "username": "agent", "ip_address": "10.4.4.4"}, follow=True
        )
    assert "Blocage levé pour l’identifiant « agent » depuis l’adresse 10.4.4.4." in response.content.decode()
    assert _rows(response) == []
    assert AccessAttempt.objects.filter(username="agent").count() == 0
    assert AccessAttempt.objects.filter(username="presque").count() == 1  # not that lockout's
    record = next(r for r in caplog.records if r.name == "accounts.lockout")
    assert "verrouillage levé" in record.getMessage() and "'agent'" in record.getMessage()
    assert "par=national" in record.getMessage()
    assert succeeds(login("agent", PASSWORD, address="10.4.4.4"))


def test_an_admin_lifts_a_name_lockout_from_every_address(admin_client, agent):
    for i in range(USERNAME_LIMIT):
        login("agent", "faux", address=f"198.51.100.{i + 1}")
    response = admin_client.get(LOCKOUTS)
    assert ("username", "agent", None) in _rows(response)
    admin_client.post(LOCKOUTS, {"kind": "username", "username": "agent"})
    assert not AccessAttempt.objects.filter(username="agent").exists()
    assert succeeds(login("agent", PASSWORD, address="192.0.2.9"))


def test_an_admin_lifts_an_address_lockout(admin_client, agent):
    for i in range(ADDRESS_LIMIT):
        login(f"inconnu{i}", "faux", address="203.0.113.9")
    login("agent", "faux", address="198.51.100.1")  # elsewhere: kept
    assert ("address", None, "203.0.113.9") in _rows(admin_client.get(LOCKOUTS))
    admin_client.post(LOCKOUTS, {"kind": "address", "ip_address": "203.0.113.9"})
    assert not AccessAttempt.objects.filter(ip_address="203.0.113.9").exists()
    assert AccessAttempt.objects.filter(ip_address="198.51.100.1").exists()
    assert succeeds(login("agent", PASSWORD, address="203.0.113.9"))


def test_an_expired_lockout_is_not_listed(admin_client):
    AccessAttempt.objects.create(
        username="ancien",
        ip_address="10.1.1.1",
        user_agent="x",
        failures_since_start=PAIR_LIMIT,
        get_data="",
        post_data="",
    )
    AccessAttempt.objects.update(attempt_time=timezone.now() - timezone.timedelta(minutes=16))
    assert _rows(admin_client.get(LOCKOUTS)) == []


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"kind": "inconnu", "username": "agent", "ip_address": "10.0.0.1"},
        {"kind": "username_address", "username": "agent", "ip_address": "pas-une-adresse"},
        {"kind": "username_address", "username": "agent"},  # the address missing
        {"kind": "username", "username": ""},
        {"kind": "address", "ip_address": ""},
        {"kind": "username", "username": "a" * 300},
        {"kind": "username", "username": "nul\x00"},
    ],
)
def test_a_tampered_unlock_changes_nothing(admin_client, agent, data):
    for _ in range(PAIR_LIMIT):
        login("agent", "faux")
    before = AccessAttempt.objects.count()
    response = admin_client.post(LOCKOUTS, data, follow=True)
    assert response.status_code == 200
    assert "Demande de déverrouillage invalide" in response.content.decode()
    assert AccessAttempt.objects.count() == before


def test_lifting_a_lockout_already_lifted_says_so(admin_client):
    response = admin_client.post(LOCKOUTS, {"kind": "username", "username": "personne"}, follow=True)
    assert "Ce blocage était déjà levé" in response.content.decode()


def test_the_list_costs_a_constant_number_of_queries(admin_client, django_assert_max_num_queries):
    AccessAttempt.objects.bulk_create(
        AccessAttempt(
            username=f"nom{i}",
            ip_address=f"10.2.{i // 250}.{i % 250}",
            user_agent="x",
            failures_since_start=PAIR_LIMIT,
            get_data="",
            post_data="",
        )
        for i in range(60)
    )
    with django_assert_max_num_queries(8):  # session, user, three counters
        response = admin_client.get(LOCKOUTS)
    assert len(response.context["lockouts"]) == 60


@pytest.mark.parametrize("role", [Role.NEGOTIATOR, Role.OBSERVER, Role.DIRECTOR])
def test_every_other_role_is_refused(agent, role):
    for _ in range(PAIR_LIMIT):
        login("agent", "faux")
    client = Client()
    client.force_login(_user(f"role-{role}", role=role))
    assert client.get(LOCKOUTS).status_code == 403
    response = client.post(LOCKOUTS, {"kind": "username_address", "username": "agent", "ip_address": "10.0.0.1"})
    assert response.status_code == 403
    assert AccessAttempt.objects.filter(username="agent").exists()
    assert "Connexions bloquées" not in client.get(reverse("home")).content.decode()  # no link either


def test_anonymous_is_sent_to_login(agent):
    for _ in range(PAIR_LIMIT):
        login("agent", "faux")
    for response in (
        Client().get(LOCKOUTS),
        Client().post(LOCKOUTS, {"kind": "username_address", "username": "agent", "ip_address": "10.0.0.1"}),
    ):
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert AccessAttempt.objects.filter(username="agent").exists()
