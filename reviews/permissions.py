"""Who does what in a review or an evaluation he sees (what he sees is the
CPOM's rule, ``visible_to``): the ARS of the CPOM's région leads (opens,
records remarks, decisions and conclusions, finalizes, carries over); the
members of the CPOM's entity, director or contributor, write the
establishment's remarks and conclusions; an observer reads."""

from accounts.scopes import member_of, negotiates_in, reads_region


def leads(user, cpom) -> bool:
    """The negotiators of the CPOM's région, and the admins."""
    return negotiates_in(user, cpom.region_id)


def answers(user, cpom) -> bool:
    """The establishment's side: a director or a contributor of the CPOM's entity."""
    return member_of(user, cpom.legal_entity_id)


def can_edit(user, record) -> bool:
    """Anything to write in this review or evaluation (a draft)."""
    return not record.is_finalized and (leads(user, record.cpom) or answers(user, record.cpom))


def reads_region_reviews(user, region_id) -> bool:
    """The région's page of reviews: its ARS users and the admins."""
    return reads_region(user, region_id)
