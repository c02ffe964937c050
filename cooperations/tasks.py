"""Celery tasks: thin wrappers over the importers, passing ids and paths,
never model objects. Safe to retry: every import is idempotent and runs in
one transaction, and a run that has ended is not run again."""

import logging

from celery import shared_task
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cooperations.importers.base import ImportRefusedError, run_import
from cooperations.importers.finess import FINESS_LAYOUTS
from cooperations.importers.finessplus import run_finessplus_import
from cooperations.importers.ght import GHT_LAYOUTS
from cooperations.models import ImportRun

LAYOUTS = {"finess": FINESS_LAYOUTS, "ght": GHT_LAYOUTS}
PROGRESS_TTL = 24 * 3600

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def import_reference_file(path: str, register: str, strict: bool = False) -> dict:
    """Import a register file in the background; returns the report."""
    if register == ImportRun.Register.FINESSPLUS:
        return run_finessplus_import(path, strict=strict).as_dict()
    return run_import(path, LAYOUTS[register], strict=strict).as_dict()


@shared_task(acks_late=True)
def run_uploaded_import(run_id: int) -> str:
    """Import an uploaded register file (see run_in_background)."""

    def work(run, progress):
        if run.kind != ImportRun.Kind.REGISTER:
            raise ImportRefusedError(_("Ce fichier n’est pas un fichier du répertoire."))
        path = run.file.path
        if run.register == ImportRun.Register.FINESSPLUS:
            report = run_finessplus_import(path, progress=progress)
        else:
            report = run_import(path, LAYOUTS[run.register], on_progress=progress)
        return {**report.as_dict(), "summary": report.summary_lines()}

    return run_in_background(run_id, work)


def run_in_background(run_id: int, work) -> str:
    """Run ``work(run, progress)`` for an uploaded file, once: a run already
    ended is left as it is (a retried or duplicated message does nothing).
    ``work`` returns the report, or raises ImportRefusedError with the French
    reason (its import's transaction is then rolled back, nothing saved).
    Progress goes to the cache (the import's own transaction would hide it
    from the page that shows it). The uploaded file is deleted when the run
    ends, whatever the outcome."""
    run = ImportRun.objects.filter(pk=run_id).first()
    if run is None:
        return ImportRun.Status.FAILED
    if run.is_finished:
        run.discard_file()
        return run.status
    ImportRun.objects.filter(pk=run_id).update(status=ImportRun.Status.RUNNING, started_at=timezone.now())
    set_progress(run, 0.0)

    def progress(fraction):
        set_progress(run, fraction)

    try:
        report = work(run, progress)
    except ImportRefusedError as error:
        _finish(run, ImportRun.Status.FAILED, error=str(error), report=error.report)
        return ImportRun.Status.FAILED
    except Exception:
        # A bug or a lost database: the run must not stay « en cours » with its file.
        logger.exception("Import %s en échec", run_id)
        _finish(
            run,
            ImportRun.Status.FAILED,
            error=_("Erreur inattendue pendant l’import : rien n’a été enregistré. Déposez le fichier de nouveau."),
        )
        raise
    _finish(run, ImportRun.Status.DONE, report=report)
    return ImportRun.Status.DONE


def _finish(run, status, *, report=None, error=""):
    with transaction.atomic():
        ImportRun.objects.filter(pk=run.pk).update(
            status=status, report=report or {}, error=error, finished_at=timezone.now()
        )
    set_progress(run, 1.0)
    run.discard_file()


def set_progress(run: ImportRun, fraction: float) -> None:
    try:
        cache.set(run.progress_key, fraction, PROGRESS_TTL)
    except Exception:  # noqa: BLE001 - the cache (Redis) down: the import goes on without showing its progress
        logger.warning("Avancement de l’import %s non enregistré (cache indisponible)", run.pk)
