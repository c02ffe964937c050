"""API tokens: issued to whom, stored hashed, refused once expired, revoked
or no longer the holder's; their last use recorded; the command that prints one."""

import datetime
import hashlib
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from api import tokens
from api.models import ApiToken, TokenKind
from tests.api.conftest import bearer
from tests.cooperations.factories import region

pytestmark = pytest.mark.django_db

REGIONS = "/api/v1/regions/"
ENTITIES = "/api/v1/entites/"


def test_a_token_is_stored_as_its_sha256_only(world):
    token, key = tokens.issue_token(world["users"]["negotiator"], "Outil décisionnel")
    token.refresh_from_db()
    assert key.startswith("cpom_") and len(key) > 40
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    stored = [str(value) for value in ApiToken.objects.filter(pk=token.pk).values().get().values()]
    assert key not in stored
    assert token.prefix == key[: len(token.prefix)] and len(token.prefix) < len(key) // 3
    assert (token.kind, token.region_id, token.legal_entity_id) == (TokenKind.REGION, "11", None)
    assert token.expires_at - timezone.now() > datetime.timedelta(days=89)


def test_a_director_gets_his_entity_s_token(world):
    director = world["users"]["director"]
    token, _key = tokens.issue_token(director, "SI de l’établissement", days=30)
    assert (token.kind, token.legal_entity_id, token.region_id) == (TokenKind.ENTITY, world["entities"]["a"].pk, None)


def test_who_may_issue_which_token(world):
    users = world["users"]
    with pytest.raises(PermissionDenied):
        tokens.issue_token(users["observer"], "Tableau de bord")
    with pytest.raises(PermissionDenied):
        tokens.issue_token(users["negotiator"], "Autre région", region=region("32"))
    admin_token, _key = tokens.issue_token(users["admin"], "Région HDF", region=region("32"))
    assert admin_token.region_id == "32"
    with pytest.raises(ValidationError, match="Choisissez la région"):
        tokens.issue_token(users["admin"], "Sans région")


@pytest.mark.parametrize(
    ("days", "name", "message"), [(0, "x", "de 1 à 365 jours"), (366, "x", "de 1 à 365"), (5, " ", "nom")]
)
def test_a_token_needs_a_name_and_a_bounded_life(world, days, name, message):
    with pytest.raises(ValidationError, match=message):
        tokens.issue_token(world["users"]["negotiator"], name, days=days)


def test_without_a_token_the_api_answers_401_in_french(client, world):
    response = client.get(REGIONS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer <jeton>" in response.json()["detail"]


@pytest.mark.parametrize("header", ["Bearer cpom_nimportequoi", "Bearer", "Bearer a b", "Bearer éé"])
def test_a_bad_token_is_refused(client, world, header):
    response = client.get(REGIONS, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert "Jeton d’API invalide" in response.json()["detail"] or "Bearer <jeton>" in response.json()["detail"]


def test_a_session_does_not_open_the_api(client, world):
    client.force_login(world["users"]["admin"])
    assert client.get(REGIONS).status_code == 401


def test_a_valid_token_opens_the_api_and_records_its_last_use(client, world):
    token, key = tokens.issue_token(world["users"]["negotiator"], "Outil")
    assert token.last_used_at is None
    assert client.get(REGIONS, **bearer(key)).status_code == 200
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    # Within a minute: no new write for every call.
    assert client.get(REGIONS, **bearer(key)).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - datetime.timedelta(minutes=5))
    assert client.get(REGIONS, **bearer(key)).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at > first - datetime.timedelta(minutes=1)


def test_an_expired_token_is_refused(client, world):
    token, key = tokens.issue_token(world["users"]["negotiator"], "Outil", days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get(REGIONS, **bearer(key))
    assert response.status_code == 401
    assert "a expiré" in response.json()["detail"]


def test_a_revoked_token_is_refused(client, world):
    users = world["users"]
    token, key = tokens.issue_token(users["director"], "SI")
    with pytest.raises(PermissionDenied):
        tokens.revoke_token(users["director_other"], token)
    tokens.revoke_token(users["director"], token)
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == users["director"]
    response = client.get(REGIONS, **bearer(key))
    assert response.status_code == 401
    assert "révoqué" in response.json()["detail"]


def test_a_holder_who_leaves_his_scope_loses_his_token(client, world):
    director = world["users"]["director"]
    _token, key = tokens.issue_token(director, "SI")
    director.entity_memberships.update(legal_entity=world["entities"]["b"])
    response = client.get(REGIONS, **bearer(key))
    assert response.status_code == 401
    assert "n’a plus accès" in response.json()["detail"]


def test_a_deactivated_holder_loses_his_token(client, world):
    negotiator = world["users"]["negotiator"]
    _token, key = tokens.issue_token(negotiator, "Outil")
    negotiator.is_active = False
    negotiator.save()
    assert client.get(REGIONS, **bearer(key)).status_code == 401


def test_an_admin_s_region_token_sees_that_region_only(client, world):
    _token, key = tokens.issue_token(world["users"]["admin"], "Région IDF", region=region("11"))
    finess = {row["finess"] for row in client.get(ENTITIES, **bearer(key)).json()["results"]}
    assert world["entities"]["a"].finess in finess
    assert world["entities"]["c"].finess not in finess


def test_the_command_prints_a_working_token(client, world):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", "nego_idf", "--name", "Script", "--days", "7", stdout=out, stderr=err)
    key = out.getvalue().strip()
    assert key.startswith("cpom_")
    assert "il ne sera plus affiché" in err.getvalue()
    token = ApiToken.objects.get(key_hash=hashlib.sha256(key.encode()).hexdigest())
    assert token.name == "Script" and (token.expires_at - timezone.now()).days == 6
    assert client.get(REGIONS, **bearer(key)).status_code == 200


def test_the_command_refuses_in_french(world):
    with pytest.raises(CommandError, match="Aucun utilisateur actif"):
        call_command("create_api_token", "personne", "--name", "x")
    with pytest.raises(CommandError, match="ne peut pas détenir"):
        call_command("create_api_token", "obs_idf", "--name", "x", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="de 1 à 365"):
        call_command("create_api_token", "nego_idf", "--name", "x", "--days", "0")


def test_roles_are_what_the_fixture_says(world):
    assert world["users"]["observer"].role == Role.OBSERVER
    assert reverse("api:schema") == "/api/v1/schema/"
