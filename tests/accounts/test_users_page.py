"""/utilisateurs/: the list of a manager's accounts, filter, export, change,
deactivation that ends the sessions at once, reactivation, query count."""

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from accounts.models import EntityMembership, Function, Role
from tests.accounts.factories import UserFactory
from tests.cooperations.factories import LegalEntityFactory, department

pytestmark = pytest.mark.django_db


@pytest.fixture
def paris():
    return LegalEntityFactory(department=department("75"))


def test_the_manager_lists_his_region_and_filters(client, paris):
    manager = UserFactory(manager=True)
    UserFactory(director=True, legal_entity=paris, last_name="Durand")
    UserFactory(director=True, legal_entity=LegalEntityFactory(department=department("59")), last_name="Nordiste")
    client.force_login(manager)
    page = client.get(reverse("portal:user_list")).content.decode()
    assert "Durand" in page and "Nordiste" not in page
    page = client.get(reverse("portal:user_list"), {"q": "zzz"}).content.decode()
    assert "Durand" not in page
    assert client.get(reverse("portal:user_list"), {"status": "n’importe quoi"}).status_code == 200


def test_export_csv_and_xlsx(client, paris):
    manager = UserFactory(manager=True)
    UserFactory(director=True, legal_entity=paris, last_name="Durand")
    client.force_login(manager)
    csv = client.get(reverse("portal:user_list"), {"_export": "csv"})
    assert csv.status_code == 200 and "Durand" in csv.content.decode()
    xlsx = client.get(reverse("portal:user_list"), {"_export": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_deactivation_ends_the_sessions_at_once_and_is_audited(client, paris):
    manager = UserFactory(manager=True)
    director = UserFactory(director=True, legal_entity=paris)
    client.force_login(director)
    assert client.get(reverse("home")).status_code == 200
    from django.test import Client

    admin_side = Client()
    admin_side.force_login(manager)
    response = admin_side.post(reverse("portal:user_action", args=[director.pk]), {"action": "deactivate"})
    assert response.status_code == 302
    director.refresh_from_db()
    assert not director.is_active
    assert not any(s.get_decoded().get("_auth_user_id") == str(director.pk) for s in Session.objects.all())
    assert client.get(reverse("home")).status_code == 302  # to the login page
    record = director.history.latest()
    assert record.history_user == manager and record.history_change_reason == "Compte désactivé"
    admin_side.post(reverse("portal:user_action", args=[director.pk]), {"action": "reactivate"})
    director.refresh_from_db()
    assert director.is_active


def test_the_manager_changes_an_agent_role_and_a_function(client, paris):
    manager = UserFactory(manager=True)
    agent = UserFactory(negotiator=True)
    member = UserFactory(director=True, legal_entity=paris)
    client.force_login(manager)
    client.post(reverse("portal:user_action", args=[agent.pk]), {"action": "role", "role": Role.OBSERVER})
    agent.refresh_from_db()
    assert agent.role == Role.OBSERVER
    membership = EntityMembership.objects.get(user=member)
    url = reverse("portal:user_action", args=[member.pk])
    client.post(url, {"action": "function", "membership": membership.pk, "function": Function.CONTRIBUTOR})
    membership.refresh_from_db()
    assert membership.function == Function.CONTRIBUTOR
    response = client.post(url, {"action": "function", "membership": "abc", "function": "x"})
    assert response.status_code == 404


def test_a_director_removes_a_contributor_but_cannot_deactivate_him(client, paris):
    director = UserFactory(director=True, legal_entity=paris)
    contributor = UserFactory(contributor=True, legal_entity=paris)
    client.force_login(director)
    url = reverse("portal:user_action", args=[contributor.pk])
    client.post(url, {"action": "deactivate"})
    contributor.refresh_from_db()
    assert contributor.is_active
    membership = EntityMembership.objects.get(user=contributor)
    client.post(url, {"action": "remove", "membership": membership.pk})
    assert not EntityMembership.objects.filter(user=contributor).exists()


def test_the_list_query_count_is_constant(client, django_assert_max_num_queries):
    manager = UserFactory(manager=True)
    for _ in range(3):
        UserFactory(director=True, legal_entity=LegalEntityFactory(department=department("75")))
    client.force_login(manager)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("portal:user_list"))
    for _ in range(15):
        UserFactory(director=True, legal_entity=LegalEntityFactory(department=department("75")))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("portal:user_list"))


def test_the_list_is_paged_and_counts_every_account(client, monkeypatch):
    from portal import user_management

    monkeypatch.setattr(user_management, "USER_ROWS", 2)
    manager = UserFactory(manager=True)
    entity = LegalEntityFactory(department=department("75"))
    names = ["Arnaud", "Bernard", "Carré", "Dumas", "Espinasse"]
    for name in names:
        UserFactory(director=True, legal_entity=entity, last_name=name)
    client.force_login(manager)
    first = client.get(reverse("portal:user_list"), {"status": "actif"}).content.decode()
    assert "Arnaud" in first and "Bernard" in first and "Carré" not in first
    assert "5 comptes." in first and 'data-testid="users-pagination"' in first
    assert "status=actif&amp;page=2" in first  # the filter is kept from page to page
    last = client.get(reverse("portal:user_list"), {"status": "actif", "page": "3"}).content.decode()
    assert "Espinasse" in last and "Arnaud" not in last
    beyond = client.get(reverse("portal:user_list"), {"page": "999"}).content.decode()
    assert "Espinasse" in beyond  # past the end: the last page, never an error
    assert client.get(reverse("portal:user_list"), {"page": "abc"}).status_code == 200
