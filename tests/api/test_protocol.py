"""What a BI tool relies on: ETag and If-None-Match, cursor pages that stay
stable while rows are added, ``updated_since`` for an incremental sync, the
throttle per token, and no parameter that turns into a 500."""

import datetime

import pytest
from django.utils import timezone

from api import tokens
from cpom.models import Cpom
from indicators.models import Declaration
from tests.api.conftest import bearer
from tests.cooperations.factories import LegalEntityFactory, department

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("follow_up_scenario")]


def test_a_read_carries_an_etag_and_answers_304_when_unchanged(client, world, keys):
    url = "/api/v1/cpoms/"
    first = client.get(url, **bearer(keys["region"]))
    etag = first["ETag"]
    assert first.status_code == 200 and etag.startswith('"')
    assert "Authorization" in first["Vary"]
    again = client.get(url, HTTP_IF_NONE_MATCH=etag, **bearer(keys["region"]))
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    # Another token sees other rows: another ETag.
    assert client.get(url, **bearer(keys["region_other"]))["ETag"] != etag
    Cpom.objects.filter(pk=world["cpom_a"].pk).update(reference="CPOM-2026-ALPHA")
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag, **bearer(keys["region"]))
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_a_refusal_carries_no_etag(client, world, keys):
    response = client.get(f"/api/v1/cpoms/{world['cpom_c'].pk}/", **bearer(keys["region"]))
    assert response.status_code == 404
    assert "ETag" not in response


def _pages(client, url, key):
    ids, next_url = [], url
    while next_url:
        body = client.get(next_url, **bearer(key)).json()
        ids.append([row["id"] for row in body["results"]])
        next_url = body["next"]
    return ids


def test_cursor_pages_are_stable_while_rows_are_added(client, world, keys):
    for n in range(5):
        LegalEntityFactory(name=f"CH ajouté {n}", department=department("78"))
    url = "/api/v1/entites/?taille=2"
    first_page = client.get(url, **bearer(keys["region"])).json()
    assert len(first_page["results"]) == 2 and "curseur=" in first_page["next"]
    # Rows created while the tool pages through do not shift the pages already read.
    newcomer = LegalEntityFactory(name="AAA premier par le nom", department=department("78"))
    rest = _pages(client, first_page["next"], keys["region"])
    ids = [row["id"] for row in first_page["results"]] + [pk for page in rest for pk in page]
    assert ids == sorted(ids), "ordered by id"
    assert len(ids) == len(set(ids)), "no row twice"
    expected = set(world["entities"]["a"].__class__.objects.filter(region_id="11").values_list("pk", flat=True))
    assert set(ids) == expected
    assert newcomer.pk in ids


def test_page_size_is_bounded(client, world, keys):
    for size in ("0", "-3", "abc", "100000"):
        response = client.get(f"/api/v1/entites/?taille={size}", **bearer(keys["region"]))
        assert response.status_code == 200, size
    assert client.get("/api/v1/entites/?curseur=pas-un-curseur", **bearer(keys["region"])).status_code == 404


def test_updated_since_gives_what_changed(client, world, keys):
    declaration = world["declaration_a"]
    long_ago = timezone.now() - datetime.timedelta(days=30)
    Declaration.objects.update(updated_at=long_ago)
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    url = "/api/v1/declarations/"
    assert client.get(url, {"updated_since": since}, **bearer(keys["region"])).json()["results"] == []
    Declaration.objects.filter(pk=declaration.pk).update(updated_at=timezone.now())
    rows = client.get(url, {"updated_since": since}, **bearer(keys["region"])).json()["results"]
    assert [row["id"] for row in rows] == [declaration.pk]
    Declaration.objects.filter(pk=declaration.pk).update(updated_at=long_ago)
    older = (long_ago - datetime.timedelta(days=1)).isoformat()
    rows = client.get(url, {"updated_since": older}, **bearer(keys["region"])).json()["results"]
    assert [row["id"] for row in rows] == [declaration.pk]


