import copy
import gzip
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from config.celery import app as celery_app
from cooperations.importers.base import ImportRefusedError, run_import
from cooperations.importers.finessplus import run_finessplus_import
from cooperations.importers.ght import GHT_LAYOUTS
from cooperations.models import (
    CompositionSource,
    CooperationStructure,
    Establishment,
    ImportRun,
    LegalEntity,
    MemberRole,
    Membership,
    RegisterEngagement,
    StructureKind,
)
from tests.cooperations.factories import GhtFactory, LegalEntityFactory, MembershipFactory, finess_with_key
from tooling.management.commands.bench_finessplus import write_generated_file

SAMPLE = Path(settings.BASE_DIR) / "data" / "reference" / "finessplus_structures_extrait_20260309.json"
GHT_LIST = Path(settings.BASE_DIR) / "data" / "reference" / "sae2023_ght.csv"


def write_json(tmp_path, data, name="flux.json", gz=False):
    path = tmp_path / name
    raw = json.dumps(data).encode()
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


def entity(pm_id, finess, name="CH TEST", status="13", sites=(), **extra):
    return {
        "informationsGeneralesPMEJ": {"pmSmsseId": pm_id, "numFinessPm": finess, "denominationPm": name, "statutJuridique": status},
        "adresse": [{"cogCommune": "78361"}],
        "engagement": [],
        "ege": list(sites),
        "etatObjet": "A",
        **extra,
    }  # fmt: skip


def site(ege_id, finess, name="SITE TEST", category="355"):
    return {
        "informationsGeneralesEGE": {"egeId": ege_id, "numFinessEge": finess, "nomEgeLong": name},
        "categorieentiteGeographiqueExercice": category,
        "adresse": [{"cogCommune": "78361", "codePostal": "78200", "ligneAcheminement": "MANTES LA JOLIE"}],
        "engagement": [{"engagementId": f"E{ege_id}", "typeEngagement": "CONV", "sousTypeEngagement": "CPM",
                        "dateEffetEngagement": "2024-01-01"}],
        "etatObjet": "A",
    }  # fmt: skip


def flux(pmej=(), gcc=(), gco=()):
    return {
        "schemaVersion": "v1.0.0",
        "generatedAt": "2026-11-01T00:00:00Z",
        "gcc": list(gcc),
        "gco": list(gco),
        "pmej": list(pmej),
    }


E1, E2 = finess_with_key("78990001"), finess_with_key("78990002")
S1, S2 = finess_with_key("78980001"), finess_with_key("78980002")


@pytest.mark.django_db
def test_real_sample_imports_and_is_idempotent():
    run_import(GHT_LIST, GHT_LAYOUTS)
    report = run_finessplus_import(SAMPLE)
    ghts = CooperationStructure.objects.filter(kind=StructureKind.GHT)
    assert ghts.count() == 135  # the 5 GHT joined to the SAE codes, none created
    joined = ghts.exclude(finessplus_id="")
    assert sorted(joined.values_list("code", flat=True)) == ["11101", "11102", "11104", "11109", "27103"]
    assert CooperationStructure.objects.filter(finessplus_id__startswith="gco:").count() == 14
    assert CooperationStructure.objects.filter(kind=StructureKind.CPTS).count() == 6
    assert CooperationStructure.objects.filter(kind=StructureKind.GCS_MEANS).count() == 8
    convert = LegalEntity.objects.get(finess="010000156")
    assert convert.name == "CLINIQUE CONVERT" and not convert.name_is_provisional and convert.closed_on is None
    fontelune = LegalEntity.objects.get(finess="010000339")
    assert fontelune.closed_on.isoformat() == "2026-03-02"  # closed, not deleted
    assert fontelune.legal_status.label == "Etablissement Social et Médico-Social Communal"
    assert fontelune.establishments.get(finess="010780906").category.label.startswith("Etablissement d'hébergement")
    cpom = RegisterEngagement.objects.get(register_id="879579")
    assert cpom.is_cpom and cpom.establishment.finess == "010006401" and cpom.legal_entity == fontelune
    # The sample's GHT members are not in the sample: said, composition left alone.
    assert report.rejected == 5
    assert all("introuvable" in reason for _where, reason in report.errors)
    assert report.errors[0][0] == "gcc[0]"
    again = run_finessplus_import(SAMPLE)
    changes = {key: n for key, n in again.counts.items() if key[1] in ("created", "updated", "closed", "removed") and n}
    assert changes == {}


