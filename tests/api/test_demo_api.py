"""The demo's tokens: one of the région, one of the director's entity, both
working; a second run revokes the first ones."""

import pytest

from api.models import ApiToken
from demo.api import build_demo_api, demo_api_summary
from tests.api.conftest import bearer
from tests.cooperations.factories import region

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("follow_up_scenario")]


def test_the_demo_prints_a_region_token_and_an_entity_token_that_work(client, world, settings, tmp_path):
    settings.OPEN_DATA_ROOT = tmp_path
    users = world["users"]
    region_key, entity_key, files = build_demo_api(users["negotiator"], users["director"])
    assert files > 0 and (tmp_path / "schema.json").exists()
    listed = client.get("/api/v1/declarations/?region=11", **bearer(region_key)).json()["results"]
    assert world["declaration_a"].pk in {row["id"] for row in listed}
    assert client.get("/api/v1/campagnes/", **bearer(entity_key)).status_code == 200
    summary = demo_api_summary(region_key, entity_key, files, region=region("11"))
    assert region_key in summary and entity_key in summary and summary.count("curl -H") == 2
    again = build_demo_api(users["negotiator"], users["director"])
    assert client.get("/api/v1/campagnes/", **bearer(entity_key)).status_code == 401
    assert client.get("/api/v1/campagnes/", **bearer(again[1])).status_code == 200
    assert ApiToken.objects.active().count() == 2
