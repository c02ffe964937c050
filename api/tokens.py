"""Issuing, revoking and checking API tokens. Plain functions; the tokens
page, the ``create_api_token`` command and the authentication class call
them."""

import datetime
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.scopes import directed_entity_ids
from api import permissions
from api.models import SHOWN_PREFIX_LENGTH, TOKEN_PREFIX, ApiToken, TokenKind, hash_key

# Last-used dates are written at most this often per token: a BI tool paging
# through a région must not turn every read into a write.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


class TokenRefusedError(Exception):
    """A token that does not open the API, with the French reason."""


def new_key() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def default_kind(user):
    return TokenKind.ENTITY if user.is_director else TokenKind.REGION


@transaction.atomic
def issue_token(user, name, days=None, region=None, entity=None) -> tuple[ApiToken, str]:
    """Create a token for ``user``: an entity's token for a director, a
    région's otherwise (``region``: the négociateur's own by default).
    Returns the token and its secret, which is never stored nor shown again."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Donnez un nom au jeton (l’outil ou le système qui l’utilise)."))
    if len(name) > 100:
        raise ValidationError(_("Le nom du jeton : 100 caractères au plus."))
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ValidationError(_("La durée de validité va de 1 à %(max)s jours.") % {"max": settings.API_TOKEN_MAX_DAYS})
    token = ApiToken(name=name, user=user, expires_at=timezone.now() + datetime.timedelta(days=days))
    if user.is_director:
        entity_id = entity.pk if entity is not None else next(iter(directed_entity_ids(user)), None)
        if not permissions.can_issue_entity_token(user, entity_id):
            raise PermissionDenied
        token.kind, token.legal_entity_id = TokenKind.ENTITY, entity_id
    else:
        region_id = region.pk if region is not None else user.region_id
        if region_id is None:
            raise ValidationError(_("Choisissez la région du jeton."))
        if not permissions.can_issue_region_token(user, region_id):
            raise PermissionDenied
        token.kind, token.region_id = TokenKind.REGION, region_id
    key = new_key()
    token.prefix, token.key_hash = key[:SHOWN_PREFIX_LENGTH], hash_key(key)
    token.save()
    return token, key


@transaction.atomic
def revoke_token(user, token) -> ApiToken:
    if not permissions.can_revoke(user, token):
        raise PermissionDenied
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at, token.revoked_by = timezone.now(), user
        token.save(update_fields=["revoked_at", "revoked_by"])
    return token


def region_reader(token, holder) -> User:
    """The user a région's token acts as: an observer of that région, whoever
    issued it (an admin's token of a région sees that région, no more). Never
    saved: it has no id, so no write can be attributed to it."""
    return User(
        username=holder.username,
        first_name=holder.first_name,
        last_name=holder.last_name,
        role=Role.OBSERVER,
        region_id=token.region_id,
        is_active=True,
    )


def authenticate(key: str) -> tuple[ApiToken, User]:
    """The token of this secret and the user it acts as, or TokenRefusedError."""
    if not key.startswith(TOKEN_PREFIX) or len(key) > 200:
        raise TokenRefusedError(_("Jeton d’API invalide."))
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
    if token is None:
        raise TokenRefusedError(_("Jeton d’API invalide."))
    if token.is_revoked:
        raise TokenRefusedError(_("Ce jeton d’API a été révoqué."))
    if token.is_expired:
        raise TokenRefusedError(
            _("Ce jeton d’API a expiré le %(date)s.") % {"date": f"{timezone.localtime(token.expires_at):%d/%m/%Y}"}
        )
    holder = token.user
    if not permissions.may_hold(holder, token):
        raise TokenRefusedError(_("Le titulaire de ce jeton n’a plus accès à son périmètre : le jeton ne sert plus."))
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    user = region_reader(token, holder) if token.kind == TokenKind.REGION else holder
    user.api_token = token
    return token, user
