"""The follow-up loop in Chromium: the negotiator opens a campaign, the
director declares and submits, the negotiator sends a value back, the
director corrects it, the negotiator validates it; the indicator page then
shows the chart and the status."""

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_out(page):
    page.get_by_role("button", name="Se déconnecter").click()


def _campaign_row(page, year):
    return page.get_by_role("row").filter(has=page.get_by_role("cell", name=year, exact=True))


def _menu(page, name):
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name=name).click()


def test_campaign_declaration_send_back_correction_validation(page, live_server, e2e_world, worker_queue):
    UserFactory(username="dir_b", role=Role.DIRECTOR, legal_entity=e2e_world["entities"]["b"])
    indicator = e2e_world["commitment_b"].indicators.get()
    value_field = f"[name='i{indicator.pk}-value']"

    # The negotiator opens the 2026 campaign: it covers the signed CPOM of CH Bravo.
    log_in(page, live_server, "nego_idf")
    _menu(page, "Suivi des indicateurs")
    page.get_by_role("link", name="Ouvrir une campagne").click()
    page.get_by_role("spinbutton", name="Année suivie").fill("2026")
    page.get_by_role("button", name="Ouvrir la campagne").click()
    expect(page.get_by_text("Campagne 2026 ouverte : 1 CPOM suivis")).to_be_visible()
    expect(page.get_by_test_id("completion")).to_have_text("0 %")
    _log_out(page)

    # The director declares: a wrong value is explained, then he submits.
    log_in(page, live_server, "dir_b")
    _menu(page, "Mes indicateurs")
    expect(page.get_by_role("heading", level=1)).to_have_text("Indicateurs à renseigner — 2026")
    page.locator(value_field).fill("neuf")
    page.get_by_role("button", name="Soumettre mes valeurs à l’ARS").click()
    page.get_by_test_id("confirm-submit").click()
    # The error summary at the top links to the field, whose own message says the same.
    expect(page.get_by_role("link", name="Valeur (vacations) : « neuf » n’est pas un nombre.")).to_be_visible()
    expect(
        page.get_by_test_id(f"indicator-{indicator.pk}").get_by_text("« neuf » n’est pas un nombre.")
    ).to_be_visible()
    expect(page.locator(value_field)).to_have_value("neuf")
    page.locator(value_field).fill("9")
    page.locator(f"[name='i{indicator.pk}-comment']").fill("Selon les tableaux de service")
    page.get_by_role("button", name="Soumettre mes valeurs à l’ARS").click()
    page.get_by_test_id("confirm-submit").click()
    expect(page.get_by_text("1 valeur soumise à l’ARS pour validation.")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("Soumise à l’ARS")
    _log_out(page)

    # The negotiator sends it back with a reason.
    log_in(page, live_server, "nego_idf")
    _menu(page, "Suivi des indicateurs")
    _campaign_row(page, "2026").get_by_role("link", name="Validation").click()
    page.get_by_role("link", name="Examiner").click()
    page.get_by_label("Motif du renvoi").fill("Le tableau de service joint compte 11 vacations.")
    page.get_by_role("button", name="Renvoyer pour correction").click()
    expect(page.get_by_test_id("status")).to_have_text("Renvoyée pour correction")
    _log_out(page)

    # The director sees the reason and corrects.
    log_in(page, live_server, "dir_b")
    _menu(page, "Mes indicateurs")
    expect(page.get_by_test_id("send-back")).to_contain_text("compte 11 vacations")
    page.locator(value_field).fill("11")
    page.get_by_role("button", name="Soumettre mes valeurs à l’ARS").click()
    page.get_by_test_id("confirm-submit").click()
    expect(page.get_by_test_id("status")).to_have_text("Corrigée")
    _log_out(page)

    # The negotiator validates from the queue; the value is frozen.
    log_in(page, live_server, "nego_idf")
    _menu(page, "Suivi des indicateurs")
    _campaign_row(page, "2026").get_by_role("link", name="Validation").click()
    page.get_by_label("Statut").select_option(label="Soumise à l’ARS")
    page.get_by_role("button", name="Filtrer").click()
    page.get_by_role("link", name="Examiner").click()
    page.get_by_test_id("validate").click()
    page.get_by_test_id("confirm-validate").click()
    expect(page.get_by_text("Valeur validée : « Nombre de")).to_be_visible()
    expect(page.get_by_test_id("events")).to_contain_text("Renvoyée pour correction")
    expect(page.get_by_test_id("events")).to_contain_text("Validée")

    # The indicator page: the chart with the value, and the status (2026 target 10 met, final 14 not yet).
    page.get_by_role("link", name="L’indicateur sur toute la durée du CPOM").click()
    expect(page.get_by_test_id("chart").locator("svg.app-chart")).to_be_visible()
    expect(page.get_by_test_id("value-point")).to_have_count(1)
    expect(page.get_by_test_id("progress")).to_have_text("En bonne voie")
    expect(page.get_by_test_id("values")).to_contain_text("11 vacations")
