"""The diagnostic phase: the grid, who may do what, the inventory, the
priority of the axes, an axis turned into a commitment, the exports."""

import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cooperations.models import CooperationStructure, Membership
from cpom.models import CommitmentPartner, FrozenCpomError
from diagnostics import services
from diagnostics.models import Axis, Diagnostic, GridObjective, GridQuestion, InventoryItem, StructureView
from tests.pages import with_tokens

pytestmark = pytest.mark.usefixtures("cpom_scenario", "diagnostic_scenario")


def _login(client, world, role):
    client.force_login(world["users"][role])


def test_the_reference_grid_is_loaded(db):
    sections = dict(GridQuestion.objects.values_list("label", "section"))
    assert sections["Quelles complémentarités ?"] == "questions"
    assert sections["Quelles articulations avec l’HAD, le médico-social et l’ambulatoire ?"] == "questions"
    assert sections["Quels sont les besoins de l’établissement ?"] == "structure"
    assert sections["Quel lien avec la médecine de ville et l’ambulatoire ?"] == "ambulatoire"
    assert GridQuestion.objects.count() == 12
    assert GridObjective.objects.filter(theme="Restructuration de l’offre").count() == 3


# --- Rights -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["observer", "director", "negotiator_other"])
def test_only_the_ars_of_the_region_opens_a_diagnostic(world, role):
    with pytest.raises(PermissionDenied):
        services.open_diagnostic(world["users"][role], "ght", world["ght_idf"])


def test_negotiator_opens_a_diagnostic_through_the_page(client, world):
    _login(client, world, "negotiator")
    response = client.post(
        reverse("diagnostics:diagnostic_create"), {"scope": "entite", "legal_entity": world["entities"]["b"].pk}
    )
    diagnostic = Diagnostic.objects.latest("pk")
    assert response.status_code == 302 and diagnostic.legal_entity == world["entities"]["b"]
    assert list(diagnostic.entities()) == [world["entities"]["b"]]
    response = client.post(reverse("diagnostics:diagnostic_create"), {"scope": "ght"})
    assert "Choisissez le ght diagnostiqué." in response.content.decode()


def test_director_fills_his_part_and_never_sees_the_others(client, world):
    diagnostic = world["diagnostic_idf"]
    services.save_structure_view(world["users"]["negotiator"], diagnostic, world["entities"]["b"], "Secret de B", "")
    _login(client, world, "director")
    url = reverse("diagnostics:structure_view", args=[diagnostic.pk, world["entities"]["a"].finess])
    data = with_tokens(client, url, {"needs": "Des gériatres", "constraints": "Budget"})
    assert client.post(url, data).status_code == 302
    assert StructureView.objects.get(legal_entity=world["entities"]["a"]).needs == "Des gériatres"
    page = client.get(diagnostic.get_absolute_url()).content.decode()
    assert "Des gériatres" in page and "Secret de B" not in page
    other = reverse("diagnostics:structure_view", args=[diagnostic.pk, world["entities"]["b"].finess])
    assert client.post(other, {"needs": "x", "constraints": ""}).status_code == 403
    assert StructureView.objects.get(legal_entity=world["entities"]["b"]).needs == "Secret de B"
    _login(client, world, "negotiator")
    assert "Secret de B" in client.get(diagnostic.get_absolute_url()).content.decode()


def test_answers_are_saved_by_the_ars_only(client, world):
    diagnostic = world["diagnostic_idf"]
    question = GridQuestion.objects.get(label="Quels partenaires ?")
    data = {"health_needs": "Population âgée", "prs_orientations": "Gradation", f"q{question.pk}": "La CPTS"}
    _login(client, world, "director")
    assert client.post(reverse("diagnostics:diagnostic_answers", args=[diagnostic.pk]), data).status_code == 403
    _login(client, world, "negotiator")
    url = reverse("diagnostics:diagnostic_answers", args=[diagnostic.pk])
    assert client.post(url, with_tokens(client, url, data)).status_code == 302
    diagnostic.refresh_from_db()
    assert diagnostic.health_needs == "Population âgée" and diagnostic.answers.get(question=question).text == "La CPTS"


