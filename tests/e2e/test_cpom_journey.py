"""The negotiator's journey in Chromium: a CPOM from creation to signature,
then an amendment and its diff; the director reads it, read-only."""

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from tests.accounts.factories import UserFactory
from tests.cooperations.factories import LegalEntityFactory, department
from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _fill_targets(page, row, values):
    for field, value in zip(page.locator(f"[name^='indicateurs-{row}-target_']").all(), values, strict=True):
        field.fill(value)


def _commitment(page, title, kind, theme, objective, indicators, partners=()):
    page.get_by_role("link", name="Ajouter un engagement").click()
    page.get_by_label("Intitulé").fill(title)
    page.get_by_label("Type d’action").select_option(label=kind)
    page.get_by_label("Thème").select_option(label=theme)
    page.get_by_label("Objectif").fill(objective)
    for row, partner in enumerate(partners):
        page.get_by_role("button", name="Ajouter un partenaire").click()
        page.locator(f"[name='partenaires-{row}-entity']").fill(partner)
    for row, (template, targets) in enumerate(indicators):
        if row:
            page.get_by_role("button", name="Ajouter un indicateur").click()
        page.locator(f"[name='indicateurs-{row}-template']").select_option(label=template)
        expect(page.locator(f"[name='indicateurs-{row}-label']")).to_have_value(template)
        _fill_targets(page, row, targets)
    page.get_by_role("button", name="Enregistrer l’engagement").click()
    expect(page.get_by_text(f"Engagement « {title} » enregistré.")).to_be_visible()


