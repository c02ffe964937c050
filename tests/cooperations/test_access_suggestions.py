"""The suggestion endpoint of the list filters' search fields: signed-in users only, within what
each one sees (a negotiator his région's GHT, a director his own entity), an unknown kind is a 404."""

import pytest
from django.urls import reverse

from accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.cooperations.factories import GhtFactory, LegalEntityFactory, department, region

ROLES = ["anonymous", "admin", "negotiator", "observer", "director"]


def _people():
    return {
        "admin": UserFactory(admin=True),
        "negotiator": UserFactory(negotiator=True),
        "observer": UserFactory(role=Role.OBSERVER),
        "director": UserFactory(director=True, legal_entity=LegalEntityFactory()),
    }


# name, args builder, expected status per role (ROLES order); 302: sent to the login page.
TABLE = [
    ("cooperations:suggestions", lambda p: ["ght"], [302, 200, 200, 200, 200]),
    ("cooperations:suggestions", lambda p: ["departement"], [302, 200, 200, 200, 200]),
    ("cooperations:suggestions", lambda p: ["entite"], [302, 200, 200, 200, 200]),
    ("cooperations:suggestions", lambda p: ["inconnu"], [302, 404, 404, 404, 404]),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "args", "statuses"), TABLE)
def test_role_gets_expected_status(client, name, args, statuses):
    people = _people()
    for role, expected in zip(ROLES, statuses, strict=True):
        client.logout()
        if role != "anonymous":
            client.force_login(people[role])
        response = client.get(reverse(name, args=args(people)), {"q": "a"})
        assert response.status_code == expected, f"{role} on {name}: {response.status_code}"


def _values(client, kind, query):
    response = client.get(reverse("cooperations:suggestions", args=[kind]), {"q": query})
    assert response.status_code == 200
    return [item["value"] for item in response.json()["results"]]


@pytest.mark.django_db
def test_a_negotiator_is_suggested_his_regions_ght_and_departements_only(client):
    mine = GhtFactory(name="GHT Seine et Marne", short_code="IDF-77", region=region("11"))
    GhtFactory(name="GHT Seine maritime", short_code="NOR-76", region=region("28"))
    client.force_login(UserFactory(negotiator=True))
    assert _values(client, "ght", "seine") == [mine.short_code]
    assert _values(client, "ght", "IDF") == ["IDF-77"]
    assert _values(client, "departement", "Nord") == []  # département 59 is in Hauts-de-France
    assert _values(client, "departement", "Paris") == ["75"]


@pytest.mark.django_db
def test_a_national_admin_is_suggested_every_region_and_at_most_a_dozen(client):
    client.force_login(UserFactory(admin=True))
    assert "59" in _values(client, "departement", "Nord")
    assert len(_values(client, "departement", "")) == 12


@pytest.mark.django_db
def test_a_director_is_suggested_his_entity_only(client):
    entity = LegalEntityFactory(name="Centre hospitalier de Melun")
    LegalEntityFactory(name="Centre hospitalier de Meaux")
    client.force_login(UserFactory(director=True, legal_entity=entity))
    assert _values(client, "entite", "Centre hospitalier") == [entity.finess]


@pytest.mark.django_db
def test_a_long_or_odd_query_is_no_error(client):
    client.force_login(UserFactory(admin=True))
    for query in ("x" * 5000, "%_'\"", "\u00e9\u00e8"):
        for kind in ("ght", "departement", "entite"):
            assert client.get(reverse("cooperations:suggestions", args=[kind]), {"q": query}).status_code == 200
    assert department("75").name  # the reference lists are there: the queries above ran on real rows
