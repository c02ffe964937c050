"""The import task, run by a real Celery worker on Redis when REDIS_URL is
set (PostgreSQL run), eagerly in the calling process otherwise."""

import pytest
from django.conf import settings

from cooperations.models import Establishment
from cooperations.tasks import import_reference_file
from tests.conftest import load_reference_lists

SAE_HEADER = (
    "bor;an;fi;rs;rscom;fi_ej;grp;stj;stjr;cat;catr;espic;mft;ccr;nat;sir;reg;dep;reg_diff;dep_diff;COMINSEE;NOMCOM"
)
SAE_LINE = "ID;2023;780000287;CH FRANCOIS QUESNAY;;780110011;04;13;1;355;PUB2;1;0;;0;;11;78;11;78;78361;MANTES"


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


@pytest.mark.django_db(transaction=True)
def test_annex_archive_task_builds_the_zip(worker_queue):
    from cpom.models import AnnexArchive
    from cpom.tasks import build_annex_archive
    from tests.scenarios import build_full_world

    load_reference_lists()
    world = build_full_world()
    archive = world["archive_idf"]
    options = {"queue": worker_queue} if worker_queue else {}
    assert build_annex_archive.apply_async(args=[archive.pk], **options).get(timeout=120) == "termine"
    archive = AnnexArchive.objects.get(pk=archive.pk)
    assert archive.done == 2 and archive.progress == 100 and len(archive.sha256) == 64
    with archive.file.open("rb") as handle:
        assert handle.read(2) == b"PK"


@pytest.mark.django_db(transaction=True)
def test_reminder_task_in_the_worker_sends_once(worker_queue):
    import datetime

    from django.utils import timezone

    from indicators.models import Campaign
    from indicators.tasks import send_campaign_reminders
    from tests.scenarios import build_full_world

    load_reference_lists()
    world = build_full_world()
    Campaign.objects.filter(pk=world["campaign_idf"].pk).update(
        closes_on=timezone.localdate() + datetime.timedelta(days=3)
    )
    world["users"]["director"].email = "dir.a@ch-alpha.fr"
    world["users"]["director"].save()
    options = {"queue": worker_queue} if worker_queue else {}
    # Entity A misses one value: its director is reminded; a second run sends nothing.
    assert send_campaign_reminders.apply_async(**options).get(timeout=60) == 1
    assert send_campaign_reminders.apply_async(**options).get(timeout=60) == 0
    assert Campaign.objects.get(pk=world["campaign_idf"].pk).reminder_sent_on == timezone.localdate()


@pytest.mark.django_db(transaction=True)
def test_computation_task_in_the_worker(worker_queue):
    """A real worker (REDIS_URL set) computes the région's indicators from the
    imported stays; without REDIS_URL the task runs eagerly, and says so."""
    from indicators.models import ComputationRun, ComputedValue
    from indicators.tasks import compute_indicators
    from tests.scenarios import build_full_world

    if not worker_queue:
        pytest.skip("REDIS_URL absent : pas de worker Celery réel, la tâche est couverte en mode eager ailleurs.")
    load_reference_lists()
    world = build_full_world()
    run = world["run_idf"]
    assert compute_indicators.apply_async(args=[run.pk], queue=worker_queue).get(timeout=60) == 1
    run = ComputationRun.objects.get(pk=run.pk)
    assert (run.status, run.done, run.total) == ("termine", 1, 1)
    value = ComputedValue.objects.get(indicator__label="Taux de fuite", year=2025)
    assert (value.numerator, value.denominator) == (0, 9)
    # Rerun by the worker (a redelivered message): nothing changes.
    assert compute_indicators.apply_async(args=[run.pk], queue=worker_queue).get(timeout=60) == 0
