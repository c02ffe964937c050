"""A login updates only ``last_login``: no entry in the audit trail for it."""

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from accounts.models import User

UNAUDITED_FIELDS = {"last_login"}


@receiver(pre_save, sender=User)
def skip_history_of_a_login(sender, instance, update_fields=None, **kwargs):
    if update_fields and set(update_fields) <= UNAUDITED_FIELDS:
        instance.skip_history_when_saving = True


@receiver(post_save, sender=User)
def audit_the_next_save(sender, instance, **kwargs):
    # simple_history read the flag in its own post_save receiver, connected before this one.
    instance.__dict__.pop("skip_history_when_saving", None)
