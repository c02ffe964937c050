"""Domain operations that write: plain functions, transactional."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cooperations.models import CompositionSource, CooperationStructure, LegalEntity, NameSource
from cooperations.permissions import can_set_entity_name
from core.concurrency import UNCHECKED, lock_unchanged


@transaction.atomic
def save_structure(form, formset, user, edit_token=UNCHECKED) -> CooperationStructure:
    """Save a cooperation structure and its members together, or nothing.

    A negotiator's structure belongs to his région. A member added or changed
    by hand is marked as entered in the application, even in a GHT whose
    composition came from a file. An existing structure saved by someone else
    since ``edit_token`` raises StaleVersionError."""
    if form.instance.pk:
        lock_unchanged(form.instance, edit_token)
    structure = form.save(commit=False)
    if not user.is_admin:
        structure.region_id = user.region_id
    structure.updated_by = user
    structure.save()
    formset.instance = structure
    members = formset.save(commit=False)
    for membership in formset.deleted_objects:
        membership.delete()
    for membership in members:
        membership.structure = structure
        membership.source = CompositionSource.ENTERED
        membership.save()
    return structure


@transaction.atomic
def set_legal_name(entity, user, name, justification) -> LegalEntity:
    """The région's ARS sets or corrects an entity's raison sociale, saying
    where it comes from; the history (journal) records who and when. The
    name is no longer provisional: a contract may print it."""
    current = LegalEntity.objects.select_for_update().get(pk=entity.pk)
    if not can_set_entity_name(user, current):
        raise PermissionDenied
    name, justification = " ".join(name.split()), " ".join(justification.split())
    if not name:
        raise ValidationError(_("Indiquez la raison sociale de l’entité juridique."))
    if not justification:
        raise ValidationError(
            _("Indiquez d’où vient ce nom (statuts, extrait Kbis, arrêté, courrier de l’établissement…) : "
              "il est affiché à côté de la raison sociale.")
        )  # fmt: skip
    current.name = name[:255]
    current.name_is_provisional = False
    current.name_source = NameSource.ARS
    current.name_source_detail = justification[:255]
    current.name_set_by = user
    current.name_set_at = timezone.now()
    current._history_user = user
    current._change_reason = _("Raison sociale saisie par l’ARS")
    current.save()
    return current
