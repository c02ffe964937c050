"""The import task, run by a real Celery worker on Redis when REDIS_URL is
set (PostgreSQL run), eagerly in the calling process otherwise."""

import os
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings
from django.db import connection

from cooperations.models import Establishment
from cooperations.tasks import import_reference_file
from cpom.celery import app

from .conftest import load_reference_lists

SAE_HEADER = (
    "bor;an;fi;rs;rscom;fi_ej;grp;stj;stjr;cat;catr;espic;mft;ccr;nat;sir;reg;dep;reg_diff;dep_diff;COMINSEE;NOMCOM"
)
SAE_LINE = "ID;2023;780000287;CH FRANCOIS QUESNAY;;780110011;04;13;1;355;PUB2;1;0;;0;;11;78;11;78;78361;MANTES"


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
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "cpom", "worker", "-P", "solo", "-Q", queue, "-n", f"{queue}@%h",
         "--loglevel=warning", "--without-gossip", "--without-mingle"],
        env=env,
        cwd=settings.BASE_DIR,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=1):
            if worker.poll() is not None or time.monotonic() > deadline:
                pytest.fail("The Celery worker did not start.")
        yield queue
    finally:
        worker.terminate()
        worker.wait(timeout=30)


@pytest.mark.django_db(transaction=True)
def test_import_task_runs_and_saves(worker_queue, tmp_path):
    load_reference_lists()
    path = tmp_path / "sae.csv"
    path.write_text(f"{SAE_HEADER}\n{SAE_LINE}\n", encoding="latin-1")
    options = {"queue": worker_queue} if worker_queue else {}
    result = import_reference_file.apply_async(args=[str(path), "finess"], **options)
    report = result.get(timeout=60)
    assert report["rows"] == 1 and report["rejected"] == 0
    assert report["counts"]["Établissements:created"] == 1
    assert Establishment.objects.get(finess="780000287").legal_entity.finess == "780110011"
    if worker_queue:
        assert not settings.CELERY_TASK_ALWAYS_EAGER
        # Retried (run twice): idempotent, nothing duplicated.
        again = import_reference_file.apply_async(args=[str(path), "finess"], queue=worker_queue).get(timeout=60)
        assert again["counts"]["Établissements:unchanged"] == 1
        assert Establishment.objects.count() == 1
