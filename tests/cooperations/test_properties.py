"""Property-based tests: hostile and malformed input on the register
importers, the upload form and task, the structure / CPOM / commitment
forms, and the CSV / XLSX exports of the CPOM list."""

import gzip
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from cooperations.finess import with_check_key
from cooperations.forms import CooperationStructureForm, ImportUploadForm
from cooperations.importers.base import ImportRefusedError, run_import
from cooperations.importers.finess import FINESS_LAYOUTS
from cooperations.importers.finessplus import run_finessplus_import
from cooperations.importers.ght import GHT_LAYOUTS
from cooperations.models import (
    Category,
    CooperationStructure,
    Establishment,
    ImportRun,
    LegalEntity,
    LegalStatus,
    Membership,
    RegisterEngagement,
)
from cooperations.tasks import run_uploaded_import
from core.exports import XLSX_ILLEGAL
from cpom.forms import CpomForm
from cpom.models import Commitment, Cpom, Indicator, TargetValue
from tests.cpom.factories import commitment_post_data
from tests.hostile import (
    FEW,
    PROPERTY,
    assert_fits_columns,
    counts,
    csv_rows,
    encodings,
    expected_cell,
    french_text,
    hostile_text,
    is_french,
    neutral_cell,
    rolled_back,
    short_hostile_text,
    typed_text,
    with_encoding,
    xlsx_formulas,
    xlsx_rows,
)

pytestmark = pytest.mark.usefixtures("cpom_scenario")

REGISTER = (LegalEntity, Establishment, Category, LegalStatus, CooperationStructure, Membership, RegisterEngagement)
LAYOUTS = {"finess": FINESS_LAYOUTS, "ght": GHT_LAYOUTS}
HEADERS = [
    "fi;fi_ej;rs;cat;stj;dep;sir;stjr;NOMCOM;CPO",
    "finess;etalab;1;2026-01-01",
    "nofinesset;nofinessej;rs;rslongue;departement;categetab;libcategetab;siret;commune;ligneacheminement;section",
    "id,hospital_name,lat,lon",
    "BOR;AN;FI;FI_EJ;LIT_MCO",
    "NOM_COURT_GHT;CODE_GHT;NOM_COMPLET_GHT",
    "GHT_CODE;GHT_LIB;ARS_CODE;ES_FINESS;GHT_SUPPORT",
]
valid_finess = st.integers(0, 999_999).map(lambda n: with_check_key(f"78{n:06d}"))
field_value = st.one_of(
    valid_finess,
    st.sampled_from(["78", "2A", "9A", "structureet", "geolocalisation", "O", "N", "11001", "IDF-01", "355", "13"]),
    st.sampled_from(["NaN", "sNaN", "Infinity", "-0", "1e999999", "²", "١٢٣", "٧٨١٢٣٤٥٦٧", "12345678901234567890"]),
    short_hostile_text,
)
csv_line = st.tuples(st.lists(field_value, max_size=12), st.sampled_from([";", ",", "\t"])).map(
    lambda pair: pair[1].join(pair[0])
)
register_text = st.tuples(
    st.sampled_from(HEADERS), st.lists(st.one_of(csv_line, hostile_text), max_size=6), st.sampled_from(["\n", "\r\n"])
).map(lambda parts: parts[2].join([parts[0], *parts[1]]))


def check_import(call):
    """Run an import: either it reports (rejected lines in French, values
    fitting their columns) or it is refused in French with nothing saved."""
    with rolled_back():
        before = counts(*REGISTER)
        try:
            report = call()
        except ImportRefusedError as error:
            assert is_french(str(error)), str(error)
            assert counts(*REGISTER) == before
            return None
        assert_fits_columns(*REGISTER)
        for _where, reason in report.errors:
            assert is_french(reason), reason
        return report


@PROPERTY
@given(
    register=st.sampled_from(["finess", "ght"]), data=st.one_of(with_encoding(register_text), with_encoding(st.text()))
)
def test_csv_register_import_reports_or_refuses(db, tmp_path, register, data):
    path = tmp_path / "registre.csv"
    path.write_bytes(data)
    check_import(lambda: run_import(path, LAYOUTS[register]))


