"""Technical sheets, calculation parameters, the remembered vehicle-rule
confirmation, the confirmation dialogs of the freezing steps, and the rule
that a contract never prints a provisional entity name."""

import datetime
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from cooperations.models import NameSource
from cooperations.services import set_legal_name
from cpom import services
from cpom.annex import annex_context, annex_filename, render_pdf
from cpom.indicator_forms import IndicatorForm
from cpom.library import SHEETS, TEMPLATES
from cpom.models import Cpom, CpomStatus, FrozenCpomError, IndicatorTemplate
from tests.accounts.factories import UserFactory
from tests.cooperations.factories import LegalEntityFactory
from tests.cpom.factories import CommitmentFactory, CpomFactory, commitment_post_data, indicator_with_targets

pytestmark = pytest.mark.django_db


@pytest.fixture
def nego():
    return UserFactory(negotiator=True)


def test_every_library_template_has_a_full_sheet():
    assert set(SHEETS) == {row[0] for row in TEMPLATES}
    for template in IndicatorTemplate.objects.all():
        assert template.definition and template.numerator and template.baseline_origin and template.evidence
        labels = dict(template.sheet_rows())
        assert labels["Fréquence"] and labels["Source"] and labels["Unité"]
    leakage = IndicatorTemplate.objects.get(label="Taux de fuite des séjours du territoire")
    assert "résidant sur le territoire" in leakage.denominator
    assert "Calculée par l’application" in dict(leakage.sheet_rows())["Source"]


def test_prefill_carries_the_sheet_and_the_sheet_is_frozen_with_the_signed_cpom(nego):
    template = IndicatorTemplate.objects.get(label="Nombre de vacations de temps médical partagé")
    assert template.as_prefill()["evidence"] == template.evidence
    cpom = CpomFactory(created_by=nego, commitments=1)
    indicator = cpom.commitments.get().indicators.get()
    indicator.definition = "Spécifique"
    indicator.save()
    services.mark_ready_to_sign(cpom, nego)
    indicator.definition = "Changée après coup"
    with pytest.raises(FrozenCpomError):
        indicator.save()


def _row(years, **data):
    base = {"label": "Coût", "kind": "automatisable", "value_type": "nombre", "direction": "baisse"}
    return IndicatorForm(data={**base, **data}, years=years, templates=[("", "—")])


def test_only_the_chosen_calculations_parameters_are_kept():
    form = _row([2026], computation="cout_fonctions_support", support_function="blanchisserie",
                territory_kind="departement", count_kind="engagements_realises")  # fmt: skip
    assert form.is_valid(), form.errors
    data = form.cleaned_data
    assert data["support_function"] == "blanchisserie"
    assert data["territory_kind"] == "" and data["count_kind"] == ""
    # Each parameter's column says its calculation, for the page's script (static/js/commitment-form.js).
    from crispy_forms.utils import render_crispy_form

    html = render_crispy_form(form)
    assert 'data-show-when-computation="cout_fonctions_support"' in html
    assert 'data-show-when-computation="taux_de_fuite"' in html and "<script" not in html


def test_the_parameter_shows_on_the_cpom_page_and_in_the_annex(client, nego):
    cpom = CpomFactory(created_by=nego)
    commitment = CommitmentFactory(cpom=cpom)
    indicator_with_targets(commitment, computed=True, computation="cout_fonctions_support", support_function="biologie")
    client.force_login(nego)
    page = client.get(cpom.get_absolute_url()).content.decode()
    assert "Fonction support : Biologie" in page
    assert reverse("cpom:indicator_sheet", args=[commitment.indicators.get().pk]) in page
    context = annex_context(cpom, cpom.versions.get())
    assert context["commitments"][0]["indicators"][0]["parameters"] == "Fonction support : Biologie"


def test_the_annex_prints_the_sheets_as_an_appendix(nego):
    cpom = CpomFactory(created_by=nego)
    commitment = CommitmentFactory(cpom=cpom, title="Blanchisserie")
    indicator_with_targets(commitment, label="Vacations", definition="Demi-journées hors du site d’affectation",
                           evidence="Tableaux de service signés")  # fmt: skip
    context = annex_context(cpom, cpom.versions.get())
    (sheet,) = context["sheets"]
    assert sheet["number"] == "1.1" and sheet["commitment"] == "Blanchisserie"
    reader = PdfReader(io.BytesIO(render_pdf(context)))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert "Fiches techniques des indicateurs" in text and "Fiche 1.1 — Vacations" in text
    assert "Tableaux de service" in text


