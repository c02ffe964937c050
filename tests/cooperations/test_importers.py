import csv
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from cooperations.importers.base import ImportRefusedError, run_import
from cooperations.importers.finess import FINESS_LAYOUTS
from cooperations.importers.ght import GHT_LAYOUTS
from cooperations.models import (
    CompositionSource,
    CooperationStructure,
    Establishment,
    LegalEntity,
    MemberRole,
    Membership,
    StructureKind,
)
from demo.compositions import reconstruct_idf_compositions

REFERENCE = Path(settings.BASE_DIR) / "data" / "reference"
SAE_HEADER = (
    "bor;an;fi;rs;rscom;fi_ej;grp;stj;stjr;cat;catr;espic;mft;ccr;nat;sir;reg;dep;reg_diff;dep_diff;"
    "COMINSEE;NOMCOM;NUMVOI;TYPVOI;NOMVOI;CPO"
)


def sae_line(fi, rs, fi_ej, dep="78", cat="355", stj="13", stjr="1", commune="78361"):
    return f"ID;2023;{fi};{rs};;{fi_ej};04;{stj};{stjr};{cat};PUB2;1;0;;0;26780000000000;11;{dep};11;{dep};{commune};MANTES;1;RUE;DU TEST;78200"


def write(tmp_path, name, lines, encoding="latin-1"):
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


@pytest.fixture
def small_sae(tmp_path):
    return write(
        tmp_path,
        "sae.csv",
        [
            SAE_HEADER,
            sae_line("780000287", "CH FRANÇOIS QUESNAY", "780110011"),
            sae_line("780000386", "CHI POISSY SITE POISSY", "780001236"),
            sae_line("780000329", "CHI POISSY SITE ST GERMAIN", "780001236"),
            sae_line("780000288", "CLÉ FAUSSE", "780110011"),  # bad check key
            sae_line("780000295", "", "780110011"),  # no name
            sae_line("780000303", "DEPARTEMENT INCONNU", "780110011", dep="99"),
        ],
    )


@pytest.mark.django_db
def test_small_file_imports_good_lines_and_reports_bad_ones(small_sae):
    report = run_import(small_sae, FINESS_LAYOUTS)
    assert report.rows == 6 and report.rejected == 3
    reasons = dict(report.errors)
    assert "clé de contrôle" in reasons[5]
    assert "raison sociale absente" in reasons[6]
    assert "département « 99 » inconnu" in reasons[7]
    assert Establishment.objects.count() == 3
    poissy = LegalEntity.objects.get(finess="780001236")
    assert poissy.establishments.count() == 2
    assert poissy.name == "Entité juridique 780001236 (2 sites, dont CHI POISSY SITE ST GERMAIN)"
    assert poissy.region_id == "11" and poissy.legal_status.sector == "public"
    assert LegalEntity.objects.get(finess="780110011").name == "CH FRANÇOIS QUESNAY"  # Latin-1 decoded


@pytest.mark.django_db
def test_strict_mode_refuses_the_whole_file(small_sae):
    with pytest.raises(ImportRefusedError, match="Ligne 5 .*clé de contrôle.*rien n’a été enregistré"):
        run_import(small_sae, FINESS_LAYOUTS, strict=True)
    assert Establishment.objects.count() == 0 and LegalEntity.objects.count() == 0


@pytest.mark.django_db
def test_second_import_changes_nothing(small_sae):
    run_import(small_sae, FINESS_LAYOUTS)
    snapshot = list(Establishment.objects.order_by("finess").values())
    report = run_import(small_sae, FINESS_LAYOUTS)
    assert report.counts[("Établissements", "created")] == 0
    assert report.counts[("Établissements", "updated")] == 0
    assert report.counts[("Établissements", "unchanged")] == 3
    assert report.counts[("Entités juridiques", "unchanged")] == 2
    assert list(Establishment.objects.order_by("finess").values()) == snapshot


@pytest.mark.django_db
def test_changed_line_is_updated(small_sae, tmp_path):
    run_import(small_sae, FINESS_LAYOUTS)
    changed = write(tmp_path, "sae2.csv", [SAE_HEADER, sae_line("780000287", "CH DE MANTES-LA-JOLIE", "780110011")])
    report = run_import(changed, FINESS_LAYOUTS)
    assert report.counts[("Établissements", "updated")] == 1
    assert Establishment.objects.get(finess="780000287").name == "CH DE MANTES-LA-JOLIE"


@pytest.mark.django_db
def test_unknown_layout_and_empty_file_are_refused(tmp_path):
    with pytest.raises(ImportRefusedError, match="Format de fichier non reconnu"):
        run_import(write(tmp_path, "x.csv", ["a;b;c", "1;2;3"]), FINESS_LAYOUTS)
    with pytest.raises(ImportRefusedError, match="vide"):
        run_import(write(tmp_path, "empty.csv", [""]), FINESS_LAYOUTS)