@PROPERTY
@given(register=st.sampled_from(["finess", "ght"]), data=st.binary(max_size=400))
def test_damaged_workbook_is_refused(db, tmp_path, register, data):
    path = tmp_path / "registre.xlsx"
    path.write_bytes(b"PK\x03\x04" + data)
    check_import(lambda: run_import(path, LAYOUTS[register]))


sae_rows = st.lists(st.tuples(valid_finess, french_text), min_size=1, max_size=5, unique_by=lambda row: row[0])


@FEW
@given(rows=sae_rows)
def test_register_encodings_give_the_same_result(db, tmp_path, rows):
    """UTF-8, UTF-8 with BOM and Windows-1252 (Latin-1) give the same
    entities, with their accents."""
    text = "fi;fi_ej;rs;cat;stj;dep\n" + "".join(f"{n};{n};{name};355;13;78\n" for n, name in rows)
    results = set()
    for encoding, data in encodings(text).items():
        path = tmp_path / f"sae-{encoding}.csv"
        path.write_bytes(data)
        with rolled_back():
            report = run_import(path, FINESS_LAYOUTS, strict=True)
            names = frozenset(
                Establishment.objects.filter(finess__in=[n for n, _ in rows]).values_list("finess", "name")
            )
            results.add((names, frozenset(report.counts.items())))
    assert len(results) == 1
    assert dict(next(iter(results))[0]) == dict(rows)


# --- FINESS+ --------------------------------------------------------------------------------------

json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), short_hostile_text)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
hostile_string = st.one_of(short_hostile_text, st.sampled_from(["NaN", "sNaN", "Infinity", "1e999999", "2025-13-45"]))
ege = st.fixed_dictionaries(
    {
        "informationsGeneralesEge": st.fixed_dictionaries(
            {
                "numFinessEge": st.one_of(valid_finess, hostile_string),
                "nomEgeLong": hostile_string,
                "egeId": hostile_string,
            }
        ),
        "adresse": st.lists(
            st.fixed_dictionaries(
                {
                    "cogCommune": st.one_of(st.just("78361"), hostile_string),
                    "coordonneesGeographique": st.fixed_dictionaries(
                        {"directionLatitude": hostile_string, "directionLongitude": hostile_string}
                    ),
                    "libelleVoie": hostile_string,
                }
            ),
            max_size=1,
        ),
        "engagement": st.lists(
            st.fixed_dictionaries({"engagementId": hostile_string, "typeEngagement": hostile_string}), max_size=1
        ),
    }
)
pmej = st.fixed_dictionaries(
    {
        "informationsGeneralesPmej": st.fixed_dictionaries(
            {
                "numFinessPm": st.one_of(valid_finess, hostile_string),
                "denominationPm": hostile_string,
                "pmSmsseId": hostile_string,
                "siren": st.one_of(st.just("123456789"), hostile_string),
            }
        ),
        "ege": st.lists(ege, max_size=2),
    }
)
gcc = st.fixed_dictionaries(
    {
        "typeGcc": st.sampled_from(["001", "002", "999"]),
        "gccId": hostile_string,
        "nomGcc": hostile_string,
        "gccIdentifiantExterne": st.one_of(st.just("11001"), hostile_string),
        "pmejDuGcc": st.lists(
            st.fixed_dictionaries(
                {"pmSmsseId": hostile_string, "typeRoleEntiteGroupe": st.sampled_from(["S", "M", "X"])}
            ),
            max_size=2,
        ),
    }
)
finessplus_document = st.fixed_dictionaries(
    {
        "generatedAt": hostile_string,
        "pmej": st.lists(st.one_of(pmej, json_value), max_size=3),
        "gcc": st.lists(gcc, max_size=2),
    }
)


def damaged(data: bytes, cut: int, gzipped: bool, bom: bool) -> bytes:
    if gzipped:
        data = gzip.compress(data)
    if bom:
        data = b"\xef\xbb\xbf" + data
    return data[: max(1, len(data) - cut)] if cut else data


