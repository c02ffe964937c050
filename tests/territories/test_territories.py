"""The rules of the territory pages: the pictures and their tables show the
same rows, the downloads, the peer comparison and its 5-establishment rule,
the percentiles, and queries that do not grow with the territory."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from territories import peers
from territories.geography import outlines, project
from territories.models import PeerPercentiles
from tests.territories.factories import grow, peer_figures, territory_world

pytestmark = pytest.mark.django_db

DATA_ROW = re.compile(r'data-row="([^"]+)"')


def _svg_rows(svg, prefix):
    return {row for row in DATA_ROW.findall(svg) if row.startswith(prefix)}


def _table_rows(html, testid, prefix=""):
    start = html.index(f'data-testid="table-{testid}"')
    end = html.index("</table>", start)
    return [row for row in DATA_ROW.findall(html[start:end]) if row.startswith(prefix)]


def _page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_percentiles_interpolate_like_percentile_cont():
    values = [Decimal(v) for v in (1, 2, 3, 4)]
    assert peers.percentile(values, 50) == Decimal("2.5")
    assert peers.percentile(values, 10) == Decimal("1.3")
    assert peers.percentile(values, 90) == Decimal("3.7")
    assert peers.percentile([Decimal(7)], 25) == Decimal(7)


def test_loading_precomputes_percentiles_by_category_region_and_france():
    world = territory_world()
    counts = peer_figures(world)
    assert counts["figures"] == 9 * 2 + 7  # P1 and P12 everywhere, P2 on 7 lines
    idf = PeerPercentiles.objects.get(indicator="P12", category="CH", region_id="11")
    france = PeerPercentiles.objects.get(indicator="P12", category="CH", region__isnull=True)
    assert (idf.count, france.count) == (6, 9)
    # IDF P12: 40, 50, 51, 52, 53, 54 → median 51.5
    assert idf.p50 == Decimal("51.5")
    assert PeerPercentiles.objects.get(indicator="P2", category="CH", region_id="11").count == 4


def test_map_svg_elements_match_the_tables(client):
    world = territory_world()
    html = _page(client, world["users"]["negotiator"], reverse("territories:region", args=["11"]))
    start = html.index('<svg xmlns="http://www.w3.org/2000/svg"')
    map_svg = html[start : html.index("</svg>", start)]
    assert _svg_rows(map_svg, "dep-") == set(_table_rows(html, "departements"))
    assert len(_table_rows(html, "departements")) == 8  # the eight départements of Île-de-France
    placed = _svg_rows(map_svg, "et-")
    sites = world["sites"]
    assert placed == {f"et-{sites['a1'].finess}", f"et-{sites['b1'].finess}"}
    table = _table_rows(html, "etablissements")
    assert set(table) == placed | {f"et-{sites['a2'].finess}"}  # Lille is not in Île-de-France
    assert 'data-testid="unplaced-count">1 sans coordonnées' in html


def test_network_svg_elements_match_the_tables(client):
    world = territory_world()
    html = _page(client, world["users"]["negotiator"], reverse("territories:region", args=["11"]))
    start = html.index('aria-labelledby="reseau-titre')
    network_svg = html[start : html.index("</svg>", start)]
    links = _table_rows(html, "liens")
    assert set(links) == _svg_rows(network_svg, "l")
    assert len(links) == 2  # GHT: support → Bravo; convention: support → the radiology practice
    nodes = set(_table_rows(html, "noeuds"))
    assert nodes == {row for row in DATA_ROW.findall(network_svg) if row[0] in "ex"}
    assert len(nodes) == 3
    # The support is highlighted, the link leads to its structure.
    assert "établissement support" in network_svg
    assert f'href="{world["ght"].get_absolute_url()}"' in network_svg


def test_network_filters_by_kind(client):
    world = territory_world()
    html = _page(client, world["users"]["negotiator"], reverse("territories:region", args=["11"]) + "?forme=convention")
    links = _table_rows(html, "liens")
    assert len(links) == 1 and links[0].startswith(f"l{world['convention'].pk}-")


def test_csv_downloads_carry_the_table_rows(client):
    world = territory_world()
    client.force_login(world["users"]["observer"])
    response = client.get(reverse("territories:download", args=["regions", "11", "etablissements.csv"]))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    lines = response.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("FINESS;Établissement;")
    assert len(lines) == 1 + 3
    assert any(world["sites"]["a2"].finess in line and "sans coordonnées" in line for line in lines)
    svg = client.get(reverse("territories:download", args=["regions", "11", "carte.svg"]))
    assert svg["Content-Type"].startswith("image/svg+xml")
    assert svg.content.startswith(b"<?xml") and b"<svg" in svg.content


def test_director_sees_only_aggregates_of_five_or_more(client):
    world = territory_world()
    peer_figures(world)
    site = world["sites"]["a1"]
    html = _page(client, world["users"]["director"], reverse("territories:comparison", args=[site.finess]))
    # P1: 6 in Île-de-France, 9 in France: shown; P2: only 4 in Île-de-France: masked; 8 in France: shown.
    p1 = html[html.index('data-testid="peer-P1"') : html.index('data-testid="peer-P2"')]
    assert "Masqué" not in p1 and "1,1" in p1
    p2 = html[html.index('data-testid="peer-P2"') : html.index('data-testid="peer-P12"')]
    assert p2.count('data-testid="masked"') == 1
    # Never another establishment's name or FINESS.
    assert "CH PAIR" not in html and "750000001" not in html
    assert 'data-testid="named-' not in html


def test_negotiator_sees_the_named_list_and_masked_groups(client):
    world = territory_world()
    peer_figures(world)
    site = world["sites"]["a1"]
    html = _page(client, world["users"]["negotiator"], reverse("territories:comparison", args=[site.finess]))
    assert 'data-testid="masked"' not in html
    assert "CH PAIR IDF 0 (750000001)" in html
    assert "CH PAIR HDF" not in html  # another région's establishments are never named


def test_comparison_chart_matches_its_table(client):
    world = territory_world()
    peer_figures(world)
    site = world["sites"]["a1"]
    client.force_login(world["users"]["director"])
    context = client.get(reverse("territories:comparison", args=[site.finess])).context
    for comparison in context["comparisons"]:
        svg = str(comparison.svg)
        drawn = _svg_rows(svg, f"peer-{comparison.code}-") - {f"peer-{comparison.code}-own"}
        assert drawn == {f"peer-{comparison.code}-{d.scope}" for d in comparison.distributions if d.shown}
        assert (f"peer-{comparison.code}-own" in svg) is (comparison.own is not None)


def test_peers_include_for_the_establishment_page(client):
    world = territory_world()
    peer_figures(world)
    request = RequestFactory().get("/")
    request.user = world["users"]["director"]
    html = Template("{% load territories %}{% establishment_peers site %}").render(
        Context({"request": request, "site": world["sites"]["a1"]})
    )
    assert 'data-testid="peer-P1"' in html and "CH PAIR" not in html
    assert reverse("territories:comparison", args=[world["sites"]["a1"].finess]) in html
    absent = Template("{% load territories %}{% establishment_peers site %}").render(
        Context({"request": request, "site": world["sites"]["a2"]})
    )
    assert 'data-testid="peers-absent"' in absent  # neither a2 nor Alpha's EJ is in Hospi Diag


def _region_queries(client, user):
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("territories:region", args=["11"]) + "?mesure=campagne").status_code == 200
    return len(queries)


def test_region_page_queries_do_not_grow_with_the_territory(client):
    world = territory_world(extra_sites=2)
    small = _region_queries(client, world["users"]["negotiator"])
    grow(30, start=2)
    assert _region_queries(client, world["users"]["negotiator"]) == small
    assert small <= 14


def test_projection_places_paris_inside_its_outline():
    x, y = project(48.8566, 2.3522)
    box = outlines()["75"].box
    assert box[0] <= x <= box[2] and box[1] <= y <= box[3]
    assert project(None, 2.35) is None
    assert project(-21.1, 55.5) is None  # La Réunion is not on the metropolitan frame
