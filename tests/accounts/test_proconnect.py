"""ProConnect sign-in against a local OpenID provider started by each test
(tooling.oidc_provider): the authorize request ProConnect accepts, a
returning person by sub then by email, a newcomer with no role sent to the
access request, the second factor of ARS agents, the failures (tampered
state, expired code, forged userinfo, deactivated account) and the logout."""

import json
from urllib.parse import urlsplit

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import Role, User
from accounts.proconnect import AUTH_METHOD_KEY, ID_TOKEN_KEY, SCOPES
from tests.accounts.factories import UserFactory
from tests.accounts.oidc import (
    Identity,
    back_to_app,
    local_proconnect,
    query_of,
    sign_in,
    through_provider,
    to_provider,
)
from tests.cooperations.factories import LegalEntityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(settings):
    with local_proconnect(settings) as provider:
        yield provider


def _messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def _signed_in_user(client):
    return client.get(reverse("home")).wsgi_request.user


def test_without_configuration_no_button_and_404(client, settings):
    settings.PROCONNECT_DISCOVERY_URL = settings.PROCONNECT_CLIENT_ID = settings.PROCONNECT_CLIENT_SECRET = ""
    page = client.get(reverse("login")).content.decode()
    assert "fr-connect" not in page
    assert client.get(reverse("proconnect_login")).status_code == 404
    assert client.get(reverse("proconnect_callback"), {"code": "x", "state": "y"}).status_code == 404


def test_the_login_page_shows_the_proconnect_button(client, provider):
    page = client.get(reverse("login")).content.decode()
    assert 'class="fr-connect"' in page and "ProConnect" in page
    assert reverse("proconnect_login") in page