# --- Inventory ----------------------------------------------------------------------------------


def test_inventory_lists_known_links_and_qualifies_them(client, world):
    diagnostic = world["diagnostic_idf"]
    rows = services.inventory(diagnostic)
    assert [structure for structure, _item in rows] == [world["ght_idf"]]
    _login(client, world, "negotiator")
    prefix = f"s{world['ght_idf'].pk}"
    url = reverse("diagnostics:inventory", args=[diagnostic.pk])
    data = {f"{prefix}-nature": "contrainte", f"{prefix}-purpose": "strategique", f"{prefix}-theme": "medicales"}
    response = client.post(url, with_tokens(client, url, data))
    assert response.status_code == 302
    item = InventoryItem.objects.get(diagnostic=diagnostic)
    assert (item.nature, item.purpose, item.theme) == ("contrainte", "strategique", "medicales")


def test_a_missing_cooperation_enters_the_register(client, world):
    diagnostic = world["diagnostic_idf"]
    a, b = world["entities"]["a"], world["entities"]["b"]
    _login(client, world, "negotiator")
    response = client.post(
        reverse("diagnostics:inventory_add", args=[diagnostic.pk]),
        {"name": "Convention de biologie", "kind": "convention", "members": [a.pk, b.pk], "purpose": "economique"},
    )
    assert response.status_code == 302
    structure = CooperationStructure.objects.get(name="Convention de biologie")
    assert set(Membership.objects.filter(structure=structure).values_list("legal_entity", flat=True)) == {a.pk, b.pk}
    assert structure.region == diagnostic.region and structure.purpose == "economique"
    assert InventoryItem.objects.filter(diagnostic=diagnostic, structure=structure).exists()
    assert structure in [s for s, _item in services.inventory(diagnostic)]


def test_a_missing_cooperation_with_a_foreign_member_is_refused(world):
    with pytest.raises(ValidationError, match="entités concernées"):
        services.add_missing_cooperation(
            world["users"]["negotiator"], world["diagnostic_idf"], "X", "convention", [world["entities"]["c"]]
        )
    with pytest.raises(ValidationError, match="GHT"):
        services.add_missing_cooperation(
            world["users"]["negotiator"], world["diagnostic_idf"], "X", "ght", [world["entities"]["a"]]
        )
    assert not CooperationStructure.objects.filter(name="X").exists()


# --- Axes ---------------------------------------------------------------------------------------


def _axis(world, title, impact=None, feasibility=None, **fields):
    return services.save_axis(
        world["users"]["negotiator"],
        Axis(diagnostic=world["diagnostic_idf"], title=title, theme="medicales", impact=impact,
             feasibility=feasibility, **fields),
        [],
    )  # fmt: skip


def test_prioritisation_orders_by_impact_times_feasibility(world):
    _axis(world, "Moyen", 3, 3)  # 9
    _axis(world, "Fort mais difficile", 5, 2)  # 10
    _axis(world, "Facile et utile", 4, 4)  # 16
    _axis(world, "Même produit, plus d’impact", 2, 5)  # 10, impact 2
    titles = [axis.title for axis in services.prioritised(world["diagnostic_idf"])]
    assert titles == [
        "Facile et utile", "Fort mais difficile", "Même produit, plus d’impact", "Moyen", "Gériatrie commune",
    ]  # fmt: skip


def test_scores_are_between_1_and_5(world):
    with pytest.raises(ValidationError):
        _axis(world, "Trop", 6, 1)


def test_matrix_places_the_scored_axes(client, world):
    _axis(world, "Facile et utile", 4, 4, quick_win=True)
    _login(client, world, "observer")
    page = client.get(world["diagnostic_idf"].get_absolute_url()).content.decode()
    assert page.count('data-testid="matrix-dot"') == 1 and "1 axe pas encore noté." in page


# --- Axis → commitment ----------------------------------------------------------------------------


