"""Who may do what in the follow-up of the indicators. What a user may *see*
is decided by the ``visible_to(user)`` queryset methods."""


def can_open_campaign(user, region=None) -> bool:
    """The ARS opens its région's campaigns: its négociateurs, and admins."""
    if not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    return user.is_negotiator and (region is None or region.pk == user.region_id)


def can_manage_campaign(user, campaign) -> bool:
    return can_open_campaign(user, campaign.region)


def can_declare(user, legal_entity_id) -> bool:
    """Only the director of the entity, or an admin, declares its values."""
    if not user.is_authenticated:
        return False
    return user.is_admin or (user.is_director and user.legal_entity_id == legal_entity_id)


def can_validate(user, campaign) -> bool:
    """Only the ARS of the région validates or sends back."""
    return can_manage_campaign(user, campaign)


def can_read_notes(user, campaign) -> bool:
    """Internal notes stay within the ARS: never shown to an establishment."""
    if not user.is_authenticated:
        return False
    return user.is_admin or (user.is_regional and campaign.region_id == user.region_id)


def can_write_note(user, campaign) -> bool:
    return can_validate(user, campaign)


def can_import_inputs(user) -> bool:
    """Stays and costs: admins and négociateurs."""
    return user.is_authenticated and (user.is_admin or user.is_negotiator)


def can_compute(user, region=None) -> bool:
    """An admin computes for any région or all; a négociateur for his own."""
    if not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    return user.is_negotiator and region is not None and region.pk == user.region_id
