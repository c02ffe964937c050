"""Who may do what with a diagnostic; who sees which is
``Diagnostic.objects.visible_to``."""

from accounts.scopes import member_of, negotiates_in, reads_region, signed_in


def can_open_diagnostic(user, region=None) -> bool:
    if region is None:
        return signed_in(user) and (user.is_admin or user.is_negotiator)
    return negotiates_in(user, region.pk)


def can_edit_diagnostic(user, diagnostic) -> bool:
    """The territorial part, the answers, the inventory and the axes: the ARS."""
    return can_open_diagnostic(user, diagnostic.region)


def can_see_structure_view(user, diagnostic, legal_entity_id) -> bool:
    """A structure's needs and constraints: the ARS, and that entity's director only."""
    return reads_region(user, diagnostic.region_id) or member_of(user, legal_entity_id)


def can_edit_structure_view(user, diagnostic, legal_entity_id) -> bool:
    if can_edit_diagnostic(user, diagnostic):
        return True
    return member_of(user, legal_entity_id)
