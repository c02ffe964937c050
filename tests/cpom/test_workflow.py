"""The CPOM workflow table: who may take which action from which step."""

import pytest

from cpom import workflow
from cpom.models import CpomStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("cpom_scenario")]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (CpomStatus.PREPARATION, {"share", "ready"}),
        (CpomStatus.CONCERTATION, {"return", "ready"}),
        (CpomStatus.TO_SIGN, {"sign", "back"}),
        (CpomStatus.SIGNED, {"amend"}),
    ],
)
def test_the_negotiator_of_the_region_has_the_actions_of_each_step(world, status, expected):
    cpom = world["cpom_a"]
    cpom.status = status
    assert workflow.available(world["users"]["negotiator"], cpom) == expected


def test_the_director_may_only_hand_back_the_concertation(world):
    cpom = world["cpom_a"]
    cpom.shared_with_director = True
    for status in CpomStatus:
        cpom.status = status
        expected = {"return"} if status == CpomStatus.CONCERTATION else set()
        assert workflow.available(world["users"]["director"], cpom) == expected


def test_another_region_and_an_observer_may_take_no_action(world):
    cpom = world["cpom_a"]
    for status in CpomStatus:
        cpom.status = status
        assert workflow.available(world["users"]["negotiator_other"], cpom) == set()
        assert workflow.available(world["users"]["observer"], cpom) == set()


def test_every_step_is_reached_and_left_by_some_action():
    targets = {a.target for a in workflow.ACTIONS.values()}
    sources = {s for a in workflow.ACTIONS.values() for s in a.sources}
    assert targets == sources == set(CpomStatus)
