"""Reads of the register that compose several models."""

from django.db.models import OuterRef, Prefetch, Q, Subquery

from cooperations.models import CooperationStructure, LegalEntity, MemberRole, Membership, StructureKind


def ght_name_subquery():
    return Subquery(
        Membership.objects.filter(legal_entity_id=OuterRef("legal_entity_id"), structure__kind=StructureKind.GHT)
        .order_by("structure__short_code")
        .values("structure__short_code")[:1]
    )


def links_context(user, entity, establishment=None):
    """The cooperation links of an entity (or of one of its sites), with
    their members, in a constant number of queries."""
    filters = Q(legal_entity=entity)
    if establishment is not None:
        filters = Q(legal_entity=entity, establishment__isnull=True) | Q(establishment=establishment)
    members = Membership.objects.select_related("legal_entity", "establishment").order_by("role", "legal_entity__name")
    links = list(
        # Only the structures the user may see on their own page: the same rule as everywhere.
        Membership.objects.filter(filters, structure__in=CooperationStructure.objects.visible_to(user))
        .select_related("structure__region")
        .prefetch_related(Prefetch("structure__memberships", queryset=members, to_attr="all_members"))
        .order_by("structure__kind", "structure__name")
    )
    partner_ids = {m.legal_entity_id for link in links for m in link.structure.all_members if m.legal_entity_id}
    visible = set(LegalEntity.objects.visible_to(user).filter(pk__in=partner_ids).values_list("pk", flat=True))
    for link in links:
        link.support = next((m for m in link.structure.all_members if m.role == MemberRole.SUPPORT), None)
        link.partners = [m for m in link.structure.all_members if m.legal_entity_id != entity.pk]
    return {"links": links, "visible_entity_ids": visible}