@pytest.mark.django_db
def test_real_composition_replaces_the_reconstructed_one(tmp_path):
    ght = GhtFactory(code="11103", short_code="IDF-03")
    stale = LegalEntityFactory()
    MembershipFactory(
        structure=ght, legal_entity=stale, role=MemberRole.SUPPORT, source=CompositionSource.RECONSTRUCTED
    )
    entered = LegalEntityFactory()
    MembershipFactory(structure=ght, legal_entity=entered, role=MemberRole.PARTNER, source=CompositionSource.ENTERED)
    data = flux(
        pmej=[entity("P1", E1, "CH UN", sites=[site("G1", S1)]), entity("P2", E2, "CH DEUX", sites=[site("G2", S2)])],
        gcc=[{"gccId": "9", "nomGcc": "Yvelines Nord", "typeGcc": "001", "gccIdentifiantExterne": "11103", "etatObjet": "A",
              "pmejDuGcc": [{"pm_smsseId": "P1", "typeRoleEntiteGroupe": "S"}, {"pmSmsseId": "P2", "typeRoleEntiteGroupe": "M"}]}],
    )  # fmt: skip
    report = run_finessplus_import(write_json(tmp_path, data, gz=True))
    assert report.rejected == 0
    ght.refresh_from_db()
    assert ght.composition_source == CompositionSource.FINESSPLUS and ght.name == "Yvelines Nord"
    roles = {m.legal_entity.finess: (m.role, m.source) for m in ght.memberships.select_related("legal_entity")}
    assert roles[E1] == (MemberRole.SUPPORT, CompositionSource.FINESSPLUS)
    assert roles[E2] == (MemberRole.MEMBER, CompositionSource.FINESSPLUS)
    assert stale.finess not in roles  # reconstructed member gone
    assert roles[entered.finess] == (MemberRole.PARTNER, CompositionSource.ENTERED)  # entered by hand: kept
    assert any("elle remplace la composition reconstituée" in note for note in report.notes)
    assert Establishment.objects.get(finess=S1).legal_entity.finess == E1


@pytest.mark.django_db
def test_schema_key_variants_are_accepted(tmp_path):
    variant = entity("P1", E1, sites=[site("G1", S1)])
    variant["informationsGeneralesPmej"] = variant.pop("informationsGeneralesPMEJ")
    variant["informationsGeneralesPmej"]["pm_smsseId"] = variant["informationsGeneralesPmej"].pop("pmSmsseId")
    variant["informationsGeneralesPmej"]["statutJuridique"] = {
        "code": "13",
        "system": "https://mos.esante.gouv.fr/NOS/tre_r400",
    }
    variant["ege"][0]["categorieEntiteGeographiqueExercice"] = {"code": "355"}
    report = run_finessplus_import(write_json(tmp_path, flux(pmej=[variant])))
    assert report.rejected == 0
    imported = LegalEntity.objects.get(finess=E1)
    assert imported.finessplus_id == "P1" and imported.legal_status_id == "13"
    assert Establishment.objects.get(finess=S1).category_id == "355"


