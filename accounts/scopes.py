"""The scope predicates, written once: who is an ARS user of a région, who
is a member of a legal entity (and with which function), who manages whose
accounts, and the one ladder every ``visible_to`` is built on (nobody signed
out, an admin everything, an ARS user his région, a person on an
establishment's side the union of the entities he holds)."""

from django.db.models import Q

from accounts.models import Function


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


def establishment_side(user) -> bool:
    """On an establishment's side: sees the entities he holds, nothing else."""
    return signed_in(user) and user.is_director


def memberships_of(user) -> list:
    """The memberships of ``user``, with their entity, by entity name: read
    once per user object (a request), for the header's entity switch and for
    every scope predicate below."""
    if not establishment_side(user):
        return []
    cached = getattr(user, "_held_memberships", None)
    if cached is None:
        memberships = user.entity_memberships.select_related("legal_entity").order_by("legal_entity__name", "pk")
        # The entity's name and numbers only (not its provenance fields): read on every page of a director.
        entity = ("legal_entity__name", "legal_entity__finess", "legal_entity__region")
        cached = list(memberships.only("user", "legal_entity", "function", "granted_at", "granted_by", *entity))
        user._held_memberships = cached
    return cached


def functions_of(user) -> dict:
    """{legal entity id: function} of the entities ``user`` holds."""
    if not establishment_side(user):
        return {}
    cached = getattr(user, "_entity_functions", None)
    if cached is None:
        cached = {membership.legal_entity_id: membership.function for membership in memberships_of(user)}
        user._entity_functions = cached
    return cached


def forget_functions(user) -> None:
    """After a change of his memberships, read them again."""
    user.__dict__.pop("_entity_functions", None)
    user.__dict__.pop("_held_memberships", None)


def entity_ids(user) -> list:
    """The ids of the legal entities ``user`` holds, sorted."""
    return sorted(functions_of(user))


def member_of(user, legal_entity_id) -> bool:
    """A director or a contributor of this legal entity."""
    return legal_entity_id in functions_of(user)


def directs(user, legal_entity_id) -> bool:
    """The director (legal representative) of this legal entity."""
    return functions_of(user).get(legal_entity_id) == Function.DIRECTOR


def may_submit_for(user, legal_entity_id) -> bool:
    """Submits declarations, answers the concertation, signs off: the
    entity's director or an admin, never a contributor."""
    return is_admin(user) or directs(user, legal_entity_id)


def manages_users_of_region(user, region_id) -> bool:
    """The user manager of this région's ARS (or an admin)."""
    return is_admin(user) or (signed_in(user) and user.is_user_manager and user.region_id == region_id)


def manages_team_of(user, legal_entity_id) -> bool:
    """Invites and manages the contributors of this entity: its director."""
    return is_admin(user) or directs(user, legal_entity_id)


def manages_accounts(user) -> bool:
    """Has a user management page: an admin, a région's user manager, a director of some entity."""
    if not signed_in(user):
        return False
    return user.is_admin or user.is_user_manager or Function.DIRECTOR in functions_of(user).values()


def has_role(user) -> bool:
    """Granted something: an admin, an ARS user of a région, or a member of an entity."""
    if not signed_in(user):
        return False
    return user.is_admin or user.is_regional or bool(functions_of(user))


def scoped(queryset, user, *, region=None, entity=None):
    """``queryset`` as ``user`` may see it. ``region``: what an ARS user of
    a région sees, as a lookup (compared with his région) or a function of
    the user returning a Q; ``entity``: what a person on an establishment's
    side sees, likewise (a lookup compared with the entities he holds).
    Left out: that side sees nothing."""
    if not signed_in(user):
        return queryset.none()
    if user.is_admin:
        return queryset
    if user.is_regional and region is not None:
        return queryset.filter(region(user) if callable(region) else Q(**{region: user.region_id}))
    if user.is_director and entity is not None:
        return queryset.filter(entity(user) if callable(entity) else Q(**{f"{entity}__in": entity_ids(user)}))
    return queryset.none()


def directed_entity_ids(user) -> list:
    """The ids of the legal entities ``user`` directs, sorted."""
    return sorted(pk for pk, function in functions_of(user).items() if function == Function.DIRECTOR)
