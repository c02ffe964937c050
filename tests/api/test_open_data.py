"""The open data of the Volet 3: what is published and what never is, the
files, their TableSchema and the example checked by frictionless, the page
without login, and the CPOMs an ARS withholds."""

import csv
import datetime
import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone
from frictionless import Resource, Schema

from cpom import services as cpom_services
from cpom.models import CommitmentPartner
from indicators import services as follow_up
from opendata import publication, services
from opendata.models import Withholding
from tests.cooperations.factories import region
from tests.cpom.factories import CommitmentFactory, indicator_with_targets

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("follow_up_scenario")]

TODAY = datetime.date(2026, 3, 1)


@pytest.fixture
def published(world):
    """A signed CPOM of entity B with a register partner, a cooperation
    structure and a partner outside the register named after a person."""
    nego = world["users"]["negotiator"]
    cpom = cpom_services.create_cpom(nego, world["entities"]["b"], 2025, 2026, reference="CPOM-TEST-B")
    commitment = CommitmentFactory(cpom=cpom, title="Consultations avancées", vehicle=world["ght_idf"])
    indicator_with_targets(commitment, label="Consultations avancées réalisées", values={2025: 5, 2026: 8})
    CommitmentPartner.objects.create(commitment=commitment, legal_entity=world["entities"]["a"])
    CommitmentPartner.objects.create(commitment=commitment, structure=world["ght_idf"])
    CommitmentPartner.objects.create(
        commitment=commitment, external_name="Docteur Jeanne Martin", external_kind="ville"
    )
    cpom_services.mark_ready_to_sign(cpom, nego)
    cpom_services.sign(cpom, nego, datetime.date(2025, 1, 20))
    return cpom


def rows_of(code, year):
    return publication.rows(region(code), year, TODAY)


def test_one_row_per_indicator_of_the_signed_cpoms_in_force(world, published):
    rows = rows_of("11", 2026)
    mine = [row for row in rows if row["identifiant_cpom"] == published.pk]
    assert len(mine) == 1
    row = mine[0]
    assert row["finess_ej"] == world["entities"]["b"].finess
    assert (row["cible_annee"], row["cible_finale"], row["annee"]) == (8, 8, 2026)
    assert row["support_juridique_forme"] == "ght"
    assert row["partenaires_finess"] == world["entities"]["a"].finess
    assert row["partenaires_structures"] == f"ght:{world['ght_idf'].name}"
    assert row["partenaires_hors_repertoire"] == "ville"
    assert row["date_extraction"] == "2026-03-01"
    assert row["numero_avenant"] == 0
    # Not signed, or another région: absent.
    ids = {r["identifiant_cpom"] for r in rows}
    assert world["cpom_a"].pk not in ids and world["cpom_c"].pk not in ids
    assert world["cpom_b_signed"].pk in ids
    assert {r["code_region"] for r in rows} == {"11"}


def test_only_validated_values_are_published(world):
    declaration = world["declaration_a"]
    [row] = [r for r in rows_of("11", 2025) if r["identifiant_indicateur"] == declaration.indicator_id]
    assert (row["valeur_validee"], row["date_validation"]) == (None, None)  # submitted, not validated yet
    follow_up.validate_declaration(world["users"]["negotiator"], declaration)
    [row] = [r for r in rows_of("11", 2025) if r["identifiant_indicateur"] == declaration.indicator_id]
    assert row["valeur_validee"] == 11
    assert row["date_validation"] == timezone.localdate().isoformat()


def test_a_cpom_under_amendment_waits_for_its_signature(world):
    cpom = world["cpom_b_signed"]
    cpom_services.open_amendment(cpom, world["users"]["negotiator"], "Nouvel engagement")
    assert cpom.pk not in {r["identifiant_cpom"] for r in rows_of("11", 2026)}


