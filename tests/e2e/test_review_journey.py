"""The yearly review and the final evaluation in Chromium: the negotiator
opens the 2024 review from the CPOM page, the director writes the
establishment's remark, the negotiator records the meeting and the
decisions and finalizes after the confirmation; then the final evaluation,
a conclusion, « Reconduire » and the carried commitment in the next CPOM,
linked back to the evaluation."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_out(page):
    page.get_by_role("button", name="Se déconnecter").click()


@pytest.fixture
def world(live_server):
    from tests.conftest import load_reference_lists
    from tests.reviews.scenarios import build_reviews
    from tests.scenarios import build_full_world

    load_reference_lists()
    built = build_full_world()
    built.update(build_reviews(built))
    return built


def test_review_then_evaluation_then_reconduct(page, live_server, world):
    cpom = world["cpom_a_old"]
    commitment = cpom.commitments.get()

    # The negotiator opens the review of 2024 from the CPOM page.
    log_in(page, live_server, "nego_idf")
    page.goto(f"{live_server.url}{cpom.get_absolute_url()}")
    page.get_by_test_id("review-links").get_by_role("link", name="Revue 2024 — à ouvrir").click()
    page.get_by_role("button", name="Ouvrir la revue 2024").click()
    expect(page.get_by_text("Revue 2024 ouverte")).to_be_visible()
    expect(page.get_by_test_id("item-status")).to_have_text("En retard")
    _log_out(page)

    # The director writes the establishment's remark.
    log_in(page, live_server, "dir_a")
    page.goto(f"{live_server.url}/cpom/{cpom.pk}/revues/2024/")
    page.get_by_label("Remarques de l’établissement").fill("Deux recrutements prévus au printemps")
    page.get_by_role("button", name="Enregistrer les remarques de l’établissement").click()
    expect(page.get_by_text("Remarques enregistrées.")).to_be_visible()
    _log_out(page)

    # The negotiator: meeting, remark, decision, then the confirmation before finalizing.
    log_in(page, live_server, "nego_idf")
    page.goto(f"{live_server.url}/cpom/{cpom.pk}/revues/2024/")
    expect(page.get_by_test_id("establishment-remark")).to_have_text("Deux recrutements prévus au printemps")
    page.get_by_label("Date de la réunion").fill("2025-06-12")
    page.get_by_label("Participants").fill("ARS Île-de-France ; direction du CH Alpha")
    page.get_by_label("Remarques de l’ARS").fill("Retard expliqué")
    page.get_by_label("Décision").select_option(label="Maintenir en l’état")
    page.get_by_role("button", name="Enregistrer la réunion, les remarques et les décisions").click()
    expect(page.get_by_text("Réunion, remarques et décisions enregistrées.")).to_be_visible()
    page.get_by_role("button", name="Finaliser la revue").click()
    expect(page.get_by_test_id("modal-finalize")).to_be_visible()
    expect(page.get_by_test_id("modal-finalize")).to_contain_text("Maintenir en l’état")
    page.get_by_role("button", name="Confirmer et finaliser").click()
    expect(page.get_by_test_id("review-status")).to_have_text("Finalisée")
    expect(page.get_by_test_id("minutes-stored")).to_contain_text("version 1")

    # The final evaluation: opened, concluded, the commitment carried into the next CPOM.
    page.goto(f"{live_server.url}/cpom/{cpom.pk}/evaluation/")
    page.get_by_role("button", name="Ouvrir l’évaluation finale").click()
    expect(page.get_by_test_id("share-met")).to_contain_text("Cibles atteintes : 1 sur 6")
    page.get_by_label("Conclusion de l’ARS").fill("À poursuivre avec des cibles revues")
    page.locator("label", has_text="Reconduire dans le prochain CPOM").click()  # the DSFR label covers its box
    page.get_by_role("button", name="Enregistrer les conclusions de l’ARS et les reconductions").click()
    expect(page.get_by_text("Conclusions enregistrées.")).to_be_visible()
    page.get_by_test_id("reconduct").get_by_role("button", name="Reconduire dans le prochain CPOM").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Engagements reconduits dans le CPOM 2026–2030 (en concertation)."
    )
    expect(page.get_by_test_id("carried")).to_have_text("Reconduit dans le CPOM 2026–2030")

    # In the next CPOM, the carried commitment points back to the evaluation.
    page.get_by_test_id("next-cpom").get_by_role("link").click()
    carried = page.get_by_test_id("commitment").filter(has_text=commitment.title)
    expect(carried.get_by_test_id("carried-from-evaluation")).to_contain_text("évaluation finale du CPOM 2024–2025")
