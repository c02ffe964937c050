"""The page of API tokens: a token shown once at creation, listed without
its secret, revoked by a click; each role its own kind of token."""

import hashlib

import pytest

from api.models import ApiToken, TokenKind
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db
URL = "/api/jetons/"


def _create(client, **data):
    """Created by a POST that redirects (post/redirect/get): the page it leads to shows the token, once."""
    response = client.post(URL, {"name": "Outil décisionnel", "days": "30", **data}, follow=True)
    assert response.redirect_chain == [(URL, 302)]
    return response


def test_a_negotiator_creates_a_region_token_shown_once(client, world):
    client.force_login(world["users"]["negotiator"])
    response = _create(client)
    key = response.context["key"]
    assert key in response.content.decode()
    token = ApiToken.objects.get()
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert (token.kind, token.region_id) == (TokenKind.REGION, "11")
    # Never again, not even by reloading: the list shows its beginning only, and no second token is made.
    listing = client.get(URL).content.decode()
    assert ApiToken.objects.count() == 1
    assert key not in listing and token.prefix in listing and "Outil décisionnel" in listing
    assert client.get("/api/v1/declarations/", **bearer(key)).status_code == 200


def test_a_director_creates_his_entity_s_token(client, world):
    client.force_login(world["users"]["director"])
    response = _create(client)
    assert "déclare ses valeurs" in response.content.decode()
    token = ApiToken.objects.get()
    assert (token.kind, token.legal_entity_id) == (TokenKind.ENTITY, world["entities"]["a"].pk)


def test_an_admin_picks_the_region(client, world):
    client.force_login(world["users"]["admin"])
    refused = client.post(URL, {"name": "Outil", "days": "30"})
    assert "Ce champ est obligatoire" in refused.content.decode()
    _create(client, region="32")
    assert ApiToken.objects.get().region_id == "32"


@pytest.mark.parametrize(("data", "message"), [({"days": "400"}, "365"), ({"name": ""}, "Donnez un nom")])
def test_a_wrong_entry_is_refused_in_french(client, world, data, message):
    client.force_login(world["users"]["negotiator"])
    response = client.post(URL, {"name": "Outil", "days": "30", **data})
    assert message in response.content.decode()
    assert not ApiToken.objects.exists()


def test_each_sees_his_scope_s_tokens_and_revokes_them(client, world):
    users = world["users"]
    client.force_login(users["director"])
    _create(client, name="SI Alpha")
    client.force_login(users["negotiator_other"])
    _create(client, name="BI Nord")
    client.force_login(users["negotiator"])
    _create(client, name="BI IDF")
    listing = client.get(URL).content.decode()
    assert "BI IDF" in listing and "BI Nord" not in listing and "SI Alpha" not in listing
    north = ApiToken.objects.get(name="BI Nord")
    assert client.post(f"{URL}{north.pk}/revoquer/").status_code == 404
    own = ApiToken.objects.get(name="BI IDF")
    response = client.post(f"{URL}{own.pk}/revoquer/", follow=True)
    assert "révoqué" in response.content.decode()
    own.refresh_from_db()
    assert own.revoked_by == users["negotiator"]
    client.force_login(users["admin"])
    listing = client.get(URL).content.decode()
    assert all(name in listing for name in ("BI IDF", "BI Nord", "SI Alpha"))


def test_an_observer_has_no_token(client, world):
    client.force_login(world["users"]["observer"])
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"name": "x", "days": "3"}).status_code == 403