finessplus_bytes = st.one_of(
    st.binary(max_size=2000),
    st.builds(
        damaged,
        st.one_of(finessplus_document, json_value).map(lambda doc: json.dumps(doc).encode()),
        st.sampled_from([0, 0, 1, 7, 40]),
        st.booleans(),
        st.booleans(),
    ),
    st.builds(lambda data: b"\x1f\x8b" + data, st.binary(max_size=200)),
)


@PROPERTY
@given(data=finessplus_bytes)
def test_finessplus_import_reports_or_refuses(db, tmp_path, data):
    path = tmp_path / "structures.json"
    path.write_bytes(data)
    check_import(lambda: run_finessplus_import(path))


def test_finessplus_with_a_bom_reads_like_without(db, tmp_path):
    finess = with_check_key("78123456")
    document = {
        "pmej": [
            {
                "informationsGeneralesPmej": {"numFinessPm": finess, "denominationPm": "Hôpital de Mantes-la-Jolie"},
                "ege": [],
            }
        ]
    }
    results = []
    for prefix in (b"", b"\xef\xbb\xbf"):
        path = tmp_path / "structures.json"
        path.write_bytes(prefix + json.dumps(document, ensure_ascii=False).encode())
        with rolled_back():
            report = run_finessplus_import(path)
            counted = {key: n for key, n in report.counts.items() if n}
            names = list(LegalEntity.objects.filter(finess=finess).values_list("name", flat=True))
            results.append((counted, names))
    assert results[0] == results[1] == ({("Entités juridiques", "created"): 1}, ["Hôpital de Mantes-la-Jolie"])


# --- Upload form and background task ----------------------------------------------------------------


@PROPERTY
@given(
    register=st.sampled_from(ImportRun.Register.values),
    data=st.one_of(finessplus_bytes, with_encoding(register_text), st.just(b"")),
    name=typed_text,
)
def test_uploaded_register_file_is_imported_or_refused(world, register, data, name):
    """The form never raises; a file it accepts ends « terminé » or
    « refusé » with a French reason, never stuck « en cours »."""
    with rolled_back():
        before = counts(*REGISTER)
        upload = SimpleUploadedFile((name or "f")[:100].replace("/", "_") or "f", data)
        form = ImportUploadForm({"register": register}, {"file": upload})
        if not form.is_valid():
            assert all(is_french(m) for messages in form.errors.values() for m in messages), form.errors
            return
        run = form.save(commit=False)
        run.original_name = upload.name[:255]
        run.created_by = world["users"]["admin"]
        run.save()
        status = run_uploaded_import(run.pk)
        run.refresh_from_db()
        assert status == run.status
        assert run.status in (ImportRun.Status.DONE, ImportRun.Status.FAILED)
        if run.status == ImportRun.Status.FAILED:
            assert is_french(run.error), run.error
            assert counts(*REGISTER) == before


# --- Forms ----------------------------------------------------------------------------------------

date_text = st.one_of(
    st.sampled_from(["2026-01-15", "2026-02-30", "0000-01-01", "9999-12-31", "15/01/2026"]), typed_text
)
year_text = st.one_of(
    st.integers(-(10**20), 10**20).map(str), st.sampled_from(["2026", "2030", "1e3", "２０２６"]), typed_text
)


@PROPERTY
@given(
    data=st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["gcs_moyens", "convention", "ght", "", "x"]),
            "name": hostile_text,
            "short_code": short_hostile_text,
            "code": short_hostile_text,
            "finess": st.one_of(valid_finess, short_hostile_text),
            "start_date": date_text,
            "end_date": date_text,
            "nature": short_hostile_text,
            "purpose": short_hostile_text,
            "description": hostile_text,
        }
    )
)
def test_structure_form(world, data):
    with rolled_back():
        before = counts(CooperationStructure)
        form = CooperationStructureForm(data, user=world["users"]["negotiator"])
        if form.is_valid():
            structure = form.save(commit=False)
            structure.region = world["users"]["negotiator"].region
            structure.save()
            assert_fits_columns(CooperationStructure)
            assert (
                counts(CooperationStructure)["cooperations.CooperationStructure"]
                == before["cooperations.CooperationStructure"] + 1
            )
        else:
            assert all(is_french(m) for messages in form.errors.values() for m in messages), form.errors