def test_an_ars_withholds_a_cpom_with_its_reason(world, published):
    users = world["users"]
    with pytest.raises(PermissionDenied):
        services.withhold(users["negotiator_other"], published, "Autre région")
    with pytest.raises(PermissionDenied):
        services.withhold(users["observer"], published, "Lecture seule")
    with pytest.raises(ValidationError, match="motif"):
        services.withhold(users["negotiator"], published, "  ")
    withholding = services.withhold(users["negotiator"], published, "Contentieux en cours")
    with pytest.raises(ValidationError, match="déjà retenu"):
        services.withhold(users["admin"], published, "Encore")
    assert published.pk not in {r["identifiant_cpom"] for r in rows_of("11", 2026)}
    services.release(users["admin"], withholding)
    withholding.refresh_from_db()
    assert withholding.released_by == users["admin"] and withholding.reason == "Contentieux en cours"
    assert published.pk in {r["identifiant_cpom"] for r in rows_of("11", 2026)}


def test_withheld_cpoms_are_shown_to_admins_with_their_reason(client, world, published):
    services.withhold(world["users"]["negotiator"], published, "Contentieux en cours")
    client.force_login(world["users"]["admin"])
    page = client.get("/donnees-ouvertes/cpom-retenus/").content.decode()
    assert "Contentieux en cours" in page and world["entities"]["b"].name in page
    client.force_login(world["users"]["negotiator_other"])
    assert "Contentieux en cours" not in client.get("/donnees-ouvertes/cpom-retenus/").content.decode()
    client.force_login(world["users"]["director"])
    assert client.get("/donnees-ouvertes/cpom-retenus/").status_code == 403


def test_the_withholding_page_withholds_and_publishes_again(client, world, published):
    client.force_login(world["users"]["negotiator"])
    refused = client.post("/donnees-ouvertes/cpom-retenus/", {"cpom": published.pk, "reason": ""})
    assert "Indiquez le motif" in refused.content.decode()
    other = client.post("/donnees-ouvertes/cpom-retenus/", {"cpom": world["cpom_c_old"].pk, "reason": "x"})
    assert other.status_code == 200 and not Withholding.objects.exists()
    response = client.post("/donnees-ouvertes/cpom-retenus/", {"cpom": published.pk, "reason": "Données à revoir"})
    assert response.status_code == 302
    withholding = Withholding.objects.get()
    assert (withholding.created_by, withholding.is_active) == (world["users"]["negotiator"], True)
    client.force_login(world["users"]["observer"])
    assert client.post(f"/donnees-ouvertes/cpom-retenus/{withholding.pk}/publier/").status_code == 403
    client.force_login(world["users"]["negotiator"])
    assert client.post(f"/donnees-ouvertes/cpom-retenus/{withholding.pk}/publier/").status_code == 302
    withholding.refresh_from_db()
    assert not withholding.is_active


def test_what_is_never_published(world, published, tmp_path):
    services_comment = "Selon les tableaux de service"  # the declaration's comment (build_follow_up)
    note = "À recouper avec le bilan social"  # the ARS's internal note
    follow_up.validate_declaration(world["users"]["negotiator"], world["declaration_a"])
    publication.write_files(tmp_path)
    content = "".join(path.read_text() for path in tmp_path.iterdir())
    for secret in (services_comment, note, "Docteur Jeanne Martin", "nego_idf", "dir_a", "Négociateur"):
        assert secret not in content
    assert "Consultations avancées réalisées" in content


def _schema():
    return Schema.from_descriptor(publication.table_schema())


def _validate(directory, name):
    return Resource(path=name, basepath=str(directory), schema=_schema()).validate()


def test_every_file_and_the_schema_pass_frictionless(world, published, tmp_path):
    follow_up.validate_declaration(world["users"]["negotiator"], world["declaration_a"])
    written = publication.write_files(tmp_path)
    names = sorted(path.name for path in written)
    assert "volet3-engagements-11-2025.csv" in names and "volet3-engagements-32-2025.json" in names
    assert Schema.validate_descriptor(json.loads((tmp_path / "schema.json").read_text())).valid
    for name in [*names, "exemple-valide.csv"]:
        report = _validate(tmp_path, name)
        assert report.valid, (name, report.flatten(["type", "message"])[:5])
    # CSV and JSON hold the same rows.
    with open(tmp_path / "volet3-engagements-11-2025.csv", newline="", encoding="utf-8") as stream:
        from_csv = list(csv.DictReader(stream))
    from_json = json.loads((tmp_path / "volet3-engagements-11-2025.json").read_text())
    assert [row["identifiant_indicateur"] for row in from_csv] == [
        str(row["identifiant_indicateur"]) for row in from_json
    ]
    assert any(row["valeur_validee"] == 11 for row in from_json)


