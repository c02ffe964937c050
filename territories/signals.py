"""What keeps the peer means of the library templates current
(``territories.models.TemplatePeerMeans``): every change of a declaration
into or out of « validée » is a ``DeclarationEvent`` (``indicators.services``),
and a validated declaration can also be deleted with its CPOM."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from cpom.models import Indicator
from indicators.models import Declaration, DeclarationEvent, DeclarationStatus
from territories.peers import template_means_changed


def _template_of(declaration):
    indicator = Declaration._meta.get_field("indicator").get_cached_value(declaration, None)
    if indicator is not None:
        return indicator.template_id
    return Indicator.objects.filter(pk=declaration.indicator_id).values_list("template_id", flat=True).first()


@receiver(post_save, sender=DeclarationEvent, dispatch_uid="territories_peer_means_event")
def declaration_moved(sender, instance, created, raw=False, **kwargs):
    if raw or not created:
        return
    if DeclarationStatus.VALIDATED in (instance.previous_status, instance.status):
        template_means_changed([_template_of(instance.declaration)])


@receiver(post_delete, sender=Declaration, dispatch_uid="territories_peer_means_deleted")
def declaration_deleted(sender, instance, **kwargs):
    if instance.status == DeclarationStatus.VALIDATED and instance.value is not None:
        template_means_changed([_template_of(instance)])
