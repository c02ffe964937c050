"""Pages keep a constant number of SQL queries as data grows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cooperations.models import MemberRole
from tests.cooperations.factories import (
    EstablishmentFactory,
    GhtFactory,
    LegalEntityFactory,
    MembershipFactory,
    department,
)


def populate(n):
    ght = GhtFactory()
    for i in range(n):
        entity = LegalEntityFactory(department=department("78"))
        EstablishmentFactory(legal_entity=entity)
        MembershipFactory(structure=ght, legal_entity=entity, role=MemberRole.SUPPORT if i == 0 else MemberRole.MEMBER)
    return ght


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        reverse("cooperations:establishment_list"),
        reverse("cooperations:establishment_list") + "?sort=-ght_name&q=Site",
        reverse("cooperations:structure_list"),
        reverse("home"),
    ],
)
def test_list_pages_query_count_does_not_grow(client, world, url):
    client.force_login(world["users"]["negotiator"])
    populate(10)
    small = count_queries(client, url)
    populate(190)
    large = count_queries(client, url)
    assert small == large, f"{url}: {small} queries with 10 rows, {large} with 200"


@pytest.mark.django_db
def test_structure_and_entity_pages_query_count_does_not_grow(client, world, django_assert_max_num_queries):
    client.force_login(world["users"]["negotiator"])
    small_ght = populate(10)
    large_ght = populate(200)
    small_entity = small_ght.memberships.first().legal_entity
    large_entity = large_ght.memberships.first().legal_entity
    for small_url, large_url in [
        (reverse("cooperations:structure_detail", args=[small_ght.pk]), reverse("cooperations:structure_detail", args=[large_ght.pk])),
        (small_entity.get_absolute_url(), large_entity.get_absolute_url()),
        (small_entity.establishments.first().get_absolute_url(), large_entity.establishments.first().get_absolute_url()),
    ]:  # fmt: skip
        assert count_queries(client, small_url) == count_queries(client, large_url), large_url
    with django_assert_max_num_queries(12):
        client.get(large_entity.get_absolute_url())
