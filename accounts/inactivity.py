"""Accounts unused for ACCOUNT_INACTIVITY_DAYS are warned by email, then
deactivated ACCOUNT_WARNING_DAYS after the warning if still unused.
Idempotent: run every day by Celery beat and by the command."""

import datetime

from django.conf import settings
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import memberships
from accounts.models import User
from core import mail


def _unused_since(cutoff):
    return (
        User.objects.filter(is_active=True, is_superuser=False)
        .filter(Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff))
        .order_by("pk")
    )


def run(now=None) -> tuple[int, int]:
    """(warned, deactivated)."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.ACCOUNT_INACTIVITY_DAYS)
    grace = datetime.timedelta(days=settings.ACCOUNT_WARNING_DAYS)
    # Signed in since the warning: the warning is over.
    User.objects.filter(last_login__gt=F("deactivation_warned_at")).update(deactivation_warned_at=None)
    deactivated = 0
    for user in _unused_since(cutoff).filter(deactivation_warned_at__lte=now - grace):
        memberships.deactivate(user, by=None, reason=_("Compte inutilisé : désactivé après avertissement"))
        deactivated += 1
    to_warn = list(_unused_since(cutoff).filter(Q(deactivation_warned_at__isnull=True)))
    link = mail.site_link(reverse("login"))
    mail.send_each(
        mail.compose(
            "accounts/email/deactivation_warning",
            {"last_seen": user.last_login or user.date_joined, "deadline": now + grace, "link": link},
            to=user.email,
            subject=_("[CPOM Volet 3] Votre compte sera bientôt désactivé"),
            reason=_("vous avez un compte sur la plateforme"),
        )
        for user in to_warn
        if user.email
    )
    User.objects.filter(pk__in=[u.pk for u in to_warn]).update(deactivation_warned_at=now)
    return len(to_warn), deactivated
