"""The one background job (core.jobs) behind annex archives, computation
runs and import runs: its steps, its progress, and what its page polls."""

import datetime

import pytest
from django.utils import timezone

from cpom.models import AnnexArchive
from indicators.models import ComputationRun

pytestmark = pytest.mark.usefixtures("cpom_scenario")


def _archive(world, ids):
    return AnnexArchive.objects.create(
        label="Essai", cpom_ids=ids, created_by=world["users"]["admin"],
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )  # fmt: skip


@pytest.mark.django_db
def test_a_job_goes_from_pending_to_done_with_its_progress(world):
    archive = _archive(world, [world["cpom_a"].pk, world["cpom_b_signed"].pk, world["cpom_c"].pk, 99])
    assert (archive.total, archive.is_pending, archive.in_progress, archive.progress) == (4, True, True, 0)
    assert AnnexArchive.start(archive.pk, total=4)
    AnnexArchive.advance(archive.pk, 3)
    archive.refresh_from_db()
    assert archive.is_running and archive.progress == 75 and archive.started_at is not None
    AnnexArchive.finish(archive.pk, done=4)
    archive.refresh_from_db()
    payload = archive.status_payload()
    assert payload == {"status": "termine", "status_label": "Terminé", "progress": 100, "done": 4, "total": 4,
                       "finished": True, "error": ""}  # fmt: skip
    # A duplicated task does not move a finished job back; a job safe to compute again may rerun.
    assert not AnnexArchive.start(archive.pk)
    assert AnnexArchive.objects.get(pk=archive.pk).is_done


@pytest.mark.django_db
def test_a_failed_job_says_why_and_stops_the_polling(world):
    run = ComputationRun.objects.create(year=2025, region=world["cpom_a"].region, created_by=world["users"]["admin"])
    ComputationRun.start(run.pk, total=2)
    ComputationRun.fail(run.pk, ValueError("fichier illisible"))
    run.refresh_from_db()
    assert run.is_failed and not run.in_progress and run.finished_at is not None
    assert run.status_payload()["error"] == "fichier illisible" and run.status_payload()["finished"]
    assert ComputationRun.start(run.pk, total=2, rerun=True)


@pytest.mark.django_db
def test_the_status_views_answer_the_same_payload(client, world):
    archive = world["archive_idf"]
    client.force_login(world["users"]["negotiator"])
    answer = client.get(f"/cpom/annexes/{archive.pk}/etat/").json()
    assert answer == archive.status_payload()
