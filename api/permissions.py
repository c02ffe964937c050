"""Who may hold, issue and revoke which API token, written once on the scope
predicates of ``accounts.scopes``; and the DRF permission classes of the
endpoints, which ask them. What a token *sees* is its user's
``visible_to``."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.scopes import directs, is_admin, negotiates_in, signed_in
from api.models import ApiToken, TokenKind


def can_issue_region_token(user, region_id) -> bool:
    """A région's read-only token (BI tools): an admin, or a négociateur of
    that région — the one predicate to extend when a regional user manager
    role exists."""
    return negotiates_in(user, region_id)


def can_issue_entity_token(user, legal_entity_id) -> bool:
    """An entity's token (its own system reads and declares): its director."""
    return directs(user, legal_entity_id)


def may_hold(user, token) -> bool:
    """Whether ``user`` may still use ``token``: checked on every call, so
    that a user who changes role or scope loses his tokens' access at once."""
    if not signed_in(user) or not user.is_active:
        return False
    if token.kind == TokenKind.REGION:
        return can_issue_region_token(user, token.region_id)
    return can_issue_entity_token(user, token.legal_entity_id)


def can_use_token_page(user) -> bool:
    return signed_in(user) and (user.is_admin or user.is_negotiator or user.is_director)


def can_revoke(user, token) -> bool:
    """The holder, an admin, or whoever may issue the same région's tokens."""
    if not signed_in(user):
        return False
    if token.user_id == user.pk or is_admin(user):
        return True
    return token.kind == TokenKind.REGION and can_issue_region_token(user, token.region_id)


class HasApiToken(BasePermission):
    """Every data endpoint: a valid token, nothing else (no session)."""

    message = _("Jeton d’API manquant : envoyez l’en-tête « Authorization: Bearer <jeton> ».")

    def has_permission(self, request, view):
        return isinstance(request.auth, ApiToken)


class DeclaresWithToken(BasePermission):
    """Writes: only an entity's token; a région's token reads."""

    message = _("Ce jeton est en lecture seule : seul le jeton d’une entité juridique peut déclarer des valeurs.")

    def has_permission(self, request, view):
        # A method the endpoint does not offer is its 405, not a refusal of the token.
        if request.method in SAFE_METHODS or getattr(view, "action", None) is None:
            return True
        return isinstance(request.auth, ApiToken) and request.auth.may_declare
