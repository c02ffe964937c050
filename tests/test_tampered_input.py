"""Tampered parameters get a clear answer, never a 500, and save nothing:
page sizes, a foreign or non-numeric id in the comment form, a year 0."""

import pytest
from django.urls import reverse

from cpom import services
from cpom.models import Comment, Cpom

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("cpom_scenario")]

LISTS = [
    "cooperations:establishment_list",
    "cooperations:structure_list",
    "cpom:cpom_list",
    "indicators:input_list",
    "indicators:computation_list",
]


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("per_page", ["-1", "0", "99999999999999999999", "abc", "1e3"])
def test_a_page_size_from_the_request_is_bounded(client, world, name, per_page):
    client.force_login(world["users"]["admin"])
    client.raise_request_exception = False
    response = client.get(reverse(name), {"per_page": per_page})
    assert response.status_code == 200
    table = response.context.get("table")
    if table is not None and hasattr(table, "page"):
        assert 1 <= len(table.page.object_list) <= 100


@pytest.mark.parametrize("commitment", ["abc", "-1", "1e9", "999999999999999999999"])
def test_a_tampered_commitment_in_the_comment_form_saves_nothing(client, world, commitment):
    cpom = world["cpom_a"]
    client.force_login(world["users"]["negotiator"])
    client.raise_request_exception = False
    before = Comment.objects.count()
    response = client.post(reverse("cpom:cpom_comment", args=[cpom.pk]), {"body": "Bonjour", "commitment": commitment})
    assert response.status_code == 302
    assert Comment.objects.count() == before
    assert "n’appartient pas à ce CPOM" in str(list(response.wsgi_request._messages)[0])


def test_a_commitment_of_another_cpom_is_refused_in_the_comment_form(client, world):
    client.force_login(world["users"]["negotiator"])
    before = Comment.objects.count()
    client.post(
        reverse("cpom:cpom_comment", args=[world["cpom_a"].pk]),
        {"body": "Bonjour", "commitment": world["commitment_b"].pk},
    )
    assert Comment.objects.count() == before


@pytest.mark.parametrize(("first", "last"), [(0, 4), (0, 0), (1999, 2003), (2101, 2101), (2026, 2025)])
def test_a_cpom_period_outside_real_years_is_refused(world, first, last):
    from django.core.exceptions import ValidationError

    before = Cpom.objects.count()
    with pytest.raises(ValidationError):
        services.create_cpom(world["users"]["negotiator"], world["entities"]["a"], first, last)
    assert Cpom.objects.count() == before


def test_the_cpom_form_refuses_year_zero_in_french(client, world):
    client.force_login(world["users"]["negotiator"])
    before = Cpom.objects.count()
    response = client.post(
        reverse("cpom:cpom_create"), {"legal_entity": world["entities"]["b"].pk, "first_year": 0, "last_year": 4}
    )
    assert response.status_code == 200
    assert "Année invalide" in response.content.decode()
    assert Cpom.objects.count() == before
