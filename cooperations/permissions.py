"""Permission checks per action. What a user may *see* is decided by the
``visible_to(user)`` queryset methods of the models; what he may *do* here."""

from django.core.exceptions import PermissionDenied

from accounts.scopes import negotiates_in
from cooperations.models import CooperationStructure


def can_create_structure(user) -> bool:
    return user.is_authenticated and (user.is_admin or user.is_negotiator)


def can_create_ght(user) -> bool:
    """The 135 GHT are national reference data: only an admin adds one."""
    return user.is_authenticated and user.is_admin


def can_edit_structure(user, structure: CooperationStructure) -> bool:
    return negotiates_in(user, structure.region_id)


def can_set_entity_name(user, entity) -> bool:
    """The raison sociale of an entity: the négociateurs of its région, and the admins."""
    return entity.region_id is not None and negotiates_in(user, entity.region_id)


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def can_import_registers(user) -> bool:
    """Reference data is national: only an admin loads register files."""
    return user.is_authenticated and user.is_admin