def test_the_vehicle_rule_is_asked_once_then_again_only_if_the_objective_changes(client, nego):
    cpom = CpomFactory(created_by=nego)
    commitment = CommitmentFactory(cpom=cpom, objective="Structurer la filière.")
    client.force_login(nego)
    url = reverse("cpom:commitment_update", args=[commitment.pk])
    data = commitment_post_data(commitment, objective="Créer un GCS d’imagerie")
    assert "n’est pas un objectif en soi" in client.post(url, data).content.decode()
    assert client.post(url, {**data, "confirm_vehicle_rule": "on"}).status_code == 302
    commitment.refresh_from_db()
    assert commitment.vehicle_rule_confirmed_by == nego and commitment.vehicle_rule_confirmed_at
    # A later edit of something else: not asked again.
    commitment_data = commitment_post_data(commitment, benefits="Moins de transferts")
    assert client.post(url, commitment_data).status_code == 302
    assert "Objectif maintenu" in client.get(url).content.decode()
    # The objective changes: asked again.
    changed = commitment_post_data(commitment, objective="Créer un GCS de biologie")
    assert "n’est pas un objectif en soi" in client.post(url, changed).content.decode()


def test_freezing_steps_ask_in_a_dialog_and_are_refused_unconfirmed(client, nego):
    cpom = CpomFactory(created_by=nego, commitments=1)
    client.force_login(nego)
    page = client.get(cpom.get_absolute_url()).content.decode()
    assert 'aria-controls="modal-ready"' in page and 'data-fr-opened="false"' in page
    assert '<dialog id="modal-ready" class="fr-modal"' in page and 'data-testid="modal-ready-frozen"' in page
    url = reverse("cpom:cpom_transition", args=[cpom.pk])
    answer = client.post(url, {"action": "ready"}, follow=True).content.decode()
    assert "se confirme dans la fenêtre" in answer
    assert Cpom.objects.get(pk=cpom.pk).status == CpomStatus.PREPARATION
    client.post(url, {"action": "ready", "confirmed": "on"})
    assert Cpom.objects.get(pk=cpom.pk).status == CpomStatus.TO_SIGN
    page = client.get(cpom.get_absolute_url()).content.decode()
    assert '<dialog id="modal-sign"' in page and "Confirmer la signature" in page
    client.post(url, {"action": "sign", "signed_on": "2026-01-10"})
    assert Cpom.objects.get(pk=cpom.pk).status == CpomStatus.TO_SIGN
    client.post(url, {"action": "sign", "signed_on": "2026-01-10", "confirmed": "on"})
    assert Cpom.objects.get(pk=cpom.pk).status == CpomStatus.SIGNED


def test_ready_to_sign_is_refused_while_the_name_is_provisional(client, nego):
    entity = LegalEntityFactory(name="Entité juridique 759999999 (2 sites, dont CH X)", name_is_provisional=True,
                                name_source=NameSource.SITES)  # fmt: skip
    cpom = CpomFactory(legal_entity=entity, created_by=nego, commitments=1)
    with pytest.raises(services.TransitionError) as error:
        services.mark_ready_to_sign(cpom, nego)
    assert "raison sociale" in error.value.messages[0] and "Établir la raison sociale" in error.value.messages[0]
    client.force_login(nego)
    page = client.post(reverse("cpom:cpom_transition", args=[cpom.pk]), {"action": "ready", "confirmed": "on"},
                       follow=True).content.decode()  # fmt: skip
    assert "n’est pas établie" in page and Cpom.objects.get(pk=cpom.pk).status == CpomStatus.PREPARATION
    # The draft annex never prints the placeholder: neither the cover, the signature block nor the file name.
    version = cpom.versions.get()
    reader = PdfReader(io.BytesIO(render_pdf(annex_context(cpom, version))))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert "2 sites, dont" not in text and "FINESS EJ " + entity.finess in text
    assert annex_filename(cpom, version) == f"annexe-volet3-{entity.finess}-2026-2030-contrat-initial.pdf"
    set_legal_name(entity, nego, "Centre hospitalier de Test", "Statuts du 3 mars 2020")
    services.mark_ready_to_sign(Cpom.objects.get(pk=cpom.pk), nego)
    cpom.refresh_from_db()
    assert cpom.status == CpomStatus.TO_SIGN
    assert "centre-hospitalier-de-test" in annex_filename(cpom, version)
    services.sign(cpom, nego, datetime.date(2026, 1, 5))