@PROPERTY
@given(
    data=st.fixed_dictionaries(
        {
            "first_year": year_text,
            "last_year": year_text,
            "reference": hostile_text,
            "legal_entity": st.sampled_from(["", "0", "x", "1"]),
        }
    )
)
def test_cpom_form(world, data):
    with rolled_back():
        form = CpomForm(data, user=world["users"]["negotiator"])
        if form.is_valid():
            assert len(form.cleaned_data["reference"]) <= 50
        else:
            assert all(is_french(m) for messages in form.errors.values() for m in messages), form.errors


@FEW
@given(
    fields=st.fixed_dictionaries(
        {
            "title": hostile_text,
            "objective": hostile_text,
            "benefits": hostile_text,
            "start_date": date_text,
            "deadline": date_text,
            "action_kind": st.sampled_from(["parcours", "", "x"]),
        }
    ),
    targets=st.lists(st.one_of(st.just("12"), st.just(""), short_hostile_text), min_size=5, max_size=5),
    baseline=short_hostile_text,
)
def test_commitment_page_saves_all_or_nothing(world, client, fields, targets, baseline):
    """The commitment page with one indicator row: a 302 saves everything, a
    200 shows French errors and saves nothing."""
    commitment = world["commitment_a"]
    cpom = world["cpom_a"]
    client.force_login(world["users"]["negotiator"])
    data = commitment_post_data(commitment, **{k: v for k, v in fields.items() if k != "action_kind"})
    data["indicateurs-TOTAL_FORMS"] = "1"
    data.update(
        {
            "indicateurs-0-label": fields["title"][:300],
            "indicateurs-0-kind": "declaratif",
            "indicateurs-0-value_type": "effectif",
            "indicateurs-0-direction": "hausse",
            "indicateurs-0-baseline": baseline,
            "indicateurs-0-baseline_year": "2025",
            **{f"indicateurs-0-target_{year}": value for year, value in zip(cpom.years, targets, strict=True)},
        }
    )
    with rolled_back():
        before = counts(Commitment, Indicator, TargetValue)
        title = Commitment.objects.get(pk=commitment.pk).title
        response = client.post(reverse("cpom:commitment_update", args=[commitment.pk]), data)
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert counts(Commitment, Indicator, TargetValue) == before
            assert Commitment.objects.get(pk=commitment.pk).title == title
        else:
            assert_fits_columns(Commitment, Indicator, TargetValue)


# --- Exports --------------------------------------------------------------------------------------


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
@FEW
@given(name=short_hostile_text.filter(str.strip), reference=short_hostile_text)
def test_cpom_list_export_neutralises_formulas(world, client, export_format, name, reference):
    """Text from users or from imported files never becomes a formula in
    an export; it comes back as typed (behind an apostrophe if it looked
    like a formula); numbers stay numbers."""
    cpom = world["cpom_a"]
    client.force_login(world["users"]["negotiator"])
    with rolled_back():
        LegalEntity.objects.filter(pk=cpom.legal_entity_id).update(name=name[:255])
        Cpom.objects.filter(pk=cpom.pk).update(reference=reference[:50])
        response = client.get(reverse("cpom:cpom_list"), {"_export": export_format})
        assert response.status_code == 200
        content = b"".join(response.streaming_content) if response.streaming else response.content
        rows = csv_rows(content) if export_format == "csv" else xlsx_rows(content)
        if export_format == "xlsx":
            assert xlsx_formulas(content) == []
        header = rows[0]
        ours = [row for row in rows[1:] if row[header.index("FINESS EJ")] == cpom.legal_entity.finess]
        assert ours
        for row in rows[1:]:
            assert all(neutral_cell(cell) for cell in row), row
        for row in ours:
            assert isinstance(row[header.index("Engagements")], int | float) or export_format == "csv"
        readable = {row[header.index("Référence")] for row in ours}
        typed = reference[:50] if export_format == "csv" else XLSX_ILLEGAL.sub("", reference[:50])
        assert expected_cell(typed) in readable or (typed == "" and readable <= {"—", "", None})
