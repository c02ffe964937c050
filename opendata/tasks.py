from celery import shared_task
from django.conf import settings


@shared_task(acks_late=True)
def export_open_data():
    """Nightly: the files of /donnees-ouvertes/ written again (idempotent: same data, same files)."""
    from opendata.publication import write_files

    return len(write_files(settings.OPEN_DATA_ROOT))
