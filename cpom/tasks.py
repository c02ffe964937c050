"""Celery tasks of the contract: the ZIP archives of annexes."""

from celery import shared_task


# Named as before the move, so tasks queued by the previous release still run.
@shared_task(name="cooperations.tasks.build_annex_archive", acks_late=True)
def build_annex_archive(archive_id: int) -> str:
    """Build a ZIP of CPOM annexes (see cpom.annex.build_archive)."""
    from cpom.annex import build_archive

    return build_archive(archive_id)


@shared_task(name="cooperations.tasks.purge_expired_archives")
def purge_expired_archives() -> int:
    """Hourly (Celery beat): drop the annex archives past their 24 hours, and
    build those left pending while the broker was down."""
    from cpom.annex import build_pending_archives
    from cpom.annex import purge_expired_archives as purge

    build_pending_archives()
    return purge()
