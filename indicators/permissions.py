"""Who may do what in the follow-up of the indicators. What a user may *see*
is decided by the ``visible_to(user)`` queryset methods."""

from accounts.scopes import is_admin, member_of, negotiates_in, reads_region, signed_in


def can_open_campaign(user, region=None) -> bool:
    """The ARS opens its région's campaigns: its négociateurs, and admins."""
    if region is None:
        return signed_in(user) and (user.is_admin or user.is_negotiator)
    return negotiates_in(user, region.pk)


def can_manage_campaign(user, campaign) -> bool:
    return can_open_campaign(user, campaign.region)


def can_declare(user, legal_entity_id) -> bool:
    """Only the director of the entity, or an admin, declares its values."""
    return is_admin(user) or member_of(user, legal_entity_id)


def can_validate(user, campaign) -> bool:
    """Only the ARS of the région validates or sends back."""
    return can_manage_campaign(user, campaign)


def can_read_notes(user, campaign) -> bool:
    """Internal notes stay within the ARS: never shown to an establishment."""
    return reads_region(user, campaign.region_id)


def can_write_note(user, campaign) -> bool:
    return can_validate(user, campaign)


def can_import_inputs(user) -> bool:
    """Stays and costs: admins and négociateurs."""
    return signed_in(user) and (user.is_admin or user.is_negotiator)


def can_compute(user, region=None) -> bool:
    """An admin computes for any région or all; a négociateur for his own."""
    if region is None:
        return is_admin(user)
    return negotiates_in(user, region.pk)
