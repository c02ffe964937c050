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
from cooperations.models import ImportRun, MemberRole
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
    """Two régions, each with a GHT of two entities; one user per role.

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
    import_run = ImportRun.objects.create(
        register=ImportRun.Register.FINESSPLUS,
        file="imports/exemple.json",
        original_name="exemple.json",
        status=ImportRun.Status.DONE,
        report={"summary": ["Éléments lus : 2, rejets : 0"], "rejected": 0},
        created_by=users["admin"],
    )
    cpoms = build_cpoms(users, {"a": a, "b": b, "c": c})
    follow_up = build_follow_up(users, {"a": a, "c": c})
    diagnostics = build_diagnostics(users, ght_idf, ght_hdf)
    return {
        **cpoms,
        **follow_up,
        **diagnostics,
        "import_run": import_run,
        "entities": {"a": a, "b": b, "c": c, "d": d},
        "sites": {k: sites[v] for k, v in {"a": a, "b": b, "c": c, "d": d}.items()},
        "ght_idf": ght_idf,
        "ght_hdf": ght_hdf,
        "users": users,
    }


def build_cpoms(users, entities):
    """CPOMs at each step, through the services:

    - cpom_a: entity A 2026–2030, in concertation (shared with its director),
      one commitment with a complete indicator and a pending proposal;
    - cpom_a_draft: entity A 2031–2035, in preparation, never shared;
    - cpom_b_signed: entity B 2026–2030, signed;
    - cpom_c: entity C (Hauts-de-France), in concertation.
    """
    import datetime

    from cpom import services
    from tests.cpom.factories import CommitmentFactory, CpomFactory, indicator_with_targets

    nego, nego_hdf = users["negotiator"], users["negotiator_other"]
    cpom_a = CpomFactory(legal_entity=entities["a"], created_by=nego)
    commitment_a = CommitmentFactory(cpom=cpom_a, title="Filière gériatrique Alpha–Bravo")
    indicator_a = indicator_with_targets(commitment_a, label="Patients adressés")
    services.share_with_director(cpom_a, nego, "Projet à relire")
    proposal = services.propose_change(commitment_a, users["director"], "field:title", "Filière gériatrique")
    cpom_a_draft = CpomFactory(legal_entity=entities["a"], first_year=2031, last_year=2035, created_by=nego)
    cpom_b = CpomFactory(legal_entity=entities["b"], created_by=nego)
    commitment_b = CommitmentFactory(cpom=cpom_b, title="Blanchisserie commune")
    indicator_with_targets(commitment_b)
    services.mark_ready_to_sign(cpom_b, nego)
    services.sign(cpom_b, nego, datetime.date(2026, 1, 10))
    cpom_c = CpomFactory(legal_entity=entities["c"], created_by=nego_hdf)
    commitment_c = CommitmentFactory(cpom=cpom_c, title="Imagerie partagée Charlie")
    services.share_with_director(cpom_c, nego_hdf)
    from django.utils import timezone

    from cpom.models import AnnexArchive

    archive = AnnexArchive.objects.create(
        label="Annexes de test",
        region=cpom_a.region,
        cpom_ids=[cpom_a.pk, cpom_b.pk],
        created_by=nego,
        expires_at=timezone.now() + datetime.timedelta(hours=24),
    )
    return {
        "archive_idf": archive,
        "cpom_a": cpom_a,
        "commitment_a": commitment_a,
        "indicator_a": indicator_a,
        "proposal_a": proposal,
        "cpom_a_draft": cpom_a_draft,
        "cpom_b_signed": cpom_b,
        "commitment_b": commitment_b,
        "cpom_c": cpom_c,
        "commitment_c": commitment_c,
    }


def build_follow_up(users, entities):
    """The follow-up of 2025, open in both régions:

    - cpom_a_old: entity A 2024–2025, signed, two declarative indicators
      (one declared and submitted: declaration_a, with an internal note) and
      one computed indicator;
    - campaign_idf: Île-de-France 2025, covering cpom_a_old;
    - cpom_c_old / campaign_hdf / declaration_c: the same in Hauts-de-France.
    """
    from cpom.models import IndicatorKind
    from indicators import services
    from indicators.models import Declaration
    from tests.cpom.factories import signed_cpom
    from tests.indicators.factories import DeclarationFactory, open_campaign_for

    nego, nego_hdf = users["negotiator"], users["negotiator_other"]
    cpom_a_old = signed_cpom(nego, entities["a"], 2024, 2025, indicators=2, title="Filière suivie Alpha", computed=True)
    commitment = cpom_a_old.commitments.get()
    indicators = list(commitment.indicators.filter(kind=IndicatorKind.DECLARATIVE).order_by("pk"))
    campaign_idf = open_campaign_for(nego, cpom_a_old.region, 2025, [cpom_a_old])
    entry = services.Entry(indicators[0], *indicators[0].parse("11"), comment="Selon les tableaux de service")
    services.save_declarations(users["director"], campaign_idf, entities["a"].pk, [entry], submit=True)
    declaration_a = Declaration.objects.get(indicator=indicators[0], year=2025)
    services.add_note(nego, declaration_a, "À recouper avec le bilan social")
    cpom_c_old = signed_cpom(nego_hdf, entities["c"], 2024, 2025, title="Filière suivie Charlie")
    campaign_hdf = open_campaign_for(nego_hdf, cpom_c_old.region, 2025, [cpom_c_old])
    indicator_c = cpom_c_old.commitments.get().indicators.get()
    declaration_c = DeclarationFactory(
        campaign=campaign_hdf, indicator=indicator_c, director=users["director_other"], raw="9", submitted=True
    )
    from indicators.inputs import import_inputs
    from indicators.models import ComputationRun

    site_a = entities["a"].establishments.first().finess
    input_import = import_inputs(
        "sejours", "PMSI test", f"annee;finess_et;code_geo;champ;sejours\n2025;{site_a};78100;MCO;9\n".encode(), "s.csv"
    )
    run_idf = ComputationRun.objects.create(year=2025, region=cpom_a_old.region, created_by=nego)
    return {
        "input_import": input_import,
        "run_idf": run_idf,
        "cpom_a_old": cpom_a_old,
        "indicators_a_old": indicators,
        "campaign_idf": campaign_idf,
        "declaration_a": declaration_a,
        "cpom_c_old": cpom_c_old,
        "campaign_hdf": campaign_hdf,
        "declaration_c": declaration_c,
    }


def build_diagnostics(users, ght_idf, ght_hdf):
    """A diagnostic of each région's GHT, with one axis each."""
    from tests.diagnostics.factories import diagnostic_of

    diagnostic_idf, axis_idf = diagnostic_of(
        users["negotiator"], ght_idf, "Diagnostic Yvelines test", axis="Gériatrie commune"
    )
    diagnostic_hdf, _axis = diagnostic_of(users["negotiator_other"], ght_hdf, "Diagnostic Nord test")
    return {"diagnostic_idf": diagnostic_idf, "axis_idf": axis_idf, "diagnostic_hdf": diagnostic_hdf}


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
