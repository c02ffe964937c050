import os
import subprocess
import sys
import tempfile
import time
import uuid

import pytest
from django.conf import settings
from django.db import connection

from accounts.models import Role
from config.celery import app
from cooperations.models import MemberRole
from tests.accounts.factories import UserFactory
from tests.cooperations.factories import (
    EstablishmentFactory,
    GhtFactory,
    LegalEntityFactory,
    MembershipFactory,
    department,
    region,
)


@pytest.fixture
def eager():
    """Tasks run in this process, inside the test's transaction (the worker
    of PostgreSQL mode would not see its uncommitted data)."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def world(db):
    return build_world()


# Each scenario adds its objects to the world (same dictionary), in the order
# they were always built: the import, the CPOMs, their follow-up, the diagnostics.
@pytest.fixture
def import_scenario(world):
    from tests.cooperations.scenarios import build_imports

    world.update(build_imports(world["users"]))
    return world


@pytest.fixture
def cpom_scenario(world):
    from tests.cpom.scenarios import build_cpoms

    world.update(build_cpoms(world["users"], world["entities"]))
    return world


@pytest.fixture
def follow_up_scenario(cpom_scenario):
    from tests.indicators.scenarios import build_follow_up

    world = cpom_scenario
    world.update(build_follow_up(world["users"], world["entities"]))
    return world


@pytest.fixture
def diagnostic_scenario(world):
    from tests.diagnostics.scenarios import build_diagnostics

    world.update(build_diagnostics(world["users"], world["ght_idf"], world["ght_hdf"]))
    return world


def load_reference_lists():
    """Régions, départements, categories, statuses, the indicator library and the diagnostic grid: the data migration
    loads them, but a transactional test (browser, worker) flushes them;
    pytest-django runs those tests last, each reloading what it needs."""
    from cooperations import reference_data
    from cooperations.models import Category, Department, LegalStatus, Region
    from cpom.library import load_library
    from cpom.models import IndicatorTemplate
    from diagnostics.grid import load_grid
    from diagnostics.models import GridObjective, GridQuestion

    reference_data.load_reference_lists(Region, Department, Category, LegalStatus)
    load_library(IndicatorTemplate)
    load_grid(GridObjective, GridQuestion)


def build_world():
    """Two régions, each with a GHT of two entities; one user per role: the
    shared fixture builds only users, régions and entities. What happens in
    them (CPOMs, campaigns, diagnostics, an import) is each app's scenario
    (tests/<app>/scenarios.py), which a test module asks for by name:
    ``pytestmark = pytest.mark.usefixtures("cpom_scenario")``.

    Île-de-France (11): GHT "TST" with entity A (support) and entity B.
    Hauts-de-France (32): GHT with entity C (support) and entity D.
    """
    idf, hdf = region("11"), region("32")
    a = LegalEntityFactory(name="CH Alpha", department=department("78"))
    b = LegalEntityFactory(name="CH Bravo", department=department("78"))
    c = LegalEntityFactory(name="CH Charlie", department=department("59"))
    d = LegalEntityFactory(name="CH Delta", department=department("59"))
    sites = {
        entity: EstablishmentFactory(legal_entity=entity, name=f"Site principal {entity.name}")
        for entity in (a, b, c, d)
    }
    ght_idf = GhtFactory(region=idf, name="Yvelines test")
    ght_hdf = GhtFactory(region=hdf, name="Nord test")
    MembershipFactory(structure=ght_idf, legal_entity=a, role=MemberRole.SUPPORT)
    MembershipFactory(structure=ght_idf, legal_entity=b)
    MembershipFactory(structure=ght_hdf, legal_entity=c, role=MemberRole.SUPPORT)
    MembershipFactory(structure=ght_hdf, legal_entity=d)
    users = {
        "admin": UserFactory(username="admin_t", role=Role.ADMIN, is_staff=True, is_superuser=True),
        "negotiator": UserFactory(username="nego_idf", role=Role.NEGOTIATOR, region=idf),
        "negotiator_other": UserFactory(username="nego_hdf", role=Role.NEGOTIATOR, region=hdf),
        "observer": UserFactory(username="obs_idf", role=Role.OBSERVER, region=idf),
        "director": UserFactory(username="dir_a", role=Role.DIRECTOR, legal_entity=a),
        "director_other": UserFactory(username="dir_c", role=Role.DIRECTOR, legal_entity=c),
    }
    return {
        "entities": {"a": a, "b": b, "c": c, "d": d},
        "sites": {k: sites[v] for k, v in {"a": a, "b": b, "c": c, "d": d}.items()},
        "ght_idf": ght_idf,
        "ght_hdf": ght_hdf,
        "users": users,
    }


def pytest_configure(config):
    from django.conf import settings

    # Hashing a password the production way costs ~0.2 s: too slow for fixtures.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Uploaded files of the session, shared with the Celery worker it starts.
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="cpom-test-media-")


@pytest.fixture(scope="session")
def worker_queue(django_db_setup, django_db_blocker):
    """Start a real worker on a queue of its own, bound to the test database."""
    if not settings.REDIS_URL:
        yield None
        return
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail("A real worker needs a database it can share: set DATABASE_URL to PostgreSQL with REDIS_URL.")
    queue = f"cpom-test-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ)
    env["MEDIA_ROOT"] = str(settings.MEDIA_ROOT)
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo", "-Q", queue, "-n", f"{queue}@%h",
         "--loglevel=warning", "--without-gossip", "--without-mingle"],
        env=env,
        cwd=settings.BASE_DIR,
    )  # fmt: skip
    # Every task sent during the session goes to this worker's queue.
    default_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=1):
            if worker.poll() is not None or time.monotonic() > deadline:
                pytest.fail("The Celery worker did not start.")
        yield queue
    finally:
        app.conf.task_default_queue = default_queue
        worker.terminate()
        worker.wait(timeout=30)
