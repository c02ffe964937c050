"""The scope predicates, written once: who is an ARS user of a région, who
is a member of a legal entity, and the one ladder every ``visible_to`` is
built on (nobody signed out, an admin everything, an ARS user his région, a
director his entity)."""

from django.db.models import Q


def signed_in(user) -> bool:
    return user is not None and user.is_authenticated


def is_admin(user) -> bool:
    return signed_in(user) and user.is_admin


def negotiates_in(user, region_id) -> bool:
    """A negotiator of this région (an admin negotiates everywhere)."""
    return signed_in(user) and (user.is_admin or (user.is_negotiator and user.region_id == region_id))


def reads_region(user, region_id) -> bool:
    """An ARS user (negotiator or observer) of this région, or an admin."""
    return signed_in(user) and (user.is_admin or (user.is_regional and user.region_id == region_id))


def member_of(user, legal_entity_id) -> bool:
    """A director of this legal entity."""
    return signed_in(user) and user.is_director and user.legal_entity_id == legal_entity_id


def scoped(queryset, user, *, region=None, entity=None):
    """``queryset`` as ``user`` may see it. ``region``: what an ARS user of
    a région sees, as a lookup (compared with his région) or a function of
    the user returning a Q; ``entity``: what a director sees, likewise
    (compared with his legal entity). Left out: that side sees nothing."""
    if not signed_in(user):
        return queryset.none()
    if user.is_admin:
        return queryset
    if user.is_regional and region is not None:
        return queryset.filter(region(user) if callable(region) else Q(**{region: user.region_id}))
    if user.is_director and entity is not None:
        return queryset.filter(entity(user) if callable(entity) else Q(**{entity: user.legal_entity_id}))
    return queryset.none()
