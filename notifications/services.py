"""Notify: one row per recipient, in the transaction of the step that
notifies (a step rolled back notifies nobody), the emails handed over once it
commits, to those who keep that kind's emails. The unread count shown in the
header is one indexed count per page (notif_recipient_unread): a cached copy
would save a fraction of a millisecond and could show a count the database
no longer holds (a step rolled back, a cache that outlives its rows)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import mail
from notifications.kinds import KINDS
from notifications.models import EmailPreference, Notification


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user).unread().count()


def wants_email(user, kind_code) -> bool:
    choice = EmailPreference.objects.filter(user=user, kind=kind_code).values_list("email", flat=True).first()
    return KINDS[kind_code].email_by_default if choice is None else choice


def email_choices(user) -> dict:
    """Every kind's choice for ``user`` (his own, else the default), in one query."""
    chosen = dict(EmailPreference.objects.filter(user=user).values_list("kind", "email"))
    return {code: chosen.get(code, kind.email_by_default) for code, kind in KINDS.items()}


@transaction.atomic
def set_email_choices(user, choices: dict):
    for code in KINDS:
        EmailPreference.objects.update_or_create(user=user, kind=code, defaults={"email": bool(choices.get(code))})


def notify(recipients, kind_code, title, link, *, body="", actor=None) -> list:
    """Notify each of ``recipients`` (the actor excepted: nobody is told of his own step)."""
    if kind_code not in KINDS:
        raise ValueError(f"Unknown notification kind {kind_code!r}")
    people = {user.pk: user for user in recipients if actor is None or user.pk != actor.pk}
    if not people:
        return []
    created = Notification.objects.bulk_create(
        Notification(recipient=user, kind=kind_code, title=title[:300], body=body, link=link, actor=actor)
        for user in people.values()
    )
    emailed = [user for user in people.values() if user.email and wants_email(user, kind_code)]
    if emailed:
        mails = [
            mail.compose(
                "notifications/email/notification",
                {"title": title, "body": body, "link": mail.site_link(link)},
                to=user.email,
                subject=_("[CPOM Volet 3] %(title)s") % {"title": title},
                reason=_(
                    "votre compte reçoit ce type de notification par courriel (modifiable dans vos préférences de "
                    "notification)"
                ),
            )
            for user in emailed
        ]
        transaction.on_commit(lambda: mail.send_each(mails), robust=True)
    return created


def mark_read(user, notification_ids=None) -> int:
    """Mark read the unread notifications of ``user`` (these only, if given)."""
    unread = Notification.objects.filter(recipient=user).unread()
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())
