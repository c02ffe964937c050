"""Every page of the reviews × every role: who gets what. Another région or
entity is a 404 as everywhere; an observer reads; a director reads his
entity's only; the région's page is the ARS's."""

import pytest
from django.urls import reverse

from reviews import services

ROLES = ["anonymous", "admin", "negotiator", "observer", "negotiator_other", "director", "director_other"]
READERS_A = [302, 200, 200, 200, 404, 200, 404]  # entity A, Île-de-France
READERS_C = [302, 200, 404, 404, 200, 404, 200]  # entity C, Hauts-de-France
NOBODY = [302, 404, 404, 404, 404, 404, 404]


def _reviews(world):
    """A review 2024 and an evaluation of cpom_a_old and of cpom_c_old (their campaigns 2024 are closed)."""
    users = world["users"]
    for cpom, nego in ((world["cpom_a_old"], users["negotiator"]), (world["cpom_c_old"], users["negotiator_other"])):
        services.open_review(cpom, nego, 2024)
        services.open_evaluation(cpom, nego)


# name, args builder, expected status per role (ROLES order).
TABLE = [
    ("reviews:review", lambda w: [w["cpom_a_old"].pk, 2024], READERS_A),
    ("reviews:review", lambda w: [w["cpom_c_old"].pk, 2024], READERS_C),
    # No review yet: the ARS of the région gets the page that opens it, nobody else anything.
    ("reviews:review", lambda w: [w["cpom_a_old"].pk, 2025], [302, 200, 200, 404, 404, 404, 404]),
    ("reviews:review", lambda w: [w["cpom_a_old"].pk, 2031], NOBODY),
    ("reviews:review", lambda w: [w["cpom_a"].pk, 2026], [302, 404, 404, 404, 404, 404, 404]),
    ("reviews:review", lambda w: [999999, 2024], NOBODY),
    ("reviews:minutes", lambda w: [w["cpom_a_old"].pk, 2024], READERS_A),
    ("reviews:minutes", lambda w: [w["cpom_c_old"].pk, 2024], READERS_C),
    ("reviews:minutes", lambda w: [w["cpom_a_old"].pk, 2025], NOBODY),
    ("reviews:evaluation", lambda w: [w["cpom_a_old"].pk], READERS_A),
    ("reviews:evaluation", lambda w: [w["cpom_c_old"].pk], READERS_C),
    ("reviews:evaluation", lambda w: [w["cpom_b_signed"].pk], [302, 200, 200, 404, 404, 404, 404]),
    ("reviews:report", lambda w: [w["cpom_a_old"].pk], READERS_A),
    ("reviews:report", lambda w: [w["cpom_c_old"].pk], READERS_C),
    ("reviews:report", lambda w: [w["cpom_b_signed"].pk], NOBODY),
    ("reviews:region", lambda w: [], [302, 200, 200, 200, 200, 403, 403]),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "args", "statuses"), TABLE)
def test_role_gets_expected_status(client, review_scenario, name, args, statuses):
    world = review_scenario
    _reviews(world)
    for role, expected in zip(ROLES, statuses, strict=True):
        client.logout()
        if role != "anonymous":
            client.force_login(world["users"][role])
        response = client.get(reverse(name, args=args(world)))
        assert response.status_code == expected, f"{role} on {name}: {response.status_code}"
