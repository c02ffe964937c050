"""Who is on each side of a CPOM: the ARS side (the négociateurs of its
région) and the establishment side (the directors of its legal entity)."""

from accounts.models import Role, User


def ars_side(region_id):
    return User.objects.filter(is_active=True, role=Role.NEGOTIATOR, region_id=region_id).order_by("pk")


def establishment_side(legal_entity_id):
    members = User.objects.filter(
        is_active=True, role=Role.DIRECTOR, entity_memberships__legal_entity_id=legal_entity_id
    )
    return members.order_by("pk")