def test_the_authorize_request_holds_only_proconnect_parameters(client, provider):
    params = query_of(to_provider(client))
    assert set(params) == {"response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "acr_values"}
    assert params["response_type"] == "code" and params["scope"] == SCOPES
    assert len(params["state"]) >= 32 and len(params["nonce"]) >= 32
    assert params["acr_values"] == "eidas1"
    assert params["redirect_uri"] == "http://testserver" + reverse("proconnect_callback")


def test_a_returning_person_is_found_by_sub(client, provider):
    user = UserFactory(
        director=True, legal_entity=LegalEntityFactory(), proconnect_sub="sub-123", email="ancienne@ch.fr"
    )
    provider.identity = Identity(sub="sub-123", email="nouvelle@ch.fr", siret="26780000100016", usual_name="Durand")
    response = sign_in(client)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert _signed_in_user(client) == user
    user.refresh_from_db()
    assert user.proconnect_siret == "26780000100016" and user.last_name == "Durand"
    assert user.email == "ancienne@ch.fr"  # the address of the account is its own
    assert client.session[AUTH_METHOD_KEY] == "proconnect" and client.session[ID_TOKEN_KEY]


def test_a_returning_person_with_a_new_sub_is_found_by_email_and_the_sub_updated(client, provider):
    user = UserFactory(
        director=True, legal_entity=LegalEntityFactory(), proconnect_sub="old-sub", email="Camille.Martin@ch.fr"
    )
    provider.identity = Identity(sub="new-sub", email="camille.martin@ch.fr")
    sign_in(client)
    assert _signed_in_user(client) == user
    user.refresh_from_db()
    assert user.proconnect_sub == "new-sub"
    assert User.objects.count() == 1


def test_a_newcomer_gets_an_account_without_role_and_asks_for_access(client, provider):
    provider.identity = Identity(sub="sub-new", email="nouveau@ch-bravo.fr", siret="26780000100016")
    response = sign_in(client)
    assert response.status_code == 302 and response["Location"] == reverse("portal:access_request")
    user = User.objects.get(proconnect_sub="sub-new")
    assert user.role == Role.NONE and not user.legal_entities.exists() and not user.manages_accounts
    assert user.proconnect_siret == "26780000100016" and not user.has_usable_password()
    assert client.get(reverse("portal:access_request")).status_code == 200


def test_the_page_asked_before_the_sign_in_is_reached_after_it(client, provider):
    UserFactory(director=True, legal_entity=LegalEntityFactory(), proconnect_sub="sub-1")
    provider.identity = Identity(sub="sub-1", email="a@ch.fr")
    response = sign_in(client, next_url=reverse("portal:sitemap"))
    assert response["Location"] == reverse("portal:sitemap")


def test_a_deactivated_person_is_refused(client, provider):
    UserFactory(director=True, legal_entity=LegalEntityFactory(), proconnect_sub="sub-off", is_active=False)
    provider.identity = Identity(sub="sub-off", email="off@ch.fr")
    response = sign_in(client)
    assert response["Location"] == reverse("login")
    assert "Ce compte est désactivé. Contactez l’administrateur de votre ARS." in _messages(response)
    assert not _signed_in_user(client).is_authenticated


def test_a_tampered_state_is_refused(client, provider):
    provider.identity = Identity(sub="sub-1", email="a@ch.fr")
    callback = through_provider(to_provider(client))
    tampered = callback.replace("state=", "state=x")
    response = back_to_app(client, tampered)
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert "La connexion avec ProConnect a échoué. Réessayez." in _messages(response)
    assert not _signed_in_user(client).is_authenticated
    assert not User.objects.filter(proconnect_sub="sub-1").exists()


def test_a_callback_replayed_is_refused(client, provider):
    UserFactory(director=True, legal_entity=LegalEntityFactory(), proconnect_sub="sub-1")
    provider.identity = Identity(sub="sub-1", email="a@ch.fr")
    callback = through_provider(to_provider(client))
    assert back_to_app(client, callback)["Location"] == reverse("home")
    client.logout()
    assert back_to_app(client, callback)["Location"] == reverse("login")
    assert not _signed_in_user(client).is_authenticated


def test_an_expired_code_is_refused(client, provider):
    provider.identity = Identity(sub="sub-1", email="a@ch.fr")
    provider.expire_codes = True
    response = sign_in(client)
    assert response["Location"] == reverse("login")
    assert not _signed_in_user(client).is_authenticated


def test_an_invalid_code_is_refused(client, provider):
    provider.identity = Identity(sub="sub-1", email="a@ch.fr")
    callback = through_provider(to_provider(client))
    params = query_of(callback)
    response = client.get(urlsplit(callback).path, {"code": "not-a-code", "state": params["state"]})
    assert response["Location"] == reverse("login")
    assert not _signed_in_user(client).is_authenticated


def test_a_userinfo_with_a_wrong_signature_is_refused(client, provider):
    UserFactory(director=True, legal_entity=LegalEntityFactory(), proconnect_sub="sub-1")
    provider.identity = Identity(sub="sub-1", email="a@ch.fr")
    provider.forge_userinfo = True
    response = sign_in(client)
    assert response["Location"] == reverse("login")
    assert not _signed_in_user(client).is_authenticated


def test_an_ars_agent_without_second_factor_is_sent_back_asking_for_one(client, provider, settings):
    agent = UserFactory(negotiator=True, proconnect_sub="sub-ars")
    provider.identity = Identity(sub="sub-ars", email="agent@ars.sante.fr", acr="eidas1")
    response = sign_in(client)
    assert response["Location"] == reverse("proconnect_login")
    assert not _signed_in_user(client).is_authenticated
    step_up_url = to_provider(client)
    step_up = query_of(step_up_url)
    assert json.loads(step_up["claims"]) == {
        "id_token": {"acr": {"essential": True, "values": settings.PROCONNECT_MFA_ACR_VALUES}}
    }
    assert step_up["prompt"] == "login"
    response = back_to_app(client, through_provider(step_up_url))
    assert response["Location"] == reverse("home")
    assert _signed_in_user(client) == agent


def test_an_ars_agent_who_cannot_give_a_second_factor_is_refused(client, provider):
    UserFactory(negotiator=True, proconnect_sub="sub-ars")
    provider.identity = Identity(sub="sub-ars", email="agent@ars.sante.fr", acr="eidas1", can_mfa=False)
    assert sign_in(client)["Location"] == reverse("proconnect_login")
    response = sign_in(client)
    assert response["Location"] == reverse("login")
    assert any("double authentification" in message for message in _messages(response))
    assert not _signed_in_user(client).is_authenticated


def test_a_director_is_not_asked_a_second_factor(client, provider):
    UserFactory(director=True, legal_entity=LegalEntityFactory(), proconnect_sub="sub-dir")
    provider.identity = Identity(sub="sub-dir", email="d@ch.fr", acr="eidas1")
    assert sign_in(client)["Location"] == reverse("home")


def test_logout_goes_through_the_end_session_endpoint(client, provider):
    UserFactory(director=True, legal_entity=LegalEntityFactory(), proconnect_sub="sub-1")
    provider.identity = Identity(sub="sub-1", email="a@ch.fr")
    sign_in(client)
    id_token = client.session[ID_TOKEN_KEY]
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(provider.issuer + "/session/end?")
    params = query_of(location)
    assert params["id_token_hint"] == id_token
    assert params["post_logout_redirect_uri"] == "http://testserver" + reverse("login")
    assert len(params["state"]) >= 32
    assert not _signed_in_user(client).is_authenticated


def test_a_password_session_logs_out_here_only(client, provider):
    user = UserFactory(director=True, legal_entity=LegalEntityFactory())
    client.force_login(user)
    assert client.post(reverse("logout"))["Location"] == reverse("login")


def test_a_password_login_is_not_taken_by_the_proconnect_backend(client, provider):
    UserFactory(username="dir_pwd", director=True)
    response = client.post(reverse("login"), {"username": "dir_pwd", "password": "motdepasse-test-123"})
    assert response.status_code == 302
    assert client.session[AUTH_METHOD_KEY] == "password"


def test_an_invitation_is_accepted_after_signing_in_with_proconnect(client, provider):
    from accounts.invitations import invite
    from accounts.models import Function, GrantKind

    entity = LegalEntityFactory()
    director = UserFactory(director=True, legal_entity=entity)
    _invitation, token = invite(director, "invitee@ch.fr", GrantKind.CONTRIBUTOR, legal_entity=entity)
    page = reverse("portal:invitation_accept", args=[token])
    assert 'class="fr-connect"' in client.get(page).content.decode()
    provider.identity = Identity(sub="sub-invitee", email="invitee@ch.fr")
    assert sign_in(client, next_url=page)["Location"] == page
    client.post(page, {"as_current": "1"})
    user = User.objects.get(proconnect_sub="sub-invitee")
    assert user.entity_memberships.get().function == Function.CONTRIBUTOR