@pytest.mark.django_db
def test_truncated_json_is_refused_and_saves_nothing(tmp_path):
    path = write_json(tmp_path, flux(pmej=[entity("P1", E1, sites=[site("G1", S1)]) for _ in range(1)]))
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(ImportRefusedError, match="tronqué ou mal formé.*Rien n’a été enregistré"):
        run_finessplus_import(path)
    assert not LegalEntity.objects.filter(finess=E1).exists()
    not_json = tmp_path / "x.json"
    not_json.write_text("[1, 2, 3]")
    with pytest.raises(ImportRefusedError, match="objet JSON FINESS"):
        run_finessplus_import(not_json)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mutate", "where", "fragment"),
    [
        (lambda e: e["informationsGeneralesPMEJ"].update(numFinessPm=780110011), "pmej[0].informationsGeneralesPMEJ.numFinessPm", "chaîne de caractères attendue"),
        (lambda e: e.update(ege="pas une liste"), "pmej[0].ege", "liste attendue"),
        (lambda e: e["informationsGeneralesPMEJ"].update(statutJuridique="XX"), "pmej[0].informationsGeneralesPMEJ.statutJuridique", "inconnu de la table TRE-R400"),
        (lambda e: e["ege"][0].update(categorieentiteGeographiqueExercice="9999"), "pmej[0].ege[0].categorieentiteGeographiqueExercice", "inconnue de la table TRE-R397"),
        (lambda e: e["ege"][0]["informationsGeneralesEGE"].update(numFinessEge="780000288"), "pmej[0].ege[0].informationsGeneralesEGE.numFinessEge", "clé de contrôle"),
        (lambda e: e["ege"][0]["engagement"][0].update(dateEffetEngagement="2024-13-45"), "pmej[0].ege[0].engagement[0].dateEffetEngagement", "invalide"),
    ],
)  # fmt: skip
def test_faulty_element_is_reported_with_its_path_and_nothing_of_it_is_saved(tmp_path, mutate, where, fragment):
    bad = entity("P1", E1, sites=[site("G1", S1)])
    mutate(bad)
    good = entity("P2", E2, sites=[site("G2", S2)])
    report = run_finessplus_import(write_json(tmp_path, flux(pmej=[bad, good])))
    assert report.rejected == 1
    assert report.errors[0][0] == where and fragment in report.errors[0][1]
    assert not LegalEntity.objects.filter(finess=E1).exists()
    assert not Establishment.objects.filter(finess=S1).exists()
    assert not RegisterEngagement.objects.filter(register_id="EG1").exists()
    assert LegalEntity.objects.filter(finess=E2).exists()  # the rest of the file is imported
    with pytest.raises(ImportRefusedError, match="mode strict"):
        run_finessplus_import(write_json(tmp_path, flux(pmej=[bad]), name="strict.json"), strict=True)


@pytest.mark.django_db
def test_unknown_group_type_and_member_pointing_nowhere(tmp_path):
    ght = GhtFactory(code="11103")
    before = list(ght.memberships.values_list("pk", flat=True))
    data = flux(
        pmej=[entity("P1", E1)],
        gcc=[
            {"gccId": "9", "nomGcc": "X", "typeGcc": "099", "gccIdentifiantExterne": "11104", "pmejDuGcc": []},
            {"gccId": "10", "nomGcc": "Yvelines Nord", "typeGcc": "001", "gccIdentifiantExterne": "11103",
             "pmejDuGcc": [{"pmSmsseId": "P1", "typeRoleEntiteGroupe": "S"}, {"pmSmsseId": "NULLE-PART", "typeRoleEntiteGroupe": "M"}]},
        ],
        gco=[{"pmSmsseId": "77", "typeGco": "042", "pmejDuGco": []}],
    )  # fmt: skip
    report = run_finessplus_import(write_json(tmp_path, data))
    reasons = dict(report.errors)
    assert "inconnu de la table TRE-R371" in reasons["gcc[0].typeGcc"]
    assert "NULLE-PART" in reasons["gcc[1]"] and "laissée inchangée" in reasons["gcc[1]"]
    assert "inconnu de la table TRE-R372" in reasons["gco[0].typeGco"]
    assert list(ght.memberships.values_list("pk", flat=True)) == before
    assert not CooperationStructure.objects.filter(code="11104").exists()


