"""Who holds which entity, and the account's life: grant, change, remove a
membership, change an ARS agent's role, deactivate and reactivate an account.
Every write leaves its line in the audit trail (simple_history, with the
author and a reason); the entity a person acts for is kept in his session."""

from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import scopes
from accounts.models import EntityMembership, Function, Role, User

ACTING_ENTITY_KEY = "acting_entity_id"


# --- The entity a person acts for -------------------------------------------------------------


def held_memberships(user):
    """The memberships of ``user``, with their entity, by entity name."""
    return scopes.memberships_of(user)


def acting_membership(request):
    """The membership the person acts for: the one chosen in his session, else his first."""
    held = held_memberships(request.user)
    if not held:
        return None
    chosen = request.session.get(ACTING_ENTITY_KEY)
    return next((m for m in held if m.legal_entity_id == chosen), held[0])


def choose_acting_entity(request, legal_entity_id) -> bool:
    if not scopes.member_of(request.user, legal_entity_id):
        return False
    request.session[ACTING_ENTITY_KEY] = legal_entity_id
    return True


# --- Who may manage whom ----------------------------------------------------------------------


def users_managed_by(user):
    """The accounts ``user`` manages: every one for an admin; for a
    région's user manager its ARS agents and the people of its entities; for
    a director the members of the entities he directs."""
    qs = User.objects.exclude(pk=user.pk) if scopes.signed_in(user) else User.objects.none()
    if scopes.is_admin(user):
        return qs
    condition = Q(pk__in=[])
    if scopes.signed_in(user) and user.is_user_manager:
        condition |= Q(region_id=user.region_id, role__in=[Role.NEGOTIATOR, Role.OBSERVER])
        condition |= Q(role=Role.DIRECTOR, entity_memberships__legal_entity__region_id=user.region_id)
    directed = scopes.directed_entity_ids(user)
    if directed:
        condition |= Q(role=Role.DIRECTOR, entity_memberships__legal_entity_id__in=directed)
    return qs.filter(condition).exclude(is_superuser=True).exclude(role=Role.ADMIN).distinct()


def manageable_memberships(manager, target):
    """The memberships of ``target`` that ``manager`` may change or remove:
    a région's user manager those in his région, a director the
    contributors of his entities."""
    memberships = target.entity_memberships.select_related("legal_entity")
    if scopes.is_admin(manager):
        return memberships
    condition = Q(pk__in=[])
    if manager.is_user_manager:
        condition |= Q(legal_entity__region_id=manager.region_id)
    directed = scopes.directed_entity_ids(manager)
    if directed:
        condition |= Q(legal_entity_id__in=directed, function=Function.CONTRIBUTOR)
    return memberships.filter(condition)


def may_manage_account(manager, target) -> bool:
    """Change an ARS agent's role, deactivate or reactivate the account: an
    admin, or the user manager of the région that holds all of the account."""
    if target.pk == manager.pk or target.is_admin:
        return False
    if scopes.is_admin(manager):
        return True
    if not manager.is_user_manager:
        return False
    if target.is_regional:
        return target.region_id == manager.region_id
    regions = set(target.entity_memberships.values_list("legal_entity__region_id", flat=True))
    return target.role in (Role.DIRECTOR, Role.NONE) and regions <= {manager.region_id}


def may_grant(manager, legal_entity, function) -> bool:
    """Directors of an entity are granted by its région's user manager,
    contributors also by the entity's director."""
    if scopes.manages_users_of_region(manager, legal_entity.region_id):
        return True
    return function == Function.CONTRIBUTOR and scopes.directs(manager, legal_entity.pk)


# --- Writes -----------------------------------------------------------------------------------


def _with_reason(instance, by, reason):
    instance._change_reason = reason
    instance._history_user = by


@transaction.atomic
def grant(user, legal_entity, function, *, by=None, reason=""):
    """Give ``user`` this function in ``legal_entity`` (the establishment's side)."""
    if function not in Function.values:
        raise ValidationError(_("Fonction inconnue."))
    given, user = user, User.objects.select_for_update().get(pk=user.pk)
    if user.role != Role.DIRECTOR:
        if user.role not in (Role.NONE, Role.OBSERVER) or user.region_id or user.is_admin:
            raise ValidationError(_("Ce compte est celui d’un agent d’ARS : il ne peut pas représenter une entité."))
        user.role = Role.DIRECTOR
        _with_reason(user, by, reason or _("Rattachement à une entité"))
        user.save()
        given.role = user.role
    membership = EntityMembership.objects.filter(user=user, legal_entity=legal_entity).first()
    if membership is None:
        membership = EntityMembership(user=user, legal_entity=legal_entity, function=function, granted_by=by)
    elif membership.function == function:
        return membership
    membership.function = function
    _with_reason(membership, by, reason or _("Accès accordé"))
    membership.save()
    scopes.forget_functions(given)
    return membership


@transaction.atomic
def change_function(membership, function, *, by):
    if (
        not may_grant(by, membership.legal_entity, function)
        or not manageable_memberships(by, membership.user).filter(pk=membership.pk).exists()
    ):
        raise PermissionDenied
    if function not in Function.values:
        raise ValidationError(_("Fonction inconnue."))
    membership.function = function
    _with_reason(membership, by, _("Fonction modifiée"))
    membership.save()
    return membership


@transaction.atomic
def remove_membership(membership, *, by):
    if not manageable_memberships(by, membership.user).filter(pk=membership.pk).exists():
        raise PermissionDenied
    _with_reason(membership, by, _("Accès retiré"))
    membership.delete()


@transaction.atomic
def change_ars_role(target, role, manages_accounts, *, by):
    """An ARS agent of the manager's région: négociateur or observateur, user manager or not."""
    if not target.is_regional or not may_manage_account(by, target):
        raise PermissionDenied
    if role not in (Role.NEGOTIATOR, Role.OBSERVER):
        raise ValidationError(_("Rôle inconnu pour un agent d’ARS."))
    target.role, target.manages_accounts = role, bool(manages_accounts)
    _with_reason(target, by, _("Rôle modifié"))
    target.save()
    return target


def end_sessions(user) -> int:
    """Delete every open session of ``user``: he is signed out at once."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def deactivate(target, *, by, reason=""):
    if by is not None and not may_manage_account(by, target):
        raise PermissionDenied
    target.is_active = False
    _with_reason(target, by, reason or _("Compte désactivé"))
    target.save()
    end_sessions(target)
    return target


@transaction.atomic
def reactivate(target, *, by):
    if not may_manage_account(by, target):
        raise PermissionDenied
    target.is_active = True
    target.deactivation_warned_at = None
    _with_reason(target, by, _("Compte réactivé"))
    target.save()
    return target
