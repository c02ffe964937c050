"""The nightly purge of evidence files: orphans go after a grace period,
replaced files after their retention with the history, the current ones stay."""

import datetime
import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from indicators import services
from indicators.evidence import purge_evidence
from indicators.models import Declaration
from indicators.tasks import purge_evidence as purge_task

pytestmark = pytest.mark.usefixtures("follow_up_scenario")

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    default_storage.__dict__.pop("base_location", None)
    default_storage.__dict__.pop("location", None)
    yield tmp_path
    default_storage.__dict__.pop("base_location", None)
    default_storage.__dict__.pop("location", None)


def _upload(name, content=PDF):
    upload = ContentFile(content, name=name)
    upload.original_name = name
    return upload


def _declare(world, indicator, evidence, comment=""):
    director = world["users"]["director"]
    entry = services.Entry(indicator=indicator, number=12, comment=comment, evidence=evidence)
    services.save_declarations(director, world["campaign_idf"], indicator.commitment.cpom.legal_entity_id, [entry])
    return Declaration.objects.get(indicator=indicator, year=world["campaign_idf"].year)


def _age(name, days=0, hours=0):
    path = default_storage.path(name)
    past = (timezone.now() - datetime.timedelta(days=days, hours=hours)).timestamp()
    os.utime(path, (past, past))


def test_current_evidence_stays_and_an_old_orphan_goes(world, media):
    indicator = world["indicators_a_old"][1]
    declaration = _declare(world, indicator, _upload("cr.pdf"))
    orphan = default_storage.save("justificatifs/2025/orphelin.pdf", ContentFile(PDF))
    young = default_storage.save("justificatifs/2025/en-cours.pdf", ContentFile(PDF))
    _age(orphan, hours=7)
    result = purge_evidence()
    assert (result.orphans, result.expired) == (1, 0)
    assert not default_storage.exists(orphan)
    assert default_storage.exists(young)  # may belong to an upload still in its transaction
    assert default_storage.exists(declaration.evidence.name)
    assert result.freed_bytes == len(PDF)


def test_a_replaced_file_is_kept_with_the_history_then_purged(world, media, settings):
    indicator = world["indicators_a_old"][1]
    first = _declare(world, indicator, _upload("v1.pdf")).evidence.name
    second = _declare(world, indicator, _upload("v2.pdf"), comment="remplacé").evidence.name
    assert first != second
    assert purge_evidence().expired == 0 and default_storage.exists(first)  # within its retention
    later = timezone.now() + datetime.timedelta(days=settings.EVIDENCE_REPLACED_RETENTION_DAYS + 1)
    result = purge_evidence(now=later)
    assert result.expired == 1
    assert not default_storage.exists(first) and default_storage.exists(second)
    # The trail still says what was attached; only the bytes are gone.
    assert not Declaration.history.filter(evidence=first).exists()
    assert Declaration.history.filter(evidence_name="v1.pdf").exists()
    assert purge_evidence(now=later).expired == 0  # idempotent


def test_the_task_runs_the_purge(world, media, eager):
    orphan = default_storage.save("justificatifs/2025/orphelin.pdf", ContentFile(PDF))
    _age(orphan, days=1)
    assert purge_task.delay().get()["orphans"] == 1
    assert not default_storage.exists(orphan)
