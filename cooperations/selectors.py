"""Reads of the register that compose several models."""

from django.db.models import OuterRef, Subquery

from cooperations.models import Membership, StructureKind


def ght_name_subquery():
    return Subquery(
        Membership.objects.filter(legal_entity_id=OuterRef("legal_entity_id"), structure__kind=StructureKind.GHT)
        .order_by("structure__short_code")
        .values("structure__short_code")[:1]
    )
