"""Who may do what with a diagnostic; who sees which is
``Diagnostic.objects.visible_to``."""


def can_open_diagnostic(user, region=None) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    return user.is_negotiator and (region is None or region.pk == user.region_id)


def can_edit_diagnostic(user, diagnostic) -> bool:
    """The territorial part, the answers, the inventory and the axes: the ARS."""
    return can_open_diagnostic(user, diagnostic.region)


def can_see_structure_view(user, diagnostic, legal_entity_id) -> bool:
    """A structure's needs and constraints: the ARS, and that entity's director only."""
    if not user.is_authenticated:
        return False
    if user.is_admin or (user.is_regional and diagnostic.region_id == user.region_id):
        return True
    return user.is_director and user.legal_entity_id == legal_entity_id


def can_edit_structure_view(user, diagnostic, legal_entity_id) -> bool:
    if can_edit_diagnostic(user, diagnostic):
        return True
    return user.is_authenticated and user.is_director and user.legal_entity_id == legal_entity_id
