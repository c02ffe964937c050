"""Celery tasks of the follow-up: thin wrappers over the notifications,
passing ids and safe to retry. The notification tasks only choose the
recipients and queue one delivery task each (core.mail.deliver): a delivery
that fails is retried alone, with backoff, and the others are not resent."""

import datetime
import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from cooperations.tasks import run_in_background
from indicators import evidence, notifications, services
from indicators.follow_up import campaigns_to_remind
from indicators.inputs import import_run_file
from indicators.models import Campaign, ComputationRun, Declaration

logger = logging.getLogger(__name__)


@shared_task
def notify_campaign_opened(campaign_id):
    campaign = Campaign.objects.select_related("region").filter(pk=campaign_id).first()
    return notifications.campaign_opened(campaign) if campaign else 0


@shared_task
def notify_declaration_sent_back(declaration_id):
    declaration = Declaration.objects.select_related("indicator__commitment__cpom").filter(pk=declaration_id).first()
    return notifications.declaration_sent_back(declaration) if declaration else 0


@shared_task
def notify_declaration_reopened(declaration_id):
    declaration = Declaration.objects.select_related("indicator__commitment__cpom").filter(pk=declaration_id).first()
    return notifications.declaration_reopened(declaration) if declaration else 0


@shared_task
def send_campaign_reminders():
    """Daily (Celery beat): remind directors with missing values seven days
    before a campaign closes. Each campaign is claimed by a conditional update,
    so a retried or duplicated run sends nothing twice; the deliveries are
    queued in the claim's transaction (a broker down undoes the claim, and the
    next run tries again)."""
    today = timezone.localdate()
    sent = 0
    for campaign in campaigns_to_remind(today).select_related("region"):
        with transaction.atomic():
            claimed = Campaign.objects.filter(pk=campaign.pk, reminder_sent_on__isnull=True).update(
                reminder_sent_on=today
            )
            if claimed:
                sent += notifications.campaign_reminder(campaign)
    return sent


@shared_task(
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=300,
    retry_kwargs={"max_retries": 5},
)
def compute_indicators(run_id):
    """Compute a run's indicators (idempotent: rerun after a crash, the
    values whose inputs have not changed stay as they are)."""
    return services.run_computation(run_id).changed


@shared_task
def compute_every_night():
    """Celery beat: recompute last year's and this year's computed
    indicators, and the runs left pending while the broker was down."""
    today = timezone.localdate()
    # Pending for a quarter of an hour: its message was lost (broker down when it was asked for).
    stale = timezone.now() - datetime.timedelta(minutes=15)
    runs = list(ComputationRun.objects.filter(status=ComputationRun.Status.PENDING, created_at__lt=stale))
    runs += [ComputationRun.objects.create(year=year) for year in (today.year - 1, today.year)]
    failed = 0
    for run in runs:
        try:
            services.run_computation(run.pk)
        except Exception:  # noqa: BLE001 - one failed run (marked as such) does not stop the others
            logger.exception("Calcul %s en échec", run.pk)
            failed += 1
    return len(runs) - failed


@shared_task(acks_late=True)
def import_input_file(run_id):
    """Import an uploaded file of stays or costs: once (a run that has ended
    is left as it is), its progress in the cache, the file deleted at the end;
    the import runs in one transaction, a refused file saves nothing."""
    return run_in_background(run_id, import_run_file)


@shared_task
def purge_evidence():
    """Nightly (Celery beat): delete the evidence files no row needs (indicators.evidence)."""
    result = evidence.purge_evidence()
    return {"orphans": result.orphans, "expired": result.expired, "freed_bytes": result.freed_bytes}
