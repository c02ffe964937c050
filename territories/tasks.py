"""Celery tasks of the territories: thin wrappers, passing ids, safe to retry."""

from celery import shared_task

from territories import peers


@shared_task(acks_late=True)
def refresh_template_peer_means(template_id):
    """The kept peer means of one library template, computed again after its validated values changed."""
    return peers.refresh_template_means(template_id)
