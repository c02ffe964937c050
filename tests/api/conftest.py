import pytest
from django.core.cache import cache
from django.utils import timezone

from api import tokens


@pytest.fixture(autouse=True)
def fresh_throttle():
    """Each test starts with no call counted against its tokens (the cache outlives a test's transaction)."""
    cache.clear()
    yield
    cache.clear()


def issue_tokens(world):
    """One token of each kind in each région's scope, issued through the service:

    - region: the Île-de-France négociateur's read-only token;
    - entity: the director of entity A's token (read and declare);
    - region_other / entity_other: the same in Hauts-de-France (entity C).
    """
    users = world["users"]
    return {
        "region": tokens.issue_token(users["negotiator"], "Outil décisionnel IDF")[1],
        "entity": tokens.issue_token(users["director"], "Système d’information Alpha")[1],
        "region_other": tokens.issue_token(users["negotiator_other"], "Outil décisionnel HDF")[1],
        "entity_other": tokens.issue_token(users["director_other"], "Système d’information Charlie")[1],
    }


@pytest.fixture
def keys(world):
    return issue_tokens(world)


def bearer(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def add_computed_value(world):
    """A computed value of entity A's computed indicator (2025), for the endpoints that show them."""
    from cpom.models import IndicatorKind
    from indicators.models import ComputedValue

    indicator = world["cpom_a_old"].commitments.get().indicators.get(kind=IndicatorKind.AUTOMATABLE)
    return ComputedValue.objects.create(
        indicator=indicator,
        year=2025,
        value=12.5,
        numerator=25,
        denominator=200,
        inputs={"séjours": 200},
        inputs_checksum="0" * 64,
        computed_at=timezone.now(),
    )


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    """One world and its tokens for a whole module of read-only tests, built
    once in a transaction rolled back at the end (each test runs in a
    savepoint of it)."""
    from django.db import transaction

    from tests.scenarios import build_full_world

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            world = build_full_world()
            world["computed_a"] = add_computed_value(world)
            world["keys"] = issue_tokens(world)
            yield world
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """The system's Chromium, as the browser journeys of tests/e2e launch it."""
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}
