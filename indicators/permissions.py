"""Who may do what in the follow-up of the indicators. What a user may *see*
is decided by the ``visible_to(user)`` queryset methods."""

from accounts.scopes import is_admin, may_submit_for, member_of, negotiates_in, reads_region, signed_in
from indicators.models import CampaignPhase


def can_open_campaign(user, region=None) -> bool:
    """The ARS opens its région's campaigns: its négociateurs, and admins."""
    if region is None:
        return signed_in(user) and (user.is_admin or user.is_negotiator)
    return negotiates_in(user, region.pk)


def can_manage_campaign(user, campaign) -> bool:
    return can_open_campaign(user, campaign.region)


def can_declare(user, legal_entity_id) -> bool:
    """The members of the entity (director or contributor), or an admin, enter its values."""
    return is_admin(user) or member_of(user, legal_entity_id)


def can_submit(user, legal_entity_id) -> bool:
    """Only the director of the entity, or an admin, submits them to the ARS: a contributor drafts."""
    return may_submit_for(user, legal_entity_id)


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


def reopens_after_window(user, campaign) -> bool:
    """Who may still reopen a validated value once the campaign's correction
    window is over. Admins only until accounts has a regional manager's role;
    then its predicate joins here (the one place to extend)."""
    return is_admin(user)


def can_reopen(user, campaign, day=None) -> bool:
    """The ARS that validates reopens a validated value; after the correction window, only
    ``reopens_after_window``."""
    if not can_validate(user, campaign):
        return False
    return campaign.phase(day) != CampaignPhase.CLOSED or reopens_after_window(user, campaign)
