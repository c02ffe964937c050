"""Every API endpoint × every kind of token, other tenants' ids included: a
token sees what its holder sees in the pages, no more (404 for an object of
another scope, lists without them). A route added without its row fails."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.api.conftest import bearer

KINDS = ["none", "region", "entity", "region_other", "entity_other"]
ALL = [200, 200, 200, 200, 200]
READ = [401, 200, 200, 200, 200]
IDF_SHARED = [401, 200, 404, 404, 404]  # seen by Île-de-France's ARS only
IDF_ENTITY_A = [401, 200, 200, 404, 404]  # by Île-de-France's ARS and entity A
HDF_ENTITY_C = [401, 404, 404, 200, 200]

# name, args builder, expected status per token kind (same order as KINDS), for a GET.
TABLE = [
    ("api:schema", lambda w: [], ALL),
    ("api:docs", lambda w: [], ALL),
    ("api:region-list", lambda w: [], READ),
    ("api:region-detail", lambda w: ["32"], READ),
    ("api:region-detail", lambda w: ["99"], [401, 404, 404, 404, 404]),
    ("api:department-list", lambda w: [], READ),
    ("api:department-detail", lambda w: ["59"], READ),
    ("api:legal-entity-list", lambda w: [], READ),
    ("api:legal-entity-detail", lambda w: [w["entities"]["a"].finess], IDF_ENTITY_A),
    ("api:legal-entity-detail", lambda w: [w["entities"]["b"].finess], IDF_SHARED),
    ("api:legal-entity-detail", lambda w: [w["entities"]["c"].finess], HDF_ENTITY_C),
    ("api:legal-entity-detail", lambda w: [w["entities"]["d"].finess], [401, 404, 404, 200, 404]),
    ("api:establishment-list", lambda w: [], READ),
    ("api:establishment-detail", lambda w: [w["sites"]["a"].finess], IDF_ENTITY_A),
    ("api:establishment-detail", lambda w: [w["sites"]["b"].finess], IDF_SHARED),
    ("api:establishment-detail", lambda w: [w["sites"]["c"].finess], HDF_ENTITY_C),
    ("api:structure-list", lambda w: [], READ),
    ("api:structure-detail", lambda w: [w["ght_idf"].pk], IDF_ENTITY_A),
    ("api:structure-detail", lambda w: [w["ght_hdf"].pk], HDF_ENTITY_C),
    ("api:cpom-list", lambda w: [], READ),
    ("api:cpom-detail", lambda w: [w["cpom_a"].pk], IDF_ENTITY_A),
    # Never shared with the establishment: the ARS only.
    ("api:cpom-detail", lambda w: [w["cpom_a_draft"].pk], IDF_SHARED),
    ("api:cpom-detail", lambda w: [w["cpom_b_signed"].pk], IDF_SHARED),
    ("api:cpom-detail", lambda w: [w["cpom_c"].pk], HDF_ENTITY_C),
    ("api:cpom-detail", lambda w: [999999999], [401, 404, 404, 404, 404]),
    ("api:commitment-list", lambda w: [], READ),
    ("api:commitment-detail", lambda w: [w["commitment_a"].pk], IDF_ENTITY_A),
    ("api:commitment-detail", lambda w: [w["commitment_b"].pk], IDF_SHARED),
    ("api:commitment-detail", lambda w: [w["commitment_c"].pk], HDF_ENTITY_C),
    ("api:indicator-list", lambda w: [], READ),
    ("api:indicator-detail", lambda w: [w["indicator_a"].pk], IDF_ENTITY_A),
    ("api:indicator-detail", lambda w: [w["indicators_a_old"][0].pk], IDF_ENTITY_A),
    ("api:campaign-list", lambda w: [], READ),
    ("api:campaign-detail", lambda w: [w["campaign_idf"].pk], IDF_ENTITY_A),
    ("api:campaign-detail", lambda w: [w["campaign_hdf"].pk], HDF_ENTITY_C),
    ("api:declaration-list", lambda w: [], READ),
    ("api:declaration-detail", lambda w: [w["declaration_a"].pk], IDF_ENTITY_A),
    ("api:declaration-detail", lambda w: [w["declaration_c"].pk], HDF_ENTITY_C),
    # No evidence attached: nothing to download, even for those who see the declaration.
    ("api:declaration-evidence", lambda w: [w["declaration_a"].pk], [401, 404, 404, 404, 404]),
    # POST only.
    ("api:declaration-submit", lambda w: [w["declaration_a"].pk], [401, 405, 405, 405, 405]),
    ("api:computed-value-list", lambda w: [], READ),
    ("api:computed-value-detail", lambda w: [w["computed_a"].pk], IDF_ENTITY_A),
]

CASES = [
    pytest.param(name, args, kind, expected, id=f"{name}-{i}-{kind}")
    for i, (name, args, statuses) in enumerate(TABLE)
    for kind, expected in zip(KINDS, statuses, strict=True)
]


def headers(world, kind):
    return {} if kind == "none" else bearer(world["keys"][kind])


@pytest.mark.parametrize(("name", "args", "kind", "expected"), CASES)
def test_token_gets_expected_status(client, shared_world, db, name, args, kind, expected):
    response = client.get(reverse(name, args=args(shared_world)), **headers(shared_world, kind))
    assert response.status_code == expected, f"{kind} on {name}: {response.status_code}"


def _api_patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _api_patterns(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name and namespace.startswith("api:"):
            yield f"{namespace}{entry.name}"


def test_every_api_route_is_in_the_table():
    covered = {name for name, _args, _statuses in TABLE}
    routes = set(_api_patterns())
    assert "api:cpom-list" in routes
    assert not sorted(routes - covered), f"API routes without a row: {sorted(routes - covered)}"


# --- Lists hold only what the token sees ---------------------------------------------------------

LISTS = {
    "api:legal-entity-list": ("finess", lambda w: {k: e.finess for k, e in w["entities"].items()}),
    "api:establishment-list": ("finess", lambda w: {k: s.finess for k, s in w["sites"].items()}),
    "api:structure-list": ("id", lambda w: {"a": w["ght_idf"].pk, "c": w["ght_hdf"].pk}),
    "api:cpom-list": (
        "id",
        lambda w: {"a": w["cpom_a"].pk, "b": w["cpom_b_signed"].pk, "c": w["cpom_c"].pk, "draft": w["cpom_a_draft"].pk},
    ),
    "api:commitment-list": (
        "id",
        lambda w: {"a": w["commitment_a"].pk, "b": w["commitment_b"].pk, "c": w["commitment_c"].pk},
    ),
    "api:indicator-list": (
        "id",
        lambda w: {"a": w["indicator_a"].pk, "c": w["cpom_c_old"].commitments.get().indicators.get().pk},
    ),
    "api:campaign-list": ("id", lambda w: {"a": w["campaign_idf"].pk, "c": w["campaign_hdf"].pk}),
    "api:declaration-list": ("id", lambda w: {"a": w["declaration_a"].pk, "c": w["declaration_c"].pk}),
    "api:computed-value-list": ("id", lambda w: {"a": w["computed_a"].pk}),
}
# Which of the objects above each kind of token lists.
SEES = {
    "region": {"a", "b", "draft"},
    "entity": {"a"},
    "region_other": {"c", "d"},
    "entity_other": {"c"},
}


def all_rows(client, url, kind_headers):
    rows, pages = [], 0
    while url:
        response = client.get(url, **kind_headers)
        assert response.status_code == 200
        body = response.json()
        rows += body["results"]
        url, pages = body["next"], pages + 1
        assert pages < 50
    return rows


@pytest.mark.parametrize("name", sorted(LISTS))
@pytest.mark.parametrize("kind", sorted(SEES))
def test_a_list_holds_only_what_the_token_sees(client, shared_world, db, name, kind):
    field, objects = LISTS[name]
    known = objects(shared_world)
    listed = {row[field] for row in all_rows(client, reverse(name), headers(shared_world, kind))}
    for label, value in known.items():
        assert (value in listed) == (label in SEES[kind]), f"{kind} on {name}: {label} ({value})"


def test_a_campaign_shows_only_the_cpoms_its_reader_sees(client, shared_world, db):
    """A director sees the campaign, not the other establishments' CPOMs it follows."""
    from indicators.models import Campaign

    campaign = Campaign.objects.get(pk=shared_world["campaign_idf"].pk)
    campaign.cpoms.add(shared_world["cpom_b_signed"])
    url = reverse("api:campaign-detail", args=[campaign.pk])
    for_entity = client.get(url, **headers(shared_world, "entity")).json()["cpoms"]
    for_region = client.get(url, **headers(shared_world, "region")).json()["cpoms"]
    assert shared_world["cpom_b_signed"].pk in for_region
    assert shared_world["cpom_b_signed"].pk not in for_entity
    assert shared_world["cpom_a_old"].pk in for_entity


def test_a_filter_never_widens_the_scope(client, shared_world, db):
    """Asking for another région's rows gives an empty list, not those rows."""
    entity_c = shared_world["entities"]["c"]
    for kind in ("region", "entity"):
        for query in ({"region": "32"}, {"finess": entity_c.finess}, {"departement": "59"}):
            response = client.get(reverse("api:legal-entity-list"), query, **headers(shared_world, kind))
            assert response.status_code == 200
            assert response.json()["results"] == [], (kind, query)
