"""Access requests: asked by a person with no role, decided by the right person, told by email."""

import pytest
from django.core import mail as outbox
from django.core.exceptions import PermissionDenied, ValidationError

from accounts import access_requests, scopes
from accounts.models import AccessRequest, GrantKind, Role
from tests.accounts.factories import UserFactory
from tests.cooperations.factories import LegalEntityFactory, department

# Emails are delivered in this process (eager tasks), in the test's transaction, in every mode.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager")]


@pytest.fixture
def paris():
    return LegalEntityFactory(department=department("75"), siren="123456789")


def test_the_siren_of_the_proconnect_siret_is_compared(paris):
    person = UserFactory(role=Role.NONE, proconnect_siret="12345678900011")
    request = access_requests.request_access(person, GrantKind.CONTRIBUTOR, "Cadre de santé", legal_entity=paris)
    assert request.siren_matches and request.region == paris.region
    other = UserFactory(role=Role.NONE)
    assert not access_requests.request_access(
        other, GrantKind.CONTRIBUTOR, "Cadre", legal_entity=paris, siret="99999999900011"
    ).siren_matches


def test_the_director_accepts_a_contributor_and_the_person_is_told(paris, django_capture_on_commit_callbacks):
    director = UserFactory(director=True, legal_entity=paris)
    person = UserFactory(role=Role.NONE, email="p@ch.test")
    request = access_requests.request_access(person, GrantKind.CONTRIBUTOR, "Cadre", legal_entity=paris)
    with django_capture_on_commit_callbacks(execute=True):
        access_requests.decide(request, by=director, accept=True)
    person.refresh_from_db()
    assert scopes.member_of(person, paris.pk) and not scopes.may_submit_for(person, paris.pk)
    (message,) = outbox.outbox
    assert message.to == ["p@ch.test"] and "acceptée" in message.subject


def test_a_director_request_goes_to_the_regional_manager_and_a_refusal_needs_a_reason(paris):
    director = UserFactory(director=True, legal_entity=paris)
    manager = UserFactory(manager=True)
    person = UserFactory(role=Role.NONE, email="p@ch.test")
    request = access_requests.request_access(person, GrantKind.DIRECTOR, "Directeur", legal_entity=paris)
    assert not access_requests.decidable_by(director).exists()
    with pytest.raises(PermissionDenied):
        access_requests.decide(request, by=director, accept=True)
    with pytest.raises(ValidationError):
        access_requests.decide(request, by=manager, accept=False)
    access_requests.decide(request, by=manager, accept=False, reason="Inconnu de l’établissement")
    request.refresh_from_db()
    assert request.status == AccessRequest.Status.REFUSED and not scopes.has_role(person)


def test_a_manager_of_another_region_decides_nothing(paris):
    lille_manager = UserFactory(manager=True, region=department("59").region)
    person = UserFactory(role=Role.NONE)
    access_requests.request_access(person, GrantKind.DIRECTOR, "Directeur", legal_entity=paris)
    assert not access_requests.decidable_by(lille_manager).exists()


def test_one_pending_request_at_a_time_and_none_once_granted(paris):
    person = UserFactory(role=Role.NONE)
    access_requests.request_access(person, GrantKind.CONTRIBUTOR, "Cadre", legal_entity=paris)
    with pytest.raises(ValidationError):
        access_requests.request_access(person, GrantKind.CONTRIBUTOR, "Cadre", legal_entity=paris)
    with pytest.raises(ValidationError):
        access_requests.request_access(UserFactory(negotiator=True), GrantKind.OBSERVER, "x", region=paris.region)
