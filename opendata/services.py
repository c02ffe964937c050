"""Withholding a CPOM from the open data, and publishing it again."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cpom.models import Cpom
from opendata import permissions
from opendata.models import Withholding


@transaction.atomic
def withhold(user, cpom, reason) -> Withholding:
    cpom = Cpom.objects.select_for_update().get(pk=cpom.pk)
    if not permissions.can_withhold(user, cpom):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Indiquez le motif : il est gardé et montré aux administrateurs."))
    if cpom.open_data_withholdings.active().exists():
        raise ValidationError(_("Ce CPOM est déjà retenu hors des données ouvertes."))
    return Withholding.objects.create(cpom=cpom, reason=reason[:2000], created_by=user)


@transaction.atomic
def release(user, withholding) -> Withholding:
    withholding = Withholding.objects.select_for_update().select_related("cpom").get(pk=withholding.pk)
    if not permissions.can_withhold(user, withholding.cpom):
        raise PermissionDenied
    if withholding.released_at is None:
        withholding.released_at, withholding.released_by = timezone.now(), user
        withholding.save(update_fields=["released_at", "released_by"])
    return withholding
