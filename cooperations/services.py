"""Domain operations that write: plain functions, transactional."""

from django.db import transaction

from .models import CompositionSource, CooperationStructure


@transaction.atomic
def save_structure(form, formset, user) -> CooperationStructure:
    """Save a cooperation structure and its members together, or nothing.

    A negotiator's structure belongs to his région. A member added or changed
    by hand is marked as entered in the application, even in a GHT whose
    composition came from a file."""
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