def test_an_axis_becomes_a_commitment_of_the_cpom_under_negotiation(client, world):
    axis = _axis(
        world, "Filière AVC", 4, 3, description="Thrombolyse 24 h/24 entre les sites.", pooling="Neurologues",
        impacts_group="Moins de transferts", other_partners="CPTS du Mantois ; SAMU",
    )  # fmt: skip
    axis.partners.set([world["entities"]["a"], world["entities"]["b"]])
    _login(client, world, "negotiator")
    url = reverse("diagnostics:axis_convert", args=[axis.pk])
    assert str(world["cpom_a"].pk) in client.get(url).content.decode()
    response = client.post(url, {"cpom": world["cpom_a"].pk})
    axis.refresh_from_db()
    commitment = axis.commitment
    assert response.status_code == 302 and commitment.cpom == world["cpom_a"]
    assert (commitment.title, commitment.theme, commitment.action_kind) == ("Filière AVC", "medicales", "filieres")
    assert (
        commitment.objective == "Thrombolyse 24 h/24 entre les sites." and commitment.benefits == "Moins de transferts"
    )
    partners = CommitmentPartner.objects.filter(commitment=commitment)
    assert {p.legal_entity_id for p in partners if p.legal_entity_id} == {world["entities"]["b"].pk}
    assert {p.external_name for p in partners if p.external_name} == {"CPTS du Mantois", "SAMU"}
    page = client.get(world["cpom_a"].get_absolute_url()).content.decode()
    assert "Issu de l’axe « Filière AVC » du diagnostic" in page
    assert (
        "Engagement du CPOM 2026–2030 : Filière AVC" in client.get(axis.diagnostic.get_absolute_url()).content.decode()
    )


def test_conversion_is_refused_on_a_signed_cpom(world):
    axis = _axis(world, "Blanchisserie", 3, 3)
    with pytest.raises(FrozenCpomError, match="n’est pas en négociation"):
        services.convert_axis(world["users"]["negotiator"], axis, world["cpom_b_signed"])
    axis.refresh_from_db()
    assert axis.commitment is None and not world["cpom_b_signed"].commitments.filter(title="Blanchisserie").exists()
    assert world["cpom_b_signed"] not in services.convertible_cpoms(axis.diagnostic, world["users"]["negotiator"])


def test_conversion_is_refused_outside_the_diagnostic(world):
    axis = _axis(world, "Hors champ", 3, 3)
    with pytest.raises(ValidationError, match="entité concernée"):
        services.convert_axis(world["users"]["admin"], axis, world["cpom_c"])


# --- Exports ------------------------------------------------------------------------------------


def test_exports_xlsx_and_pdf(client, world):
    from pypdf import PdfReader

    diagnostic = world["diagnostic_idf"]
    services.save_answers(world["users"]["negotiator"], diagnostic, {}, "Vieillissement marqué", "")
    _axis(world, "Équipe d’imagerie", 5, 4)
    _login(client, world, "negotiator")
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("diagnostics:diagnostic_xlsx", args=[diagnostic.pk])).content)
    )
    answers = [row for row in book["Réponses"].iter_rows(values_only=True)]
    assert ("Vision territoriale", "Besoins de santé du territoire", "Vieillissement marqué") in answers
    assert [row[0] for row in book["Axes"].iter_rows(min_row=2, values_only=True)][0] == "Équipe d’imagerie"
    pdf = client.get(reverse("diagnostics:diagnostic_pdf", args=[diagnostic.pk])).content
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert pdf.startswith(b"%PDF") and "Diagnostic Yvelines test" in text and "Vieillissement marqué" in text
    assert "imagerie" in text.replace("\n", " ")