def test_negotiator_signs_a_cpom_then_an_amendment_and_the_director_reads_it(page, live_server, e2e_world):
    entity = LegalEntityFactory(name="CH Écho", department=department("78"))
    UserFactory(username="dir_e", role=Role.DIRECTOR, legal_entity=entity)
    log_in(page, live_server, "nego_idf")
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="CPOM").click()
    page.get_by_role("link", name="Nouveau CPOM").click()
    page.get_by_label("Entité juridique").select_option(label=f"CH Écho — {entity.finess}")
    page.get_by_label("Première année").fill("2026")
    page.get_by_label("Dernière année").fill("2030")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("CPOM 2026–2030")
    expect(page.get_by_test_id("cpom-status")).to_have_text("En préparation")

    # The vehicle is not an objective: warned, then the objective is rephrased.
    page.get_by_role("link", name="Ajouter un engagement").click()
    page.get_by_label("Intitulé").fill("Imagerie")
    page.get_by_label("Type d’action").select_option(label="Équipements et plateaux partagés")
    page.get_by_label("Thème").select_option(label="Plateaux techniques et fonctions médico-techniques")
    page.get_by_label("Objectif").fill("Créer un GCS d’imagerie")
    page.get_by_role("button", name="Enregistrer l’engagement").click()
    expect(page.get_by_test_id("vehicle-warning")).to_contain_text("ne constitue pas un objectif en soi")
    page.get_by_role("link", name="Annuler").click()

    _commitment(
        page,
        "Filière gériatrique",
        "Organisation de filières",
        "Coopérations médicales",
        "Organiser l’adressage des patients âgés entre les partenaires.",
        [
            ("Nombre de patients adressés dans le cadre des filières", ["100", "120", "140", "160", "180"]),
            ("Taux de fuite des séjours du territoire", ["30", "29", "28", "27", "26"]),
        ],
        partners=[f"CH Alpha — {e2e_world['entities']['a'].finess}"],
    )
    expect(page.get_by_test_id("commitment").first).to_contain_text("CH Alpha")
    _commitment(
        page,
        "Blanchisserie commune",
        "Mutualisation de fonctions support",
        "Fonctions logistiques et techniques",
        "Traiter le linge des partenaires dans une blanchisserie commune.",
        [("Coût des prestations des fonctions support", ["2,1", "2", "1,9", "1,8", "1,8"])],
    )
    expect(page.get_by_test_id("commitment")).to_have_count(2)
    expect(page.get_by_test_id("indicators").first).to_contain_text("Calculé")

    page.get_by_role("button", name="Prêt à signer").click()
    # The confirmation lists what will be frozen.
    expect(page.get_by_test_id("modal-ready-frozen")).to_contain_text("Blanchisserie commune")
    page.get_by_role("button", name="Confirmer et figer le contenu").click()
    expect(page.get_by_test_id("cpom-status")).to_have_text("À signer")
    page.get_by_role("button", name="Signer le CPOM").click()
    page.get_by_label("Date de signature").fill("2026-01-15")
    page.get_by_role("button", name="Confirmer la signature").click()
    expect(page.get_by_test_id("cpom-status")).to_have_text("Signé")
    expect(page.get_by_role("link", name="Modifier")).to_have_count(0)

    page.get_by_label("Objet de l’avenant").fill("Révision de la cible 2028 de la filière")
    page.get_by_role("button", name="Ouvrir un avenant").click()
    expect(page.get_by_test_id("cpom-status")).to_have_text("En préparation")
    page.get_by_test_id("commitment").first.get_by_role("link", name="Modifier").click()
    page.locator("[name='indicateurs-0-target_2028']").fill("150")
    page.get_by_role("button", name="Enregistrer l’engagement").click()
    page.get_by_role("button", name="Prêt à signer").click()
    page.get_by_role("button", name="Confirmer et figer le contenu").click()
    page.get_by_role("button", name="Signer le CPOM").click()
    page.get_by_label("Date de signature").fill("2026-06-30")
    page.get_by_role("button", name="Confirmer la signature").click()
    expect(page.get_by_test_id("cpom-status")).to_have_text("Signé")
    diff = page.get_by_test_id("diff")
    expect(diff).to_contain_text("Nombre de patients adressés dans le cadre des filières")
    expect(diff.get_by_role("row").filter(has_text="Cible 2028")).to_contain_text("140 patients par an")
    expect(diff.get_by_role("row").filter(has_text="Cible 2028")).to_contain_text("150 patients par an")
    cpom_url = page.url

    page.get_by_role("button", name="Se déconnecter").click()
    log_in(page, live_server, "dir_e")
    page.goto(cpom_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("CPOM 2026–2030")
    expect(page.get_by_test_id("commitment")).to_have_count(2)
    expect(page.get_by_role("link", name="Modifier")).to_have_count(0)
    expect(page.get_by_role("link", name="Ajouter un engagement")).to_have_count(0)
    expect(page.get_by_test_id("workflow-actions")).to_have_count(0)
    edit = page.goto(cpom_url.split("/cpom/")[0] + "/cpom/nouveau/")
    assert edit.status == 403


def test_concertation_director_proposes_negotiator_accepts(page, live_server, e2e_world):
    log_in(page, live_server, "dir_a")
    page.get_by_test_id("my-cpoms").get_by_role("link", name="CPOM 2026–2030").click()
    expect(page.get_by_test_id("next-actor")).to_contain_text("L’établissement relit")
    commitment = page.get_by_test_id("commitment").first
    commitment.get_by_label("Votre message sur cet engagement").fill("La cible 2028 suppose un gériatre de plus.")
    commitment.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_test_id("thread").first).to_contain_text("La cible 2028 suppose un gériatre de plus.")
    page.get_by_test_id("commitment").first.get_by_role("link", name="Proposer une modification").click()
    page.get_by_label("Élément à modifier").select_option(label="Valeur-cible 2028 — Patients adressés")
    page.get_by_label("Valeur proposée").fill("17")
    page.get_by_role("button", name="Transmettre la proposition").click()
    expect(page.get_by_text("Proposition transmise à l’ARS.")).to_be_visible()
    page.get_by_role("button", name="Se déconnecter").click()

    log_in(page, live_server, "nego_idf")
    page.goto(f"{live_server.url}{e2e_world['cpom_a'].get_absolute_url()}")
    proposals = page.get_by_test_id("proposal")
    expect(proposals).to_have_count(2)
    target = proposals.filter(has_text="Valeur-cible 2028")
    target.get_by_role("button", name="Accepter").click()
    expect(page.get_by_text("Réponse enregistrée.")).to_be_visible()
    first = page.get_by_test_id("proposal").filter(has_text="Intitulé")
    first.get_by_role("button", name="Refuser").click()
    expect(page.get_by_text("Indiquez le motif du refus")).to_be_visible()
    first = page.get_by_test_id("proposal").filter(has_text="Intitulé")
    first.get_by_label("Motif de la réponse").fill("L’intitulé doit citer les deux établissements.")
    first.get_by_role("button", name="Refuser").click()
    expect(page.get_by_test_id("proposal").filter(has_text="Intitulé")).to_contain_text("Refusée")
    row = page.get_by_test_id("indicators").first.get_by_role("row").filter(has_text="Patients adressés")
    expect(row).to_contain_text("17 vacations")
    expect(page.get_by_test_id("history")).to_contain_text("Valeur-cible 2028 de « Patients adressés »")


def test_admin_downloads_an_annex_and_the_region_archive(page, live_server, e2e_world, worker_queue, tmp_path):
    """With REDIS_URL set, a real Celery worker builds the archive while the
    page follows it; without, the task ran before the page opened."""
    import zipfile

    log_in(page, live_server, "admin_t")
    page.goto(f"{live_server.url}{e2e_world['cpom_b_signed'].get_absolute_url()}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger l’annexe (PDF)").click()
    pdf = tmp_path / download.value.suggested_filename
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF") and e2e_world["entities"]["b"].finess in pdf.name

    page.goto(f"{live_server.url}/cpom/?region=11")
    page.get_by_role("button", name="Annexes PDF de ces 4 CPOM (ZIP)").click()
    expect(page.get_by_test_id("archive-status")).to_have_text("Terminé", timeout=90_000)
    expect(page.get_by_test_id("archive-percent")).to_have_text("100 %")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger l’archive").click()
    archive = tmp_path / "archive.zip"
    download.value.save_as(archive)
    with zipfile.ZipFile(archive) as zipped:
        assert len(zipped.namelist()) == 4