def test_frictionless_catches_a_wrong_file(world, tmp_path):
    publication.write_files(tmp_path)
    path = tmp_path / "volet3-engagements-11-2025.csv"
    text = path.read_text().replace(world["entities"]["a"].finess, "12345", 1)
    path.write_text(text)
    report = _validate(tmp_path, path.name)
    assert not report.valid
    assert "pattern" in str(report.flatten(["message"]))


def test_a_formula_in_free_text_is_neutralised_in_csv_only(world, tmp_path):
    cpom = world["cpom_a_old"]
    from cpom.models import Commitment

    Commitment.objects.filter(cpom=cpom).update(title='=HYPERLINK("http://x")')
    publication.write_files(tmp_path)
    assert "'=HYPERLINK" in (tmp_path / "volet3-engagements-11-2025.csv").read_text()
    assert any(
        row["intitule_engagement"].startswith("=HYPERLINK")
        for row in json.loads((tmp_path / "volet3-engagements-11-2025.json").read_text())
    )
    assert _validate(tmp_path, "volet3-engagements-11-2025.csv").valid


def test_files_no_longer_published_are_removed(world, tmp_path):
    publication.write_files(tmp_path)
    assert (tmp_path / "volet3-engagements-32-2025.csv").exists()
    services.withhold(world["users"]["negotiator_other"], world["cpom_c_old"], "Retiré")
    publication.write_files(tmp_path)
    assert not (tmp_path / "volet3-engagements-32-2025.csv").exists()
    assert (tmp_path / "volet3-engagements-11-2025.csv").exists()


def test_the_command_writes_the_files_for_data_gouv(world, tmp_path):
    out = io.StringIO()
    call_command("export_open_data", "-o", str(tmp_path / "publication"), stdout=out)
    directory = tmp_path / "publication"
    assert (directory / "schema.json").exists() and (directory / "exemple-valide.csv").exists()
    assert "volet3-engagements-11-2025.csv" in out.getvalue()
    assert _validate(directory, "volet3-engagements-11-2025.json").valid


def test_the_page_lists_the_files_with_size_and_date_without_login(client, world, tmp_path, settings):
    settings.OPEN_DATA_ROOT = tmp_path
    publication.write_files(tmp_path)
    page = client.get("/donnees-ouvertes/")
    assert page.status_code == 200
    text = page.content.decode()
    path = tmp_path / "volet3-engagements-11-2025.csv"
    assert "volet3-engagements-11-2025.csv" in text
    assert "Île-de-France" in text and timezone.localdate().strftime("%d/%m/%Y") in text
    assert "octets" in text or "Ko" in text
    assert "Les justificatifs" in text and "Licence Ouverte" in text
    download = client.get("/donnees-ouvertes/fichiers/volet3-engagements-11-2025.csv")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == path.read_bytes()
    for name in ("schema.json", "../schema.json", "volet3-engagements-11-2025.txt", "volet3-engagements-11-1999.csv"):
        assert client.get(f"/donnees-ouvertes/fichiers/{name}").status_code == 404


def test_the_schema_follows_schema_data_gouv_conventions(client, world):
    schema = client.get("/donnees-ouvertes/schema.json").json()
    for key in ("name", "title", "description", "version", "licenses", "contributors", "fields", "example"):
        assert schema[key], key
    assert schema["licenses"][0]["title"] == "Licence Ouverte / Open Licence version 2.0"
    finess = next(f for f in schema["fields"] if f["name"] == "finess_ej")
    assert finess["constraints"]["pattern"] == publication.FINESS_PATTERN
    assert all(f["title"] and f["description"] and "example" in f for f in schema["fields"])
    assert "Les notes internes" in schema["description"]


def test_the_example_file_is_valid(client, world, tmp_path):
    response = client.get("/donnees-ouvertes/exemple-valide.csv")
    assert response.status_code == 200
    (tmp_path / "exemple.csv").write_bytes(response.content)
    assert _validate(tmp_path, "exemple.csv").valid
