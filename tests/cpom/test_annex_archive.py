"""Archives of annexes: one PDF per CPOM of the filtered list, built by the
Celery task (eager here; a real worker builds one in test_celery_tasks.py),
downloadable for 24 hours, for admins and négociateurs of the région."""

import datetime
import io
import os
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from cpom.models import AnnexArchive

pytestmark = pytest.mark.usefixtures("follow_up_scenario")


def _request(client, django_capture_on_commit_callbacks, data):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("cpom:annex_archive_create"), data)
    assert response.status_code == 302
    return AnnexArchive.objects.exclude(label="Annexes de test").get()


def _names(client, archive):
    response = client.get(reverse("cpom:annex_archive_download", args=[archive.pk]))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(content)) as zipped:
        for name in zipped.namelist():
            assert zipped.read(name).startswith(b"%PDF")
        return sorted(zipped.namelist())


def test_negotiator_archives_his_region_one_pdf_per_cpom(client, world, eager, django_capture_on_commit_callbacks):
    client.force_login(world["users"]["negotiator"])
    archive = _request(client, django_capture_on_commit_callbacks, {})
    assert archive.status == AnnexArchive.Status.DONE and archive.done == 4
    a, b = world["entities"]["a"].finess, world["entities"]["b"].finess
    assert _names(client, archive) == [
        f"annexe-volet3-{a}-ch-alpha-2024-2025-contrat-initial.pdf",
        f"annexe-volet3-{a}-ch-alpha-2026-2030-contrat-initial.pdf",
        f"annexe-volet3-{a}-ch-alpha-2031-2035-contrat-initial.pdf",
        f"annexe-volet3-{b}-ch-bravo-2026-2030-contrat-initial.pdf",
    ]
    page = client.get(archive.get_absolute_url()).content.decode()
    assert "Télécharger l’archive" in page and "Île-de-France" in archive.label


def test_archive_follows_the_list_filters(client, world, eager, django_capture_on_commit_callbacks):
    client.force_login(world["users"]["admin"])
    archive = _request(client, django_capture_on_commit_callbacks, {"status": "concertation"})
    assert sorted(archive.cpom_ids) == sorted([world["cpom_a"].pk, world["cpom_c"].pk])
    assert "liste filtrée" in archive.label and "toutes régions" in archive.label


def test_empty_list_requests_nothing(client, world):
    client.force_login(world["users"]["negotiator"])
    response = client.post(reverse("cpom:annex_archive_create"), {"year": "1999"}, follow=True)
    assert "aucune archive n’a été demandée" in response.content.decode()
    assert AnnexArchive.objects.count() == 1  # the world's


def test_expired_archive_is_gone(client, world, eager, django_capture_on_commit_callbacks):
    client.force_login(world["users"]["negotiator"])
    archive = _request(client, django_capture_on_commit_callbacks, {"status": "signe"})
    AnnexArchive.objects.filter(pk=archive.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    response = client.get(reverse("cpom:annex_archive_download", args=[archive.pk]))
    assert response.status_code == 410
    assert "Archive expirée" in response.content.decode()


@pytest.mark.parametrize("role", ["observer", "director", "director_other"])
def test_who_may_not_request_an_archive(client, world, role):
    client.force_login(world["users"][role])
    assert client.post(reverse("cpom:annex_archive_create"), {}).status_code == 403
    assert AnnexArchive.objects.count() == 1


def test_admin_archive_of_one_region_is_named_after_it(client, world, eager, django_capture_on_commit_callbacks):
    client.force_login(world["users"]["admin"])
    archive = _request(client, django_capture_on_commit_callbacks, {"region": "32"})
    assert archive.label == "Annexes volet 3 — Hauts-de-France (2 CPOM)"
    assert archive.region_id == "32" and sorted(archive.cpom_ids) == sorted(
        [world["cpom_c"].pk, world["cpom_c_old"].pk]
    )


def test_expired_archives_are_purged_with_their_file(client, world, eager, django_capture_on_commit_callbacks):
    from cpom.tasks import purge_expired_archives

    client.force_login(world["users"]["negotiator"])
    archive = _request(client, django_capture_on_commit_callbacks, {"status": "signe"})
    path = archive.file.path
    assert purge_expired_archives.delay().get() == 0
    AnnexArchive.objects.filter(pk=archive.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert purge_expired_archives.delay().get() == 1
    assert not AnnexArchive.objects.filter(pk=archive.pk).exists()
    assert not os.path.exists(path)
