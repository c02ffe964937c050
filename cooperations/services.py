"""Domain operations that write: plain functions, transactional."""

from django.db import transaction

from cooperations.models import CompositionSource, CooperationStructure
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