@pytest.mark.django_db
def test_standard_finess_extract_layout(tmp_path):
    lines = [
        "finess;etalab;101;2024-01-01",
        "structureet;780000287;780110011;CH MANTES;CENTRE HOSPITALIER FRANCOIS QUESNAY;;;2;BD;SULLY;;;361;78;YVELINES;"
        "78200 MANTES LA JOLIE;0134974000;;355;Centre Hospitalier (C.H.);1102;CH;26780110011;8610Z;03;ARS TG;1;PSPH;"
        "1970-01-01;1970-01-01;2024-01-01;",
        "structureet;9A0000000;780110011;MAUVAIS;;;;;;;;;;78;YVELINES;78200 X;;;355;CH;;;;;;;;;;;;",
        "geolocalisation;780000287;600000.0;6870000.0;1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93;2024-01-01",
    ]
    report = run_import(write(tmp_path, "etalab.csv", lines, encoding="utf-8"), FINESS_LAYOUTS)
    assert report.layout.startswith("extraction FINESS")
    assert report.rejected == 1 and "format" in report.errors[0][1]
    site = Establishment.objects.get(finess="780000287")
    assert site.name == "CENTRE HOSPITALIER FRANCOIS QUESNAY"
    assert site.commune_code == "78361" and site.postcode == "78200" and site.category_id == "355"
    assert any("géolocalisation" in note for note in report.notes)


@pytest.mark.django_db
def test_eurostat_coordinates_and_mco_beds_complete_known_sites(small_sae, tmp_path):
    run_import(small_sae, FINESS_LAYOUTS)
    ain = write(tmp_path, "ain.csv", [SAE_HEADER, sae_line("010000024", "CH DE FLEYRIAT", "010780054", dep="01")])
    run_import(ain, FINESS_LAYOUTS)
    coords = write(
        tmp_path,
        "eu.csv",
        [
            "id,hospital_name,site_name,lat,lon,geo_qual",
            "780000287,CH MANTES,,48.9891,1.7036,1",
            "10000024,CH FLEYRIAT,,46.2222,5.20879,1",  # leading zero lost in the source
            "999999999,AILLEURS,,45.0,2.0,1",  # bad key
            "750000028,ABSENT,,48.0,2.0,1",
        ],
        encoding="utf-8",
    )
    report = run_import(coords, FINESS_LAYOUTS)
    site = Establishment.objects.get(finess="780000287")
    assert float(site.latitude) == pytest.approx(48.9891) and float(site.longitude) == pytest.approx(1.7036)
    assert Establishment.objects.get(finess="010000024").latitude is not None
    assert report.rejected == 1
    mco = write(tmp_path, "mco.csv", ["BOR;AN;FI;RS;FI_EJ;LIT_MCO", "MCO;2023;780000287;CH;780110011;271"])
    run_import(mco, FINESS_LAYOUTS)
    assert Establishment.objects.get(finess="780000287").mco_beds == 271


@pytest.mark.django_db
def test_command_prints_summary_and_fails_cleanly(small_sae, capsys):
    call_command("import_finess", str(small_sae))
    out = capsys.readouterr().out
    assert "Lignes lues : 6, rejets : 3" in out and "Ligne 5 rejetée" in out
    with pytest.raises(CommandError, match="mode strict"):
        call_command("import_finess", str(small_sae), "--strict")


@pytest.mark.django_db
def test_real_register_imports_every_line():
    report = run_import(REFERENCE / "sae2023_id_etablissements.csv", FINESS_LAYOUTS)
    with (REFERENCE / "sae2023_id_etablissements.csv").open(encoding="latin-1") as handle:
        lines = sum(1 for _ in handle) - 1
    assert report.rows == lines == 3975
    assert Establishment.objects.count() == lines - report.rejected == 3975
    assert LegalEntity.objects.count() == 2176
    assert Establishment.objects.filter(finess__startswith="2A").exists()
    assert Establishment.objects.filter(department_id="971").exists()  # FINESS "9A" -> INSEE 971


GHT_HEADER = "NOM_COURT_GHT;CODE_GHT;NOM_COMPLET_GHT;LIT_MED"


@pytest.mark.django_db
def test_ght_list_fixes_spreadsheet_damage_and_is_idempotent(tmp_path):
    path = write(tmp_path, "ght.csv", [GHT_HEADER, "IDF-01;11101;77 NORD;1", "mars-02;2102;MARTINIQUE;1", "XX;abc;;1"])
    report = run_import(path, GHT_LAYOUTS)
    assert report.rejected == 1
    martinique = CooperationStructure.objects.get(kind=StructureKind.GHT, code="02102")
    assert martinique.short_code == "MAR-02" and martinique.region_id == "02"
    again = run_import(path, GHT_LAYOUTS)
    assert again.counts[("GHT", "unchanged")] == 2 and CooperationStructure.objects.count() == 2


