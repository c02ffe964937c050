"""Invitations: who invites whom, the one-time link valid 7 days, resend, revoke, acceptance."""

import datetime

import pytest
from django.core import mail as outbox
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts import invitations, scopes
from accounts.models import GrantKind, Role, User
from tests.accounts.factories import UserFactory
from tests.cooperations.factories import LegalEntityFactory, department

# Emails are delivered in this process (eager tasks), in the test's transaction, in every mode.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager")]


@pytest.fixture
def paris():
    return LegalEntityFactory(department=department("75"))


def test_the_manager_invites_a_director_who_accepts_with_a_password(client, paris, django_capture_on_commit_callbacks):
    manager = UserFactory(manager=True)
    with django_capture_on_commit_callbacks(execute=True):
        invitation, token = invitations.invite(manager, "Dir@CH.test", GrantKind.DIRECTOR, legal_entity=paris)
    assert invitation.email == "dir@ch.test" and invitation.token_hash != token
    (message,) = outbox.outbox
    assert message.to == ["dir@ch.test"] and "invitation" in message.subject.lower()
    link = reverse("portal:invitation_accept", args=[token])
    assert link in message.body and message.alternatives[0][1] == "text/html"
    response = client.post(
        link,
        {
            "username": "nouveau.dir",
            "first_name": "Nina",
            "last_name": "Nouvelle",
            "password1": "Un-mot-de-passe-solide-42",
            "password2": "Un-mot-de-passe-solide-42",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="nouveau.dir")
    assert user.role == Role.DIRECTOR and scopes.directs(user, paris.pk)
    assert client.get(link).status_code == 404  # one time only


def test_an_expired_or_revoked_link_is_refused(client, paris):
    manager = UserFactory(manager=True)
    invitation, token = invitations.invite(manager, "a@ch.test", GrantKind.CONTRIBUTOR, legal_entity=paris)
    invitation.expires_at = timezone.now() - datetime.timedelta(seconds=1)
    invitation.save()
    assert client.get(reverse("portal:invitation_accept", args=[token])).status_code == 404
    invitation2, token2 = invitations.invite(manager, "b@ch.test", GrantKind.CONTRIBUTOR, legal_entity=paris)
    invitations.revoke(invitation2, by=manager)
    assert invitations.find(token2) is None


def test_resend_replaces_the_link(paris):
    manager = UserFactory(manager=True)
    invitation, token = invitations.invite(manager, "a@ch.test", GrantKind.DIRECTOR, legal_entity=paris)
    new_token = invitations.resend(invitation, by=manager)
    assert invitations.find(token) is None and invitations.find(new_token) == invitation


def test_a_director_invites_contributors_only_and_only_for_his_entity(paris):
    director = UserFactory(director=True, legal_entity=paris)
    invitations.invite(director, "c@ch.test", GrantKind.CONTRIBUTOR, legal_entity=paris)
    with pytest.raises(PermissionDenied):
        invitations.invite(director, "d@ch.test", GrantKind.DIRECTOR, legal_entity=paris)
    with pytest.raises(PermissionDenied):
        invitations.invite(
            director, "e@ch.test", GrantKind.CONTRIBUTOR, legal_entity=LegalEntityFactory(department=department("75"))
        )


def test_a_manager_cannot_invite_outside_his_region():
    manager = UserFactory(manager=True)
    with pytest.raises(PermissionDenied):
        invitations.invite(
            manager, "x@ch.test", GrantKind.DIRECTOR, legal_entity=LegalEntityFactory(department=department("59"))
        )


def test_accept_invitation_hook_gives_an_ars_role_to_an_existing_account():
    manager = UserFactory(manager=True)
    invitation, _token = invitations.invite(manager, "n@ars.test", GrantKind.NEGOTIATOR, region=manager.region)
    newcomer = UserFactory(role=Role.NONE)
    invitations.accept_invitation(invitation, newcomer)
    newcomer.refresh_from_db()
    assert newcomer.role == Role.NEGOTIATOR and newcomer.region == manager.region
    with pytest.raises(ValidationError):
        invitations.accept_invitation(invitation, newcomer)
