"""Invitations: a one-time link by email, valid 7 days; only the hash of its
token is kept. Accepting grants what the invitation says (the hook the
ProConnect sign-in calls too: ``accept_invitation(invitation, user)``)."""

import datetime
import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import memberships, scopes
from accounts.models import Function, GrantKind, Invitation, Role, User
from core import mail

VALIDITY = datetime.timedelta(days=7)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def may_invite(user, kind, *, legal_entity=None, region=None) -> bool:
    """A région's user manager invites its ARS agents and the directors (and
    contributors) of its entities; a director the contributors of his entities."""
    if kind in GrantKind.on_entity():
        return legal_entity is not None and memberships.may_grant(user, legal_entity, kind)
    return region is not None and scopes.manages_users_of_region(user, region.pk)


def pending_visible_to(user):
    qs = Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)
    if scopes.is_admin(user):
        return qs
    from django.db.models import Q

    condition = Q(pk__in=[])
    if scopes.signed_in(user) and user.is_user_manager:
        condition |= Q(region_id=user.region_id) | Q(legal_entity__region_id=user.region_id)
    directed = scopes.directed_entity_ids(user)
    if directed:
        condition |= Q(legal_entity_id__in=directed, kind=GrantKind.CONTRIBUTOR)
    return qs.filter(condition)


def _send(invitation, token):
    link = mail.site_link(reverse("portal:invitation_accept", args=[token]))
    context = {
        "what": invitation.get_kind_display(),
        "scope": invitation.scope_label,
        "by": invitation.invited_by.get_full_name() if invitation.invited_by else "",
        "link": link,
        "expires_at": invitation.expires_at,
    }
    mail.send_each(
        [
            mail.compose(
                "accounts/email/invitation",
                context,
                to=invitation.email,
                subject=_("[CPOM Volet 3] Invitation à rejoindre la plateforme"),
                reason=_("une personne habilitée vous a invité à rejoindre la plateforme"),
            )
        ]
    )


@transaction.atomic
def invite(by, email, kind, *, legal_entity=None, region=None, first_name="", last_name=""):
    """Create and send an invitation; the token returned is the one of the link."""
    if kind not in GrantKind.values:
        raise ValidationError(_("Accès inconnu."))
    if kind in GrantKind.on_entity():
        region = None
    else:
        legal_entity = None
    if not may_invite(by, kind, legal_entity=legal_entity, region=region):
        raise PermissionDenied
    email = email.strip().lower()
    if not mail.is_valid_address(email):
        raise ValidationError(_("Adresse électronique invalide."))
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation = Invitation.objects.create(
        email=email,
        first_name=first_name,
        last_name=last_name,
        kind=kind,
        legal_entity=legal_entity,
        region=region,
        token_hash=_hash(token),
        invited_by=by,
        sent_at=now,
        expires_at=now + VALIDITY,
    )
    transaction.on_commit(lambda: _send(invitation, token))
    return invitation, token


def _require_manager(by, invitation):
    if not pending_visible_to(by).filter(pk=invitation.pk).exists():
        raise PermissionDenied


@transaction.atomic
def resend(invitation, *, by):
    """A new link (the old one stops working), valid 7 days from now."""
    _require_manager(by, invitation)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation.token_hash, invitation.sent_at, invitation.expires_at = _hash(token), now, now + VALIDITY
    invitation._change_reason = _("Invitation renvoyée")
    invitation.save()
    transaction.on_commit(lambda: _send(invitation, token))
    return token


@transaction.atomic
def revoke(invitation, *, by):
    _require_manager(by, invitation)
    invitation.revoked_at = timezone.now()
    invitation._change_reason = _("Invitation révoquée")
    invitation.save()


def find(token):
    """The usable invitation of this token, else None (unknown, used, revoked or expired)."""
    invitation = Invitation.objects.filter(token_hash=_hash(token or "")).select_related("legal_entity").first()
    if invitation is None or not invitation.is_usable(timezone.now()):
        return None
    return invitation


@transaction.atomic
def accept_invitation(invitation, user):
    """Grant ``user`` what ``invitation`` says and close it. The hook of
    both ways in: the password form below and the ProConnect sign-in."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable(timezone.now()):
        raise ValidationError(_("Cette invitation n’est plus valable : demandez-en une nouvelle."))
    by = invitation.invited_by
    if invitation.kind in GrantKind.on_entity():
        function = Function.DIRECTOR if invitation.kind == GrantKind.DIRECTOR else Function.CONTRIBUTOR
        memberships.grant(user, invitation.legal_entity, function, by=by, reason=_("Invitation acceptée"))
    else:
        if user.is_director or user.is_admin:
            raise ValidationError(_("Ce compte représente un établissement : il ne peut pas devenir agent d’ARS."))
        user.role = Role.NEGOTIATOR if invitation.kind == GrantKind.NEGOTIATOR else Role.OBSERVER
        user.region = invitation.region
        user.manages_accounts = invitation.manages_accounts
        user._change_reason = _("Invitation acceptée")
        user._history_user = by
        user.save()
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation._change_reason = _("Invitation acceptée")
    invitation.save()
    return user


@transaction.atomic
def accept_with_password(invitation, username, password, first_name="", last_name=""):
    """A new account for the invited person, with the password he chose (validated by the caller's form)."""
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(_("Cet identifiant est déjà pris : choisissez-en un autre."))
    user = User(
        username=username,
        email=invitation.email,
        first_name=first_name or invitation.first_name,
        last_name=last_name or invitation.last_name,
        role=Role.NONE,
    )
    user.set_password(password)
    user.save()
    return accept_invitation(invitation, user)
