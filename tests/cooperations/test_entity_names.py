"""The real names of legal entities: the FINESS+ flux names them, the SAE
register only their sites (provisional), and the région's ARS sets or
corrects a name with its source, audited; the flux then keeps it."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import Role
from cooperations.importers.finessplus import run_finessplus_import
from cooperations.models import LegalEntity, NameSource
from cooperations.services import set_legal_name
from tests.accounts.factories import UserFactory
from tests.cooperations.factories import LegalEntityFactory, department, region
from tests.cooperations.test_finessplus import E1, entity, flux, write_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def provisional():
    return LegalEntityFactory(
        name="Entité juridique 759999999 (2 sites, dont CH X)", name_is_provisional=True, name_source=NameSource.SITES
    )


def test_the_negotiator_of_the_region_sets_the_name_with_its_source_and_it_is_audited(provisional):
    nego = UserFactory(negotiator=True)
    set_legal_name(provisional, nego, "  Centre   hospitalier de X ", "Statuts du 3 mars 2020")
    provisional.refresh_from_db()
    assert provisional.name == "Centre hospitalier de X" and not provisional.name_is_provisional
    assert provisional.name_source == NameSource.ARS and provisional.name_source_detail == "Statuts du 3 mars 2020"
    assert provisional.name_set_by == nego and provisional.name_set_at
    last = provisional.history.first()
    assert last.history_user == nego and last.name == "Centre hospitalier de X"
    assert provisional.legal_name == "Centre hospitalier de X"


def test_nobody_else_sets_a_name_and_a_source_is_required(provisional):
    for user in (UserFactory(role=Role.OBSERVER), UserFactory(negotiator=True, region=region("32")),
                 UserFactory(director=True, legal_entity=provisional)):  # fmt: skip
        with pytest.raises(PermissionDenied):
            set_legal_name(provisional, user, "CH X", "Statuts")
    with pytest.raises(ValidationError):
        set_legal_name(provisional, UserFactory(negotiator=True), "CH X", "  ")
    with pytest.raises(ValidationError):
        set_legal_name(provisional, UserFactory(admin=True), "", "Statuts")
    provisional.refresh_from_db()
    assert provisional.name_is_provisional


def test_the_page_sets_the_name_and_the_entity_page_shows_its_source(client, provisional):
    nego = UserFactory(negotiator=True)
    client.force_login(nego)
    url = reverse("cooperations:legal_entity_name", args=[provisional.finess])
    page = client.get(url).content.decode()
    assert "Le nom actuel est provisoire" in page
    refused = client.post(url, {"name": "CH X", "justification": ""}).content.decode()
    assert "rien n’a été enregistré" in refused
    assert LegalEntity.objects.get(pk=provisional.pk).name_is_provisional
    assert client.post(url, {"name": "CH de X", "justification": "Extrait Kbis"}).status_code == 302
    page = client.get(provisional.get_absolute_url()).content.decode()
    assert "CH de X" in page and "saisi par l’ARS" in page and "Extrait Kbis" in page
    assert "Corriger la raison sociale" in page
    client.force_login(UserFactory(role=Role.OBSERVER))
    assert "Corriger la raison sociale" not in client.get(provisional.get_absolute_url()).content.decode()


def test_finessplus_names_the_entity_and_keeps_a_name_the_ars_set(tmp_path):
    department("78")
    run_finessplus_import(write_json(tmp_path, flux([entity("1", E1, name="CH DU FLUX")])))
    named = LegalEntity.objects.get(finess=E1)
    assert named.name == "CH DU FLUX" and named.name_source == NameSource.FINESS_PLUS and named.legal_name
    set_legal_name(named, UserFactory(admin=True), "Centre hospitalier du flux", "Délibération du 2 mai 2026")
    report = run_finessplus_import(write_json(tmp_path, flux([entity("1", E1, name="CH DU FLUX")]), name="b.json"))
    named.refresh_from_db()
    assert named.name == "Centre hospitalier du flux" and named.name_source == NameSource.ARS
    assert any("saisie par l’ARS conservée" in str(note) for note in report.notes)
