"""ProConnect in Chromium, against the local provider (tooling.oidc_provider):
a newcomer signs in through the DSFR button, lands on the access request with
no role, asks for access, and logs out through the provider's end-session
endpoint back to the login page."""

import copy

import pytest
from playwright.sync_api import expect

from accounts.models import AccessRequest, Role, User
from tests.accounts.oidc import Identity, local_proconnect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def provider(settings):
    with local_proconnect(settings) as provider:
        policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
        policy["DIRECTIVES"]["form-action"] = [*policy["DIRECTIVES"]["form-action"], provider.issuer]
        settings.CONTENT_SECURITY_POLICY = policy
        yield provider


def test_a_newcomer_signs_in_with_proconnect_asks_for_access_and_logs_out(page, live_server, e2e_world, provider):
    entity = e2e_world["entities"]["b"]
    provider.identity = Identity(sub="sub-camille", email="camille.martin@ch-bravo.fr", siret="26780000100016")

    page.goto(f"{live_server.url}/connexion/")
    page.locator("a.fr-connect").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Demander un accès")
    expect(page.get_by_test_id("current-user")).to_contain_text("Sans rôle")
    user = User.objects.get(proconnect_sub="sub-camille")
    assert user.role == Role.NONE and user.proconnect_siret == "26780000100016"

    form = page.get_by_test_id("access-request-form")
    form.get_by_label("Accès demandé").select_option("contributeur")
    form.get_by_label("Entité juridique").fill(entity.finess)
    form.get_by_label("Votre fonction").fill("Cadre de santé")
    form.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_test_id("pending-request")).to_be_visible()
    assert AccessRequest.objects.get(user=user).legal_entity == entity

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
    assert provider.logouts and provider.logouts[-1]["id_token_hint"]
    expect(page.get_by_test_id("current-user")).to_have_count(0)
