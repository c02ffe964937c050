"""Who may keep a CPOM out of the open data. What a user sees of the
withholdings is ``Withholding.objects.visible_to(user)``."""

from accounts.scopes import negotiates_in, reads_region, signed_in


def can_withhold(user, cpom) -> bool:
    """The négociateurs of the CPOM's région, and admins."""
    return negotiates_in(user, cpom.region_id)


def can_see_withholdings(user) -> bool:
    return signed_in(user) and (user.is_admin or user.is_regional)


def can_read_withholdings_of(user, region_id) -> bool:
    return reads_region(user, region_id)
