"""Main journeys in Chromium (Playwright), against the live server."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "motdepasse-test-123"


# The TOTP secret each account set up in this run (accounts.second_factor), to give its code at the next login.
TOTP_SECRETS = {}


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    give_second_factor(page, username)


def give_second_factor(page, username):
    """An ARS account logged in by password sets up its authenticator, or gives its code."""
    from tests.accounts.totp import code_for

    if "/double-authentification/activer/" in page.url:
        TOTP_SECRETS[username] = page.get_by_test_id("totp-secret").inner_text()
        page.get_by_label("Code à 6 chiffres").fill(code_for(TOTP_SECRETS[username]))
        page.get_by_role("button", name="Activer").click()
    elif "/double-authentification/code/" in page.url:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        # A code serves once (tests/accounts/test_second_factor.py): a journey logging in again within the same
        # 30 seconds would wait for the next one; the device is told the last one used is older instead.
        for _attempt in range(2):
            TOTPDevice.objects.filter(user__username=username).update(
                last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
            )
            page.get_by_label("Code à 6 chiffres").fill(code_for(TOTP_SECRETS[username]))
            page.get_by_role("button", name="Valider").click()
            page.wait_for_load_state()
            if "/double-authentification/code/" not in page.url:
                break
            # A code typed on a 30-second boundary is the previous window's: the next try takes the new one.
            page.wait_for_timeout(1000)
    else:
        return
    expect(page).not_to_have_url(re.compile("/double-authentification/"))


def test_negotiator_finds_an_establishment_and_its_ght(page, live_server, e2e_world):
    site = e2e_world["sites"]["b"]
    log_in(page, live_server, "nego_idf")
    page.get_by_role("link", name="Établissements").first.click()
    page.get_by_label("Recherche").fill(site.finess)
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_test_id("result-count")).to_have_text("1 établissement")
    page.get_by_role("link", name=site.name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(site.name)
    expect(page.get_by_test_id("finess-et")).to_have_text(site.finess)
    link = page.get_by_test_id("link")
    expect(link.get_by_role("link", name=re.compile("Yvelines test"))).to_be_visible()
    expect(link.get_by_test_id("support")).to_contain_text("CH Alpha")
    expect(link).to_contain_text("Composition reconstituée pour la démonstration")


def test_director_is_refused_another_entity(page, live_server, e2e_world):
    other = e2e_world["entities"]["b"]
    log_in(page, live_server, "dir_a")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour")
    expect(page.get_by_text("CH Alpha").first).to_be_visible()
    response = page.goto(f"{live_server.url}/entites/{other.finess}/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page non trouvée")
    page.goto(f"{live_server.url}/etablissements/")
    expect(page.get_by_test_id("result-count")).to_have_text("1 établissement")
    expect(page.get_by_text(other.name)).to_have_count(0)


def test_admin_uploads_the_finessplus_flux_and_reads_the_report(page, live_server, e2e_world, worker_queue):
    """With REDIS_URL set, a real Celery worker runs the import and the page
    follows its progress; without, the task ran before the page opened."""
    sample = Path(settings.BASE_DIR) / "data" / "reference" / "finessplus_structures_extrait_20260309.json"
    log_in(page, live_server, "admin_t")
    page.get_by_test_id("admin-menu").click()  # the administrator's tools are in one menu of the header
    page.get_by_role("link", name="Imports").click()
    page.get_by_label("Type de fichier").select_option("finessplus")
    page.get_by_label("Fichier importé").set_input_files(str(sample))
    page.get_by_role("button", name="Déposer et importer").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("finessplus_structures_extrait_20260309.json")
    expect(page.get_by_test_id("import-status")).to_have_text("Terminé", timeout=60_000)
    expect(page.get_by_test_id("import-percent")).to_have_text("100 %")
    expect(page.get_by_test_id("import-report")).to_contain_text("Éléments lus : 21")
    page.goto(f"{live_server.url}/entites/010000339/")
    expect(page.get_by_test_id("register-cpoms")).to_contain_text("CPOM n° 879579")