@pytest.mark.django_db
def test_generated_file_and_command(tmp_path, capsys):
    path = tmp_path / "gen.json.gz"
    write_generated_file(path, sites=200, ght_size=10)
    call_command("import_finessplus", str(path))
    out = capsys.readouterr().out
    assert "Éléments lus : 55, rejets : 0" in out  # 50 entities + 5 GHT
    assert Establishment.objects.filter(name__startswith="SITE DE BANC").count() == 200
    assert Membership.objects.filter(source=CompositionSource.FINESSPLUS).count() == 50
    call_command("bench_finessplus", "--sites", "100")
    assert "sites/s" in capsys.readouterr().out
    broken = tmp_path / "broken.json"
    broken.write_text('{"pmej": [')
    with pytest.raises(CommandError, match="tronqué"):
        call_command("import_finessplus", str(broken))


@pytest.fixture
def eager_celery():
    """The view and its report, in this test's transaction: the task runs in
    process (the browser journey covers the real worker)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.mark.django_db
@pytest.mark.usefixtures("import_scenario")
def test_admin_uploads_the_flux_and_reads_the_report(
    client, world, tmp_path, settings, django_capture_on_commit_callbacks, eager_celery
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world["users"]["admin"])
    with SAMPLE.open("rb") as handle, django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("cooperations:import_list"), {"register": "finessplus", "file": handle})
    run = ImportRun.objects.exclude(pk=world["import_run"].pk).get()
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    run.refresh_from_db()  # eager Celery: already done
    assert run.status == ImportRun.Status.DONE and run.created_by == world["users"]["admin"]
    # The uploaded file, stored under MEDIA_ROOT while the run lasted, is deleted once it ended.
    assert not run.file and not any(path.is_file() for path in Path(tmp_path).rglob("*"))
    page = client.get(run.get_absolute_url()).content.decode()
    assert "Éléments lus : 21" in page and "CLINIQUE CONVERT" not in page
    status = client.get(reverse("cooperations:import_status", args=[run.pk])).json()
    assert (status["status"], status["progress"], status["finished"]) == ("termine", 100, True)
    entity_page = client.get(reverse("portal:legal_entity_detail", args=["010000339"])).content.decode()
    assert "CPOM n° 879579" in entity_page and "un CPOM qui n’a pas son pendant dans l’application" in entity_page
    assert "Fermée le 2 mars 2026" in entity_page


@pytest.mark.django_db
@pytest.mark.usefixtures("import_scenario")
def test_upload_checks_the_content(client, world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world["users"]["admin"])
    fake = tmp_path / "flux.json"
    fake.write_bytes(b"PK\x03\x04 not json")
    with fake.open("rb") as handle:
        response = client.post(reverse("cooperations:import_list"), {"register": "finessplus", "file": handle})
    body = response.content.decode()
    assert response.status_code == 200 and "ce n’est pas un flux FINESS+" in body and "rien n’a été importé" in body
    assert ImportRun.objects.count() == 1  # the world's own run only
    client.force_login(world["users"]["negotiator"])
    with SAMPLE.open("rb") as handle:
        assert (
            client.post(reverse("cooperations:import_list"), {"register": "finessplus", "file": handle}).status_code
            == 403
        )


def test_generated_file_shape(tmp_path):
    path = tmp_path / "g.json.gz"
    write_generated_file(path, sites=10, ght_size=2)
    data = json.loads(gzip.decompress(path.read_bytes()))
    assert len(data["pmej"]) == 2 and sum(len(p["ege"]) for p in data["pmej"]) == 10
    assert copy.deepcopy(data["gcc"][0]["pmejDuGcc"][0])["typeRoleEntiteGroupe"] == "S"
