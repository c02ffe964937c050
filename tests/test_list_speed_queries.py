"""The list pages as a national administrator and a negotiator (issue 19): the same SQL queries
with 5 rows as with 60, filters by GHT and département included (a search field, not a select of
every GHT: no query per option), and the GHT column read in the same query as the rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.cooperations.factories import (
    EstablishmentFactory,
    GhtFactory,
    LegalEntityFactory,
    MembershipFactory,
    StructureFactory,
    department,
    region,
)
from tests.cpom.factories import CpomFactory

pytestmark = pytest.mark.django_db


def _grow(ght, n):
    """``n`` entities of ``ght``, each with a site and a CPOM, and ``n`` other structures (a GCS each)."""
    for _ in range(n):
        entity = LegalEntityFactory(department=department("77"))
        EstablishmentFactory(legal_entity=entity)
        MembershipFactory(structure=ght, legal_entity=entity)
        CpomFactory(legal_entity=entity)
        MembershipFactory(structure=StructureFactory(region=region("11")), legal_entity=entity)


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries), response


@pytest.mark.parametrize("role", ["admin", "negotiator"])
@pytest.mark.parametrize(
    "url",
    [
        reverse("cooperations:establishment_list"),
        reverse("cooperations:establishment_list") + "?ght=IDF-77&department=77&sort=-ght_name&per_page=100",
        reverse("cooperations:structure_list"),
        reverse("cpom:cpom_list"),
        reverse("cpom:cpom_list") + "?ght=Seine&department=Seine-et-Marne&sort=ght_name&per_page=100",
    ],
)
def test_list_queries_do_not_grow_with_the_rows(client, role, url):
    ght = GhtFactory(name="GHT Seine-et-Marne", short_code="IDF-77", region=region("11"))
    client.force_login(UserFactory(**{role: True}))
    # The structure list counts the GHT too.
    extra = 1 if url == reverse("cooperations:structure_list") else 0
    _grow(ght, 5)
    small, response = _queries(client, url)
    assert response.context["table"].paginator.count == 5 + extra
    _grow(ght, 55)
    large, response = _queries(client, url)
    assert response.context["table"].paginator.count == 60 + extra
    assert small == large, f"{url}: {small} requêtes pour 5 lignes, {large} pour 60"
