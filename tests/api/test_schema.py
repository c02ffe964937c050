"""The OpenAPI schema: the checked-in file is what the code generates (a
change to the API shows in review), and the API keeps to it — schemathesis
against the application in-process, for each kind of token: no 5xx,
documented statuses, content types and bodies."""

import io
from pathlib import Path

import pytest
import schemathesis
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

SCHEMA_FILE = Path(settings.BASE_DIR) / "api" / "schema.yml"
# Random cases only, a few per operation and kind of token (the exhaustive
# coverage phase would take minutes; the role × endpoint table covers the scopes).
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
schema = schemathesis.openapi.from_path(SCHEMA_FILE, config=CONFIG)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_the_checked_in_schema_is_the_generated_one():
    out = io.StringIO()
    call_command("spectacular", "--lang", "fr", "--validate", "--fail-on-warn", stdout=out)
    assert out.getvalue().strip() == SCHEMA_FILE.read_text().strip(), (
        "api/schema.yml n’est plus à jour : lancez « make api-schema » et relisez la différence."
    )


def test_the_schema_is_served(client):
    response = client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    body = response.json()
    assert body["info"]["title"].startswith("API Coopérations territoriales")
    assert body["components"]["securitySchemes"]["jeton"] == {
        "type": "http",
        "scheme": "bearer",
        "description": body["components"]["securitySchemes"]["jeton"]["description"],
    }


@pytest.fixture(scope="module")
def application():
    """Django's WSGI application, called in-process inside the test's
    transaction: like Django's test client, it must not close the
    connection at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def known_ids(world):
    """Objects entity A's token and Île-de-France's token both see, for the
    operations on one object (random ids would only ever meet 404)."""
    return {
        "regions": "11",
        "departements": "78",
        "entites": world["entities"]["a"].finess,
        "etablissements": world["sites"]["a"].finess,
        "structures": world["ght_idf"].pk,
        "cpoms": world["cpom_a_old"].pk,
        "engagements": world["commitment_a"].pk,
        "indicateurs": world["indicators_a_old"][0].pk,
        "campagnes": world["campaign_idf"].pk,
        "declarations": world["declaration_a"].pk,
        "valeurs-calculees": world["computed_a"].pk,
    }


@pytest.fixture(params=["region", "entity"])
def kind(request):
    return request.param


@schema.parametrize()
@hypothesis_settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_to_its_schema(case, kind, shared_world, db, application):
    # The WSGI transport does not inflate a gzip body: ask for it plain (compression has its own tests).
    headers = {"Authorization": f"Bearer {shared_world['keys'][kind]}", "Accept-Encoding": "identity"}
    case.call_and_validate(app=application, headers=headers, checks=CHECKS)
    if case.path_parameters:
        resource = case.path.split("/")[3]
        name = next(iter(case.path_parameters))
        case.path_parameters = {**case.path_parameters, name: known_ids(shared_world)[resource]}
        case.call_and_validate(app=application, headers=headers, checks=CHECKS)
