"""The negotiator imports stays, runs the computation of his région (a real
Celery worker when REDIS_URL is set) and reads the leakage rate with its
numerator and denominator."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_negotiator_imports_stays_and_computes_the_leakage_rate(page, live_server, e2e_world, worker_queue, tmp_path):
    site_a, site_c = e2e_world["sites"]["a"].finess, e2e_world["sites"]["c"].finess
    stays = tmp_path / "sejours-2025.csv"
    # Yvelines residents: 9 more stays at site A (in the GHT), 3 at site C (Nord); with the 9 national
    # stays already imported, 3 of 21 leave.
    stays.write_text(
        f"annee;finess_et;code_geo;champ;sejours\n2025;{site_a};78100;MCO;9\n2025;{site_c};78100;MCO;3\n",
        encoding="latin-1",
    )
    log_in(page, live_server, "nego_idf")
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Suivi des indicateurs").click()
    page.get_by_role("link", name="Données d’entrée").click()
    page.get_by_label("Données").select_option(label="Séjours hospitaliers par lieu de résidence")
    page.get_by_label("Source").fill("PMSI Île-de-France")
    page.get_by_label("Fichier CSV").set_input_files(str(stays))
    page.get_by_role("button", name="Importer").click()
    # The worker imports the file; its progress page then leads to the import.
    expect(page.get_by_test_id("imported")).to_contain_text("2 lignes", timeout=30_000)

    page.get_by_role("link", name="Calculer les indicateurs").click()
    page.get_by_label("Année à calculer").fill("2025")
    page.get_by_role("button", name="Calculer les indicateurs").click()
    expect(page.get_by_test_id("run-status")).to_have_text("Terminé", timeout=60_000)
    row = page.get_by_test_id("results").get_by_role("row").filter(has_text="Taux de fuite")
    expect(row).to_contain_text("14,29 %")
    expect(row).to_contain_text("3 / 21")
    row.get_by_role("link", name="Taux de fuite").click()
    expect(page.get_by_test_id("values")).to_contain_text("3 / 21 séjours")
    expect(page.get_by_test_id("chart").locator("svg.app-chart")).to_be_visible()
