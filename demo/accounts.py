"""The demo's accounts beyond one per role: the région's user manager, a
contributor of the director's entity, a person holding two entities, a
pending invitation and a pending access request (idempotent)."""

import datetime

from django.utils import timezone

from accounts import invitations
from accounts.models import AccessRequest, EntityMembership, Function, GrantKind, Invitation, Role, User
from cooperations.models import LegalEntity

INVITED_EMAIL = "invitee@demo.invalid"


def _person(username, first, last, role, password, region=None):
    user, _created = User.objects.update_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "email": f"{username}@demo.invalid",
            "role": role,
            "region": region,
            "manages_accounts": False,
            "is_active": True,
        },
    )
    user.set_password(password)
    user.save()
    return user


def _hold(user, entity, function):
    EntityMembership.objects.update_or_create(user=user, legal_entity=entity, defaults={"function": function})


def build_demo_accounts(region, entity, password):
    """Returns the second entity of the person with two."""
    director = User.objects.get(username="directeur")
    EntityMembership.objects.filter(user=director).exclude(legal_entity=entity).delete()
    _hold(director, entity, Function.DIRECTOR)
    manager = _person("gestionnaire", "Gaëlle", "Gestionnaire", Role.OBSERVER, password, region)
    manager.manages_accounts = True
    manager.save()
    contributor = _person("collaborateur", "Camille", "Collaborateur", Role.DIRECTOR, password)
    _hold(contributor, entity, Function.CONTRIBUTOR)
    other = LegalEntity.objects.filter(region=region).exclude(pk=entity.pk).order_by("finess").first()
    both = _person("direction-commune", "Dominique", "Direction commune", Role.DIRECTOR, password)
    _hold(both, entity, Function.DIRECTOR)
    _hold(both, other, Function.DIRECTOR)
    Invitation.objects.filter(email=INVITED_EMAIL).delete()
    invitation, _token = invitations.invite(manager, INVITED_EMAIL, GrantKind.DIRECTOR, legal_entity=other)
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now() - datetime.timedelta(days=1))
    newcomer = _person("nouveau", "Noé", "Nouveau", Role.NONE, password)
    newcomer.proconnect_siret = (other.siren + "00012") if other.siren else ""
    newcomer.save()
    AccessRequest.objects.filter(user=newcomer).delete()
    AccessRequest.objects.create(
        user=newcomer,
        kind=GrantKind.CONTRIBUTOR,
        legal_entity=entity,
        region=region,
        job_title="Contrôleur de gestion",
        siret=newcomer.proconnect_siret,
    )
    return other
