"""Access requests: a signed-in person with no role asks for one; the
entity's director decides for a contributor, the région's user manager for
a director or an ARS agent; the person is told by email."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import memberships, scopes
from accounts.models import AccessRequest, Function, GrantKind, Role
from core import mail


def siren_matches(siret, entity_siren) -> bool:
    """The SIREN is the first 9 digits of a SIRET."""
    siret = "".join(ch for ch in (siret or "") if ch.isdigit())
    return len(siret) == 14 and bool(entity_siren) and siret[:9] == entity_siren


@transaction.atomic
def request_access(user, kind, job_title, *, legal_entity=None, region=None, siret=None):
    if scopes.has_role(user):
        raise ValidationError(_("Vous avez déjà un accès à la plateforme."))
    if AccessRequest.objects.filter(user=user, status=AccessRequest.Status.PENDING).exists():
        raise ValidationError(_("Votre demande précédente est encore en attente."))
    if kind not in GrantKind.values:
        raise ValidationError(_("Accès inconnu."))
    job_title = (job_title or "").strip()
    if not job_title:
        raise ValidationError(_("Indiquez votre fonction."))
    siret = siret if siret is not None else user.proconnect_siret
    if kind in GrantKind.on_entity():
        if legal_entity is None:
            raise ValidationError(_("Choisissez l’entité juridique."))
        region = legal_entity.region
    elif region is None:
        raise ValidationError(_("Choisissez la région de votre ARS."))
    else:
        legal_entity = None
    return AccessRequest.objects.create(
        user=user,
        kind=kind,
        legal_entity=legal_entity,
        region=region,
        job_title=job_title[:200],
        siret=siret or "",
        siren_matches=bool(legal_entity) and siren_matches(siret, legal_entity.siren),
    )


def decidable_by(user):
    """The pending requests ``user`` decides."""
    qs = AccessRequest.objects.filter(status=AccessRequest.Status.PENDING)
    if scopes.is_admin(user):
        return qs
    condition = Q(pk__in=[])
    if scopes.signed_in(user) and user.is_user_manager:
        condition |= Q(region_id=user.region_id)
    directed = scopes.directed_entity_ids(user)
    if directed:
        condition |= Q(legal_entity_id__in=directed, kind=GrantKind.CONTRIBUTOR)
    return qs.filter(condition)


def _tell(access_request):
    accepted = access_request.status == AccessRequest.Status.ACCEPTED
    context = {
        "what": access_request.get_kind_display(),
        "scope": access_request.scope_label,
        "decision": _("acceptée") if accepted else _("refusée"),
        "reason": access_request.reason,
        "link": mail.site_link(reverse("home")),
    }
    mail.send_each(
        [
            mail.compose(
                "accounts/email/access_decision",
                context,
                to=access_request.user.email,
                subject=_("[CPOM Volet 3] Votre demande d’accès est %(decision)s") % {"decision": context["decision"]},
                reason=_("vous avez demandé un accès à la plateforme"),
            )
        ]
    )


@transaction.atomic
def decide(access_request, *, by, accept, reason=""):
    access_request = (
        AccessRequest.objects.select_for_update(of=("self",))
        .select_related("user", "legal_entity")
        .get(pk=access_request.pk)
    )
    if not decidable_by(by).filter(pk=access_request.pk).exists():
        raise PermissionDenied
    reason = (reason or "").strip()
    if not accept and not reason:
        raise ValidationError(_("Donnez le motif du refus : il est envoyé à la personne."))
    user = access_request.user
    if accept:
        if access_request.kind in GrantKind.on_entity():
            function = Function.DIRECTOR if access_request.kind == GrantKind.DIRECTOR else Function.CONTRIBUTOR
            memberships.grant(user, access_request.legal_entity, function, by=by, reason=_("Demande d’accès acceptée"))
        else:
            user.role = Role.NEGOTIATOR if access_request.kind == GrantKind.NEGOTIATOR else Role.OBSERVER
            user.region = access_request.region
            user._change_reason, user._history_user = _("Demande d’accès acceptée"), by
            user.save()
    access_request.status = AccessRequest.Status.ACCEPTED if accept else AccessRequest.Status.REFUSED
    access_request.decided_at, access_request.decided_by, access_request.reason = timezone.now(), by, reason
    access_request._history_user = by
    access_request.save()
    transaction.on_commit(lambda: _tell(access_request))
    return access_request
