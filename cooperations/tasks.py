"""Celery tasks: thin wrappers over the importers, passing ids and paths,
never model objects. Safe to retry: every import is idempotent and runs in
one transaction."""

from celery import shared_task
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from cooperations.importers.base import ImportRefusedError, run_import
from cooperations.importers.finess import FINESS_LAYOUTS
from cooperations.importers.finessplus import run_finessplus_import
from cooperations.importers.ght import GHT_LAYOUTS
from cooperations.models import ImportRun

LAYOUTS = {"finess": FINESS_LAYOUTS, "ght": GHT_LAYOUTS}
PROGRESS_TTL = 24 * 3600


@shared_task(acks_late=True)
def import_reference_file(path: str, register: str, strict: bool = False) -> dict:
    """Import a register file in the background; returns the report."""
    if register == ImportRun.Register.FINESSPLUS:
        return run_finessplus_import(path, strict=strict).as_dict()
    return run_import(path, LAYOUTS[register], strict=strict).as_dict()


@shared_task(acks_late=True)
def run_uploaded_import(run_id: int) -> str:
    """Import an uploaded file. Progress goes to the cache (the import's own
    transaction would hide it from the page that shows it)."""
    run = ImportRun.objects.get(pk=run_id)
    if run.status == ImportRun.Status.DONE:
        return run.status
    ImportRun.objects.filter(pk=run_id).update(status=ImportRun.Status.RUNNING, started_at=timezone.now())
    cache.set(run.progress_key, 0.0, PROGRESS_TTL)

    def progress(fraction):
        cache.set(run.progress_key, fraction, PROGRESS_TTL)

    try:
        path = run.file.path
        if run.register == ImportRun.Register.FINESSPLUS:
            report = run_finessplus_import(path, progress=progress)
        else:
            report = run_import(path, LAYOUTS[run.register])
    except ImportRefusedError as error:
        ImportRun.objects.filter(pk=run_id).update(
            status=ImportRun.Status.FAILED, error=str(error), finished_at=timezone.now()
        )
        return ImportRun.Status.FAILED
    with transaction.atomic():
        ImportRun.objects.filter(pk=run_id).update(
            status=ImportRun.Status.DONE,
            report={**report.as_dict(), "summary": report.summary_lines()},
            finished_at=timezone.now(),
        )
    cache.set(run.progress_key, 1.0, PROGRESS_TTL)
    return ImportRun.Status.DONE


def progress_of(run: ImportRun) -> float:
    if run.status in (ImportRun.Status.DONE, ImportRun.Status.FAILED):
        return 1.0
    try:
        return float(cache.get(run.progress_key, 0.0))
    except Exception:  # noqa: BLE001 - the cache (Redis) down: the page shows no progress rather than an error
        return 0.0