@pytest.mark.django_db
def test_real_ght_list_has_135():
    report = run_import(REFERENCE / "sae2023_ght.csv", GHT_LAYOUTS)
    assert report.rejected == 0
    assert CooperationStructure.objects.filter(kind=StructureKind.GHT).count() == 135


@pytest.fixture
def idf_reference(db):
    run_import(REFERENCE / "sae2023_id_etablissements.csv", FINESS_LAYOUTS)
    run_import(REFERENCE / "eurostat_hopitaux_fr_2020.csv", FINESS_LAYOUTS)
    run_import(REFERENCE / "sae2023_mco.csv", FINESS_LAYOUTS)
    run_import(REFERENCE / "sae2023_ght.csv", GHT_LAYOUTS)
    return reconstruct_idf_compositions()


def test_reconstructed_compositions_follow_the_rule(idf_reference):
    ghts = CooperationStructure.objects.filter(kind=StructureKind.GHT, region_id="11")
    assert all(g.composition_source == CompositionSource.RECONSTRUCTED for g in ghts)
    for ght in ghts:
        members = list(ght.memberships.select_related("legal_entity__legal_status"))
        assert members, f"{ght} has no member"
        assert all(m.source == CompositionSource.RECONSTRUCTED for m in members)
        assert all(m.legal_entity.legal_status.sector == "public" for m in members)
        supports = [m for m in members if m.role == MemberRole.SUPPORT]
        assert len(supports) == 1
        beds = {m.legal_entity_id: sum(s.mco_beds or 0 for s in m.legal_entity.establishments.all()) for m in members}
        assert beds[supports[0].legal_entity_id] == max(beds.values())
    # No entity in two GHT; the AP-HP in none.
    entity_ids = list(Membership.objects.filter(structure__in=ghts).values_list("legal_entity_id", flat=True))
    assert len(entity_ids) == len(set(entity_ids))
    assert not Membership.objects.filter(legal_entity__finess="750712184").exists()
    assert reconstruct_idf_compositions()["created"] == 0  # idempotent


def dgos_rows(ght, pairs):
    return [["GHT_CODE", "GHT_LIB", "ARS_CODE", "ARS_LIB", "ES_FINESS", "GHT_SUPPORT"]] + [
        [ght.code, ght.name, "11", "IDF", finess, flag] for finess, flag in pairs
    ]


def test_official_list_replaces_reconstructed_composition(idf_reference, tmp_path):
    ght = CooperationStructure.objects.get(kind=StructureKind.GHT, code="11103")
    before = set(ght.memberships.values_list("legal_entity__finess", flat=True))
    kept, *_rest = sorted(before)
    site_of_other = Establishment.objects.get(finess="780000287")  # a site: resolved to its entity
    rows = dgos_rows(ght, [(kept, "N"), (site_of_other.finess, "O")])
    path = tmp_path / "dgos.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)
    report = run_import(path, GHT_LAYOUTS)
    ght.refresh_from_db()
    assert ght.composition_source == CompositionSource.OFFICIAL
    members = {m.legal_entity.finess: m for m in ght.memberships.select_related("legal_entity")}
    assert set(members) == {kept, site_of_other.legal_entity.finess}
    assert members[site_of_other.legal_entity.finess].role == MemberRole.SUPPORT
    assert all(m.source == CompositionSource.OFFICIAL for m in members.values())
    assert any("remplace la composition reconstituée" in note for note in report.notes)
    # Rebuilding the demo leaves an official composition alone.
    assert reconstruct_idf_compositions()["skipped_official"] == 1
    assert set(ght.memberships.values_list("legal_entity__finess", flat=True)) == set(members)


def test_official_list_as_xlsx_with_errors(idf_reference, tmp_path):
    ght = CooperationStructure.objects.get(kind=StructureKind.GHT, code="11104")
    workbook = Workbook()
    sheet = workbook.active
    for row in dgos_rows(ght, [("780000287", "O"), ("750000028", "N"), ("780000386", "X"), ("780000329", "O")]):
        sheet.append(row)
    path = tmp_path / "dgos.xlsx"
    workbook.save(path)
    report = run_import(path, GHT_LAYOUTS)
    reasons = [reason for _line, reason in report.errors]
    assert any("inconnu du répertoire" in r for r in reasons)
    assert any("indicateur support" in r for r in reasons)
    assert any("déjà un établissement support" in r for r in reasons)
    with pytest.raises(ImportRefusedError):
        run_import(path, GHT_LAYOUTS, strict=True)