def test_a_departement_diagnostic_concerns_its_directors(client, world):
    diagnostic = services.open_diagnostic(
        world["users"]["negotiator"], "departement", world["entities"]["a"].department
    )
    assert world["entities"]["a"] in diagnostic.entities()
    _login(client, world, "director")
    assert client.get(diagnostic.get_absolute_url()).status_code == 200
    _login(client, world, "director_other")
    assert client.get(diagnostic.get_absolute_url()).status_code == 404


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_diagnostic_page_queries_do_not_grow(client, world):
    from tests.cooperations.factories import GhtFactory, LegalEntityFactory, MembershipFactory, department

    diagnostic = world["diagnostic_idf"]
    _login(client, world, "negotiator")
    before = _queries(client, diagnostic.get_absolute_url())
    for n in range(8):
        entity = LegalEntityFactory(department=department("78"))
        MembershipFactory(structure=world["ght_idf"], legal_entity=entity)
        structure = GhtFactory(region=diagnostic.region, name=f"Convention {n}", kind="convention")
        MembershipFactory(structure=structure, legal_entity=entity)
        services.qualify(world["users"]["negotiator"], diagnostic, structure, "volontaire")
        services.save_structure_view(world["users"]["negotiator"], diagnostic, entity, "Besoin", "")
        axis = _axis(world, f"Axe {n}", n % 5 + 1, 3)
        axis.partners.set([entity, world["entities"]["a"]])
    assert _queries(client, diagnostic.get_absolute_url()) == before


def test_admins_edit_the_grid(client, world):
    _login(client, world, "admin")
    question = GridQuestion.objects.get(label="Quels partenaires ?")
    url = reverse("admin:diagnostics_gridquestion_change", args=[question.pk])
    assert client.get(reverse("admin:diagnostics_gridquestion_changelist")).status_code == 200
    data = {
        "section": "questions",
        "label": "Quels partenaires, et pour quoi ?",
        "guidance": "",
        "position": 6,
        "active": "on",
    }
    assert client.post(url, data).status_code == 302
    assert GridQuestion.objects.get(pk=question.pk).label == "Quels partenaires, et pour quoi ?"
    _login(client, world, "negotiator")
    assert client.get(reverse("admin:diagnostics_gridquestion_changelist")).status_code == 302


def test_a_director_sees_only_what_he_may_see_elsewhere(client, world):
    from tests.cooperations.factories import MembershipFactory, StructureFactory

    diagnostic = world["diagnostic_idf"]
    secret = StructureFactory(region=diagnostic.region, name="GCS secret de Bravo", kind="gcs_moyens")
    MembershipFactory(structure=secret, legal_entity=world["entities"]["b"])
    axis = _axis(world, "Projet interne", 3, 3)
    services.convert_axis(world["users"]["negotiator"], axis, world["cpom_a_draft"])  # never shared with A
    _login(client, world, "director")
    page = client.get(diagnostic.get_absolute_url()).content.decode()
    assert "GCS secret de Bravo" not in page and "2031–2035" not in page
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("diagnostics:diagnostic_xlsx", args=[diagnostic.pk])).content)
    )
    assert "2031" not in str([row for row in book["Axes"].iter_rows(values_only=True)])
    _login(client, world, "negotiator")
    page = client.get(diagnostic.get_absolute_url()).content.decode()
    assert "GCS secret de Bravo" in page and "2031–2035" in page


def test_an_axis_converts_once(world):
    axis = _axis(world, "Deux clics", 3, 3)
    services.convert_axis(world["users"]["negotiator"], axis, world["cpom_a"])
    with pytest.raises(ValidationError, match="déjà"):
        services.convert_axis(world["users"]["negotiator"], axis, world["cpom_a"])
    assert world["cpom_a"].commitments.filter(title="Deux clics").count() == 1


def test_xlsx_neutralises_formulas(client, world):
    diagnostic = world["diagnostic_idf"]
    services.save_answers(world["users"]["negotiator"], diagnostic, {}, '=HYPERLINK("http://x","clic")', "")
    _login(client, world, "negotiator")
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("diagnostics:diagnostic_xlsx", args=[diagnostic.pk])).content)
    )
    cells = [cell for row in book["Réponses"].iter_rows() for cell in row if "HYPERLINK" in str(cell.value)]
    assert cells and all(cell.data_type != "f" for cell in cells)
