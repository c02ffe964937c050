"""Territory pages × roles: ARS users see their région's territories, an
admin every one, a director none (a territory page names other
establishments); the comparison page follows the establishment's scope."""

import pytest
from django.urls import reverse

from tests.territories.factories import peer_figures, territory_world

ROLES = ["anonymous", "admin", "negotiator", "observer", "negotiator_other", "director"]

A1 = lambda w: w["sites"]["a1"].finess  # noqa: E731 - a row builder
B1 = lambda w: w["sites"]["b1"].finess  # noqa: E731

# name, args builder, expected status per role (ROLES order); 302 for anonymous: sent to the login page.
TABLE = [
    ("territories:index", lambda w: [], [302, 200, 200, 200, 200, 403]),
    ("territories:region", lambda w: ["11"], [302, 200, 200, 200, 404, 403]),
    ("territories:region", lambda w: ["32"], [302, 200, 404, 404, 200, 403]),
    ("territories:region", lambda w: ["zz"], [302, 404, 404, 404, 404, 403]),
    ("territories:department", lambda w: ["75"], [302, 200, 200, 200, 404, 403]),
    ("territories:department", lambda w: ["59"], [302, 200, 404, 404, 200, 403]),
    ("territories:department", lambda w: ["000"], [302, 404, 404, 404, 404, 403]),
    ("territories:ght", lambda w: [w["ght"].code], [302, 200, 200, 200, 404, 403]),
    ("territories:ght", lambda w: [w["ght_hdf"].code], [302, 200, 404, 404, 200, 403]),
    ("territories:ght", lambda w: ["00000"], [302, 404, 404, 404, 404, 403]),
    ("territories:download", lambda w: ["regions", "11", "carte.svg"], [302, 200, 200, 200, 404, 403]),
    ("territories:download", lambda w: ["regions", "11", "etablissements.csv"], [302, 200, 200, 200, 404, 403]),
    ("territories:download", lambda w: ["departements", "59", "liens.csv"], [302, 200, 404, 404, 200, 403]),
    ("territories:download", lambda w: ["ght", w["ght"].code, "reseau.svg"], [302, 200, 200, 200, 404, 403]),
    ("territories:download", lambda w: ["regions", "11", "secret.txt"], [302, 404, 404, 404, 404, 404]),
    ("territories:comparison", lambda w: [A1(w)], [302, 200, 200, 200, 404, 200]),
    ("territories:comparison", lambda w: [B1(w)], [302, 200, 200, 200, 404, 404]),
    ("territories:comparison", lambda w: [w["sites"]["c1"].finess], [302, 200, 404, 404, 200, 404]),
    ("territories:comparison", lambda w: ["000000000"], [302, 404, 404, 404, 404, 404]),
    ("territories:comparison_download", lambda w: [A1(w), "comparaison.csv"], [302, 200, 200, 200, 404, 200]),
    ("territories:comparison_download", lambda w: [A1(w), "P1.svg"], [302, 200, 200, 200, 404, 200]),
    ("territories:comparison_download", lambda w: [B1(w), "comparaison.csv"], [302, 200, 200, 200, 404, 404]),
    ("territories:comparison_download", lambda w: [A1(w), "autre.pdf"], [302, 404, 404, 404, 404, 404]),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "args", "statuses"), TABLE)
def test_role_gets_expected_status(client, name, args, statuses):
    world = territory_world()
    peer_figures(world)
    url = reverse(name, args=args(world))
    for role, expected in zip(ROLES, statuses, strict=True):
        client.logout()
        if role != "anonymous":
            client.force_login(world["users"][role])
        response = client.get(url)
        assert response.status_code == expected, f"{role} on {name} {url}: {response.status_code}"


@pytest.mark.django_db
def test_menu_shows_territories_to_ars_users_only(client):
    world = territory_world()
    for role, shown in [("admin", True), ("negotiator", True), ("observer", True), ("director", False)]:
        client.force_login(world["users"][role])
        page = client.get(reverse("home")).content.decode()
        assert (reverse("territories:index") in page) is shown, role


@pytest.mark.django_db
def test_bad_parameters_fall_back_to_defaults(client):
    world = territory_world()
    client.force_login(world["users"]["negotiator"])
    for query in ["?mesure=fuite&theme=x'--", "?taille=9999&couleur=<script>", "?forme=zz&etat=[]"]:
        response = client.get(reverse("territories:region", args=["11"]) + query)
        assert response.status_code == 200, query
        assert b"<script>" not in response.content


@pytest.mark.django_db
def test_the_establishment_page_carries_its_peer_comparison(client):
    world = territory_world()
    peer_figures(world)
    client.force_login(world["users"]["director"])
    page = client.get(reverse("cooperations:establishment_detail", args=[A1(world)])).content.decode()
    assert 'data-testid="peers"' in page
    assert reverse("territories:comparison", args=[A1(world)]) in page