def test_updated_since_follows_a_cpom_s_signed_versions(client, world, keys):
    Cpom.objects.update(updated_at=timezone.now() - datetime.timedelta(days=30))
    since = (timezone.now() - datetime.timedelta(minutes=5)).isoformat()
    rows = client.get("/api/v1/cpoms/", {"updated_since": since}, **bearer(keys["region"])).json()["results"]
    # Their versions were written by the fixture just now: they count as changes of the CPOM.
    assert {row["id"] for row in rows} >= {world["cpom_a"].pk, world["cpom_b_signed"].pk}
    future = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    assert client.get("/api/v1/cpoms/", {"updated_since": future}, **bearer(keys["region"])).json()["results"] == []


@pytest.mark.parametrize(
    "query",
    [
        {"updated_since": "hier"},
        {"annee": "1e999"},
        {"annee": "deux-mille"},
        {"cpom": "99999999999999999999999999"},
        {"etape": "inconnue"},
    ],
)
def test_a_bad_parameter_is_a_400_in_french(client, world, keys, query):
    url = "/api/v1/engagements/" if "cpom" in query else "/api/v1/cpoms/"
    response = client.get(url, query, **bearer(keys["region"]))
    assert response.status_code == 400
    assert any(
        word in str(response.json()) for word in ("Saisissez", "Sélectionnez", "valide", "inférieur", "nombre")
    ), response.json()


@pytest.mark.parametrize(
    "path", ["/api/v1/cpoms/99999999999999999999/", "/api/v1/entites/12345678X/", "/api/v1/regions/1234/"]
)
def test_a_bad_id_is_a_404(client, world, keys, path):
    assert client.get(path, **bearer(keys["region"])).status_code == 404


def test_calls_are_throttled_per_token(client, world, keys, settings):
    settings.API_THROTTLE_RATE = "3/min"
    for _ in range(3):
        assert client.get("/api/v1/regions/", **bearer(keys["region"])).status_code == 200
    refused = client.get("/api/v1/regions/", **bearer(keys["region"]))
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "ralentie" in refused.json()["detail"].lower() or "requête" in refused.json()["detail"].lower()
    # Another token of the same holder's colleague is counted apart.
    _token, other = tokens.issue_token(world["users"]["admin"], "Autre outil", region=world["cpom_a"].region)
    assert client.get("/api/v1/regions/", **bearer(other)).status_code == 200


def test_numbers_are_json_numbers_and_dates_iso(client, world, keys):
    indicator = world["indicators_a_old"][0]
    body = client.get(f"/api/v1/indicateurs/{indicator.pk}/", **bearer(keys["entity"])).json()
    assert body["cibles"][0] == {"annee": 2024, "valeur": 10, "texte": ""}
    assert body["libelle"] == indicator.label
    declaration = client.get(f"/api/v1/declarations/{world['declaration_a'].pk}/", **bearer(keys["entity"])).json()
    assert declaration["valeur"] == 11 and declaration["statut"] == "soumise"
    assert datetime.datetime.fromisoformat(declaration["soumise_le"]).tzinfo is not None


LIST_URLS = [
    "/api/v1/entites/",
    "/api/v1/etablissements/",
    "/api/v1/structures/",
    "/api/v1/cpoms/",
    "/api/v1/engagements/",
    "/api/v1/indicateurs/",
    "/api/v1/campagnes/",
    "/api/v1/declarations/",
    "/api/v1/valeurs-calculees/",
]


def _queries(client, url, key):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, **bearer(key)).status_code == 200
    return len(captured)


def test_list_queries_do_not_grow_with_the_rows(client, world, keys):
    """No N+1: the same number of queries with twice the CPOMs, commitments, indicators and declarations."""
    from tests.cpom.factories import signed_cpom

    nego = world["users"]["negotiator"]
    _queries(client, LIST_URLS[0], keys["region"])  # the token's first use writes its date
    before = {url: _queries(client, url, keys["region"]) for url in LIST_URLS}
    for first in (2020, 2023):
        signed_cpom(nego, world["entities"]["b"], first, first + 2, indicators=3, computed=True)
    after = {url: _queries(client, url, keys["region"]) for url in LIST_URLS}
    assert after == before
    assert max(after.values()) <= 12, after


def test_a_nul_in_a_parameter_is_refused_in_the_api_format(client, world, keys):
    response = client.get("/api/v1/cpoms/?annee=20%0025", **bearer(keys["region"]))
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "Caractère nul" in response.json()["detail"]
    page = client.get("/cpom/?q=a%00b")
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")
