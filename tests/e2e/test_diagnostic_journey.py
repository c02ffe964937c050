"""The diagnostic in Chromium: the negotiator diagnoses the GHT, answers,
qualifies the inventory, adds and prioritises two axes, turns the first
into a commitment and finds it in the CPOM."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _axis(page, title, theme, impact, feasibility, partner=None):
    page.get_by_role("link", name="Ajouter un axe").click()
    page.get_by_label("Axe de coopération").fill(title)
    page.get_by_label("Thème").select_option(label=theme)
    page.get_by_label("Enjeu").fill(f"Enjeu : {title.lower()}.")
    if partner:
        page.get_by_label(partner).check(force=True)  # the DSFR label lies over its box
    page.get_by_label("Impact (1 à 5)").select_option(str(impact))
    page.get_by_label("Faisabilité (1 à 5)").select_option(str(feasibility))
    page.get_by_role("button", name="Enregistrer l’axe").click()
    expect(page.get_by_text(f"Axe « {title} » ajouté.")).to_be_visible()


def test_negotiator_diagnoses_the_ght_and_turns_an_axis_into_a_commitment(page, live_server, e2e_world):
    ght = e2e_world["ght_idf"]
    log_in(page, live_server, "nego_idf")
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Diagnostics").click()
    page.get_by_role("link", name="Ouvrir un diagnostic").click()
    page.get_by_label("Périmètre du diagnostic").select_option(label="Un GHT")
    page.get_by_label("GHT", exact=True).select_option(label=str(ght))
    page.get_by_label("Intitulé").fill("Diagnostic du GHT Yvelines test")
    page.get_by_role("button", name="Ouvrir le diagnostic").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Diagnostic du GHT Yvelines test")

    page.get_by_role("link", name="Répondre").click()
    page.get_by_label("Besoins de santé du territoire").fill("Population vieillissante, fuites vers Paris.")
    page.get_by_label("Quels partenaires ?").fill("Les membres du GHT et la CPTS.")
    page.get_by_role("button", name="Enregistrer les réponses").click()
    expect(page.get_by_test_id("health-needs")).to_have_text("Population vieillissante, fuites vers Paris.")

    page.get_by_role("link", name="Qualifier l’inventaire").click()
    row = page.get_by_test_id("inventory-row").filter(has_text=str(ght))
    row.get_by_label(f"Volontaire ou contrainte : {ght}").select_option(label="Contrainte")
    row.get_by_label(f"Stratégique ou économique : {ght}").select_option(label="Stratégique")
    page.get_by_role("button", name="Enregistrer la qualification").click()
    expect(page.get_by_text("Inventaire enregistré.")).to_be_visible()
    page.get_by_role("link", name="Retour au diagnostic").click()
    expect(page.get_by_test_id("inventory")).to_contain_text("Contrainte")

    _axis(page, "Imagerie partagée", "Plateaux techniques et fonctions médico-techniques", 3, 2)
    _axis(page, "Équipe de gériatrie", "Coopérations médicales", 5, 4, partner="CH Bravo")
    # Prioritised: the geriatrics team (5 × 4) comes first, on the matrix too.
    expect(page.get_by_test_id("axis").first).to_contain_text("Équipe de gériatrie")
    expect(page.get_by_test_id("matrix-dot")).to_have_count(2)

    page.get_by_test_id("axis").first.get_by_role("link", name="Transformer en engagement").click()
    page.get_by_label("CPOM en négociation").select_option(label="CH Alpha — CPOM 2026–2030 (en concertation)")
    page.get_by_role("button", name="Transformer en engagement").click()
    expect(page.get_by_test_id("from-diagnostic")).to_contain_text("Diagnostic du GHT Yvelines test")
    expect(page.get_by_label("Intitulé")).to_have_value("Équipe de gériatrie")

    page.goto(f"{live_server.url}{e2e_world['cpom_a'].get_absolute_url()}")
    card = page.get_by_test_id("commitment").filter(has_text="Équipe de gériatrie")
    expect(card).to_contain_text("CH Bravo")
    expect(card.get_by_test_id("from-diagnostic")).to_contain_text("Équipe de gériatrie")
