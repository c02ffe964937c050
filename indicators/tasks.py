"""Celery tasks of the follow-up: thin wrappers over the notifications,
passing ids and safe to retry."""

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from . import notifications
from .follow_up import campaigns_to_remind
from .models import Campaign, Declaration


@shared_task
def notify_campaign_opened(campaign_id):
    campaign = Campaign.objects.select_related("region").filter(pk=campaign_id).first()
    return notifications.campaign_opened(campaign) if campaign else 0


@shared_task
def notify_declaration_sent_back(declaration_id):
    declaration = Declaration.objects.select_related("indicator__commitment__cpom").filter(pk=declaration_id).first()
    return notifications.declaration_sent_back(declaration) if declaration else 0


@shared_task
def send_campaign_reminders():
    """Daily (Celery beat): remind directors with missing values seven days
    before a campaign closes. Each campaign is claimed by a conditional update,
    so a retried or duplicated run sends nothing twice."""
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
