"""The new identities × the account URLs and a sample of the main pages:
contributor, regional user manager, person holding two entities, person with no role."""

import pytest
from django.urls import reverse

from accounts import access_requests, invitations
from accounts.models import EntityMembership, GrantKind, Role
from tests.accounts.factories import UserFactory
from tests.cooperations.factories import EstablishmentFactory, LegalEntityFactory, department

ROLES = ["anonymous", "admin", "manager", "negotiator", "director", "contributor", "two_entities", "no_role"]


def _world():
    paris = LegalEntityFactory(department=department("75"), siren="123456789")
    other = LegalEntityFactory(department=department("92"))
    lille = LegalEntityFactory(department=department("59"))
    EstablishmentFactory(legal_entity=paris)
    people = {
        "admin": UserFactory(admin=True),
        "manager": UserFactory(manager=True),
        "negotiator": UserFactory(negotiator=True),
        "director": UserFactory(director=True, legal_entity=paris),
        "contributor": UserFactory(contributor=True, legal_entity=paris),
        "two_entities": UserFactory(director=True, entities=[other, lille]),
        "no_role": UserFactory(role=Role.NONE),
    }
    invitation, token = invitations.invite(people["manager"], "i@ch.test", GrantKind.DIRECTOR, legal_entity=paris)
    request = access_requests.request_access(people["no_role"], GrantKind.CONTRIBUTOR, "Cadre", legal_entity=paris)
    return {
        "people": people,
        "paris": paris,
        "lille": lille,
        "invitation": invitation,
        "token": token,
        "request": request,
        "contributor_id": people["contributor"].pk,
        "lille_membership": EntityMembership.objects.get(legal_entity=lille),
    }


# name, args builder, expected status per role (ROLES order). 302 for anonymous: to the login page.
TABLE = [
    ("portal:user_list", lambda w: [], [302, 200, 200, 403, 200, 403, 200, 403]),
    ("portal:user_detail", lambda w: [w["contributor_id"]], [302, 200, 200, 403, 200, 403, 404, 403]),
    ("portal:user_detail", lambda w: [w["people"]["admin"].pk], [302, 404, 404, 403, 404, 403, 404, 403]),
    ("portal:user_action", lambda w: [w["contributor_id"]], [302, 405, 405, 405, 405, 405, 405, 405]),
    ("portal:invitation_create", lambda w: [], [302, 200, 200, 403, 200, 403, 200, 403]),
    ("portal:invitation_resend", lambda w: [w["invitation"].pk], [302, 405, 405, 405, 405, 405, 405, 405]),
    ("portal:invitation_revoke", lambda w: [w["invitation"].pk], [302, 405, 405, 405, 405, 405, 405, 405]),
    ("portal:invitation_accept", lambda w: [w["token"]], [200, 200, 200, 200, 200, 200, 200, 200]),
    ("portal:invitation_accept", lambda w: ["inconnu"], [404, 404, 404, 404, 404, 404, 404, 404]),
    ("portal:access_request", lambda w: [], [302, 200, 200, 200, 200, 200, 200, 200]),
    ("portal:access_request_decide", lambda w: [w["request"].pk], [302, 405, 405, 405, 405, 405, 405, 405]),
    ("portal:choose_entity", lambda w: [], [302, 405, 405, 405, 405, 405, 405, 405]),
    # A sample of the main pages: the no-role person is sent to the access request.
    ("home", lambda w: [], [302, 200, 200, 200, 200, 200, 200, 302]),
    ("portal:legal_entity_detail", lambda w: [w["paris"].finess], [302, 200, 200, 200, 200, 200, 404, 404]),
    ("portal:legal_entity_detail", lambda w: [w["lille"].finess], [302, 200, 404, 404, 404, 404, 200, 404]),
    ("cpom:cpom_list", lambda w: [], [302, 200, 200, 200, 200, 200, 200, 200]),
    ("indicators:my_declarations", lambda w: [], [302, 302, 302, 302, 200, 200, 200, 302]),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "args", "statuses"), TABLE)
def test_role_gets_expected_status(client, name, args, statuses):
    world = _world()
    for role, expected in zip(ROLES, statuses, strict=True):
        client.logout()
        if role != "anonymous":
            client.force_login(world["people"][role])
        response = client.get(reverse(name, args=args(world)))
        assert response.status_code == expected, f"{role} on {name}: {response.status_code}"


@pytest.mark.django_db
def test_the_header_says_which_entity_and_the_person_switches(client):
    world = _world()
    person = world["people"]["two_entities"]
    client.force_login(person)
    page = client.get(reverse("cpom:cpom_list")).content.decode()
    assert 'data-testid="acting-entity"' in page and 'data-testid="choose-entity"' in page
    response = client.post(reverse("portal:choose_entity"), {"entity": world["lille"].pk, "next": "/cpom/"})
    assert response.status_code == 302
    assert world["lille"].name in client.get(reverse("home")).content.decode()
    foreign = LegalEntityFactory(department=department("75"))
    assert client.post(reverse("portal:choose_entity"), {"entity": foreign.pk}).status_code == 404
    assert client.post(reverse("portal:choose_entity"), {"entity": "x"}).status_code == 404
