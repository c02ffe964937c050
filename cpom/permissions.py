"""Permission checks per action. What a user may *see* is decided by the
``visible_to(user)`` queryset methods of the models; what he may *do* here."""

from accounts.scopes import directs, member_of, negotiates_in, reads_region
from cooperations.permissions import require  # noqa: F401 - one refusal helper for the contract's views
from cpom.models import CpomStatus

# --- CPOM -----------------------------------------------------------------------------------
# What a user may see of a CPOM is ``Cpom.objects.visible_to(user)``; the
# checks below decide what he may do with a CPOM he sees.


def _negotiates(user, cpom) -> bool:
    return negotiates_in(user, cpom.region_id)


def can_create_cpom(user) -> bool:
    return user.is_authenticated and (user.is_admin or user.is_negotiator)


def can_manage_cpom(user, cpom) -> bool:
    """Drive the negotiation: share, take back, sign, open an amendment."""
    return _negotiates(user, cpom)


def can_edit_cpom_content(user, cpom) -> bool:
    """Edit the commitments: the ARS, while the CPOM is open for editing."""
    return _negotiates(user, cpom) and cpom.is_editable


def can_delete_cpom(user, cpom) -> bool:
    """Only a draft that was never signed nor shared with the establishment."""
    return _negotiates(user, cpom) and cpom.status == CpomStatus.PREPARATION and not cpom.shared_with_director


def is_director_of(user, cpom) -> bool:
    """A member of the CPOM's entity (director or contributor)."""
    return member_of(user, cpom.legal_entity_id)


def answers_for(user, cpom) -> bool:
    """Answers the concertation and signs off: the entity's director, never a contributor."""
    return directs(user, cpom.legal_entity_id)


def can_comment(user, cpom) -> bool:
    """The ARS while the CPOM is negotiated; the director during the concertation."""
    if cpom.status == CpomStatus.SIGNED:
        return False
    if is_director_of(user, cpom):
        return cpom.status == CpomStatus.CONCERTATION
    return _negotiates(user, cpom)


def can_propose_change(user, cpom) -> bool:
    return answers_for(user, cpom) and cpom.status == CpomStatus.CONCERTATION


def can_decide_proposal(user, cpom) -> bool:
    return can_edit_cpom_content(user, cpom)


def can_export_annex(user, cpom) -> bool:
    """The ARS exports the annex: admins, and the négociateurs and observers
    of the CPOM's région."""
    return reads_region(user, cpom.region_id)


def can_export_archive(user) -> bool:
    """A whole région's annexes: admins and négociateurs."""
    return user.is_authenticated and (user.is_admin or user.is_negotiator)


def can_see_archive(user, archive) -> bool:
    if not can_export_archive(user):
        return False
    return reads_region(user, archive.region_id)
