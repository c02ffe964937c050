"""The territory pages in Chromium: a negotiator opens his région's map from
the menu, picks a measure, filters the cooperation network and follows a
link of the network to its structure; a director has no territory menu and
sees his site among similar ones with the groups under five masked."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_journeys import log_in
from tests.territories.factories import peer_figures, territory_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _menu(page):
    return page.get_by_role("navigation", name="Menu principal")


@pytest.fixture
def territory(live_server):
    from tests.conftest import load_reference_lists

    load_reference_lists()
    world = territory_world()
    peer_figures(world)
    return world


def test_negotiator_reads_the_map_and_the_network(page, live_server, territory):
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    log_in(page, live_server, territory["users"]["negotiator"].username)
    _menu(page).get_by_role("link", name="Territoires").click()
    page.get_by_role("link", name="Île-de-France", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Île-de-France")
    expect(page.get_by_test_id("map").locator("svg")).to_be_visible()
    expect(page.get_by_test_id("unplaced-count")).to_have_text("1 sans coordonnées au répertoire")

    page.get_by_label("Mesure par département").select_option(label="Taux de fuite des séjours")
    page.get_by_role("button", name="Afficher la carte").click()
    expect(page.get_by_role("table").filter(has_text="Taux de fuite des séjours par département")).to_be_visible()

    page.get_by_label("Forme juridique").select_option(label="Convention de coopération")
    page.get_by_role("button", name="Filtrer le réseau").click()
    links = page.get_by_test_id("table-liens").locator("tbody tr")
    expect(links).to_have_count(1)
    expect(links.first).to_contain_text("Cabinet de radiologie du Marais")
    # The measure picked above is kept by the network's form.
    expect(page.get_by_label("Mesure par département")).to_have_value("fuite")

    structure_url = territory["convention"].get_absolute_url()
    page.get_by_test_id("network").locator(f'a[href="{structure_url}"]').first.dispatch_event("click")
    expect(page.get_by_role("heading", level=1)).to_have_text("Convention imagerie")
    assert errors == []


def test_director_sees_aggregates_only(page, live_server, territory):
    log_in(page, live_server, territory["users"]["director"].username)
    expect(_menu(page).get_by_role("link", name="Territoires")).to_have_count(0)
    page.goto(f"{live_server.url}/territoires/comparaison/{territory['sites']['a1'].finess}/")
    expect(page.get_by_test_id("peer-P1")).to_contain_text("1,1")
    expect(page.get_by_test_id("peer-P2").get_by_test_id("masked")).to_have_count(1)
    expect(page.get_by_text("CH PAIR IDF 0")).to_have_count(0)
    page.goto(f"{live_server.url}/territoires/regions/11/")
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Île-de-France")
