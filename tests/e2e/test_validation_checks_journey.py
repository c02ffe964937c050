"""The consistency checks in Chromium: the director enters a value far from
its target, is warned at the field, keeps it with a comment and submits it
after the confirmation; the negotiator finds it first in the queue with its
reason, reads it on its page, validates it after the confirmation, then
reopens it with a reason."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_out(page):
    page.get_by_role("button", name="Se déconnecter").click()


@pytest.fixture
def case(live_server):
    from tests.conftest import load_reference_lists
    from tests.indicators.validation_cases import build_case

    load_reference_lists()
    built = build_case(n=2)
    built.negotiator.username = "nego_checks"
    built.negotiator.save()
    built.directors[0].username = "dir_checks"
    built.directors[0].save()
    built.declare(1, "11")  # another establishment's value, unflagged
    return built


def test_flagged_value_kept_with_a_comment_then_validated_and_reopened(page, live_server, case):
    indicator = case.indicators[0]
    value_field = page.locator(f"[name='i{indicator.pk}-value']")
    comment_field = page.locator(f"[name='i{indicator.pk}-comment']")

    # The director types 40 against a target of 10: warned, nothing saved.
    log_in(page, live_server, "dir_checks")
    page.goto(f"{live_server.url}/suivi/campagnes/{case.campaign.pk}/etablissements/{case.entities[0].finess}/")
    value_field.fill("40")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.get_by_test_id("flags")).to_contain_text("cible 2026")
    expect(page.locator(f"#id_i{indicator.pk}-comment_error")).to_contain_text("Expliquez l’écart signalé")
    expect(value_field).to_have_value("40")

    # He keeps it with a comment and submits after the confirmation listing what is sent.
    comment_field.fill("Deux praticiens partagés recrutés en mars")
    page.get_by_test_id("open-submit").click()
    expect(page.get_by_test_id("modal-submit")).to_be_visible()
    expect(page.get_by_test_id("modal-submit-list")).to_contain_text(indicator.label)
    page.get_by_test_id("confirm-submit").click()
    expect(page.get_by_text("1 valeur soumise à l’ARS pour validation.")).to_be_visible()
    expect(page.get_by_test_id(f"indicator-{indicator.pk}").get_by_test_id("flags")).to_be_visible()
    _log_out(page)

    # The negotiator: the flagged value comes first in the queue, with its reason.
    log_in(page, live_server, "nego_checks")
    page.goto(f"{live_server.url}/suivi/campagnes/{case.campaign.pk}/validation/")
    first_row = page.locator("tbody tr").first
    expect(first_row).to_contain_text(indicator.label)
    expect(first_row).to_contain_text("Signalée")
    expect(first_row).to_contain_text("cible 2026")
    expect(page.locator("tbody tr").nth(1)).to_contain_text(case.indicators[1].label)
    page.get_by_label("Alertes de cohérence").select_option(label="Valeurs signalées")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("tbody tr")).to_have_count(1)

    # On its page: comment and warning first, then the confirmation of what is frozen.
    first_row.get_by_role("link", name="Examiner").click()
    expect(page.get_by_test_id("comment")).to_contain_text("Deux praticiens partagés")
    page.get_by_test_id("validate").click()
    expect(page.get_by_test_id("modal-validate-frozen")).to_contain_text("40 vacations par an")
    expect(page.get_by_test_id("modal-validate-frozen")).to_contain_text("Alerte")
    page.get_by_test_id("confirm-validate").click()
    expect(page.get_by_test_id("status")).to_have_text("Validée")

    # Reopened with a reason: back to the establishment, the step in the history.
    page.get_by_label("Motif de la réouverture").fill("Le nombre inclut les vacations de 2025")
    page.get_by_role("button", name="Rouvrir pour correction").click()
    expect(page.get_by_text("Valeur rouverte")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("Renvoyée pour correction")
    expect(page.get_by_test_id("events")).to_contain_text("Rouverte par l’ARS")
    expect(page.get_by_test_id("events")).to_contain_text("Le nombre inclut les vacations de 2025")
