"""Property-based tests: hostile and malformed input on the input-data
import (stays, costs), the typed values and the entry form, the evidence
check, the follow-up forms, and the CSV / XLSX exports of the follow-up."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from cooperations.importers.base import ImportRefusedError
from core.exports import XLSX_ILLEGAL, neutralise
from core.tabular import text_lines
from core.values import ValueType, parse_value, raw_value, to_decimal
from indicators import services
from indicators.forms import (
    CampaignForm,
    EntryForm,
    InputImportForm,
    NoteForm,
    SendBackForm,
    check_evidence,
)
from indicators.inputs import InputError, cost_rows, import_inputs, stay_rows
from indicators.models import Declaration, DeclarationEvent, HospitalStay, InputImport, SupportCost
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

pytestmark = pytest.mark.usefixtures("follow_up_scenario")

STAYS_HEADER = "annee;finess_et;code_geo;champ;sejours"
COSTS_HEADER = "annee;finess;fonction;cout;unites;unite"
number_text = st.one_of(
    st.sampled_from(["12", "1 200,5", "1\u202f200", "-3", "NaN", "sNaN", "Infinity", "1e999999999", "1e-999999999",
                     "99999999999", "2147483648", "1e11", "0,001", "٣", "²", "１２"]),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    short_hostile_text,
)  # fmt: skip
field = st.one_of(
    number_text,
    st.sampled_from(["2025", "78100", "2A004", "MCO", "SMR", "biologie", "Blanchisserie", "78", "²⁰²⁵"]),
    short_hostile_text,
)
input_line = st.lists(field, min_size=0, max_size=7).map(";".join)
input_text = st.tuples(
    st.sampled_from([STAYS_HEADER, COSTS_HEADER, "Année;FINESS;Fonction;Coût;Unités", "", "a,b"]),
    st.lists(st.one_of(input_line, hostile_text), max_size=6),
    st.sampled_from(["\n", "\r\n", "\r"]),
).map(lambda parts: parts[2].join([parts[0], *parts[1]]))
INPUT_MODELS = (HospitalStay, SupportCost)


def check_input_import(world, kind, data, user=None):
    """A file is imported whole (valid rows, in their columns) or refused
    with French reasons, no data row saved."""
    with rolled_back():
        before = counts(*INPUT_MODELS)
        record = import_inputs(kind, "Source de test", data, "fichier.csv", user)
        assert record.pk
        if record.status == InputImport.Status.REFUSED:
            assert counts(*INPUT_MODELS) == before
            assert record.report["errors"]
            for error in record.report["errors"]:
                assert is_french(error["reason"]), error
        else:
            assert record.status == InputImport.Status.DONE
            assert record.rows > 0
            assert_fits_columns(*INPUT_MODELS, InputImport)
            # PostgreSQL's integer column: SQLite would take more.
            assert all(0 <= stays < 2**31 for stays in HospitalStay.objects.values_list("stays", flat=True))
        return record


@PROPERTY
@given(kind=st.sampled_from(["sejours", "couts"]), data=with_encoding(input_text))
def test_input_import_reports_or_refuses(world, kind, data):
    check_input_import(world, kind, data)


@PROPERTY
@given(kind=st.sampled_from(["sejours", "couts"]), data=with_encoding(input_text))
def test_input_parsers_raise_only_french_input_errors(world, kind, data):
    """The streaming reader and the parsers: rows and French reasons, or
    InputError (ImportRefusedError for a line too long); nothing else escapes."""
    rows_of = stay_rows if kind == "sejours" else cost_rows
    try:
        results = list(rows_of(text_lines(io.BytesIO(data))))
    except (InputError, ImportRefusedError) as error:
        assert is_french(str(error))
        return
    for _line, row, reason in results:
        assert (row is None) != (reason is None)
        assert reason is None or is_french(reason), reason


@PROPERTY
@given(
    kind=st.sampled_from(["sejours", "couts"]),
    source=hostile_text,
    name=typed_text,
    data=with_encoding(input_text),
)
def test_input_upload_form(world, kind, source, name, data):
    upload = SimpleUploadedFile((name or "f").replace("/", "_")[:100] or "f", data)
    form = InputImportForm({"kind": kind, "source": source}, {"file": upload})
    if form.is_valid():
        check_input_import(world, kind, upload.read(), world["users"]["negotiator"])
    else:
        assert all(is_french(m) for messages in form.errors.values() for m in messages), form.errors


@FEW
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["biologie", "blanchisserie", "restauration"]), st.integers(1, 10**9), french_text),
        min_size=1,
        max_size=4,
        unique_by=lambda row: row[0],
    )
)
def test_cost_encodings_give_the_same_rows(world, rows):
    """UTF-8, UTF-8 with BOM and Windows-1252 (« Latin-1 ») give the same
    rows, accents, curly apostrophes and « œ » included."""
    finess = world["entities"]["a"].finess
    text = "Année;FINESS;Fonction;Coût;Unités;Unité\n" + "".join(
        f"2025;{finess};{function};{cost},50;{cost};{label}\n" for function, cost, label in rows
    )
    results = set()
    for _encoding, data in encodings(text).items():
        with rolled_back():
            record = import_inputs("couts", "Coûts", data, "couts.csv")
            assert record.status == InputImport.Status.DONE, record.report
            results.add(
                frozenset(SupportCost.objects.filter(batch=record).values_list("function", "cost", "unit_label"))
            )
    assert len(results) == 1
    assert {label for _f, _c, label in next(iter(results))} == {label[:50] for _f, _c, label in rows}


def test_stays_encodings_give_the_same_rows(world):
    site = world["sites"]["a"].finess
    text = f"Année;FINESS_ET;Code géographique;Champ;Séjours\n2025;{site};78100;MCO;12\n"
    outcomes = []
    for _encoding, data in encodings(text).items():
        with rolled_back():
            record = import_inputs("sejours", "PMSI", data, "s.csv")
            outcomes.append(
                (record.status, list(HospitalStay.objects.filter(batch=record).values_list("stays", "home_area")))
            )
    assert outcomes == [(InputImport.Status.DONE, [(12, "78100")])] * 3


# --- Typed values and the entry form ----------------------------------------------------------------


@PROPERTY
@given(raw=st.one_of(number_text, typed_text))
def test_to_decimal_never_raises(raw):
    value = to_decimal(raw)
    assert value is None or isinstance(value, Decimal)


@PROPERTY
@given(value_type=st.sampled_from(ValueType.values), raw=st.one_of(number_text, hostile_text))
def test_parse_value_round_trips_or_says_why(value_type, raw):
    """A typed value parses to something that shows again and parses to the
    same value, or is refused with a French message."""
    levels = "Non engagé\nEngagé\nRéalisé"
    try:
        number, text = parse_value(value_type, raw, levels)
    except ValidationError as error:
        assert all(is_french(m) for m in error.messages), error.messages
        return
    shown = raw_value(value_type, number, text)
    assert parse_value(value_type, shown, levels) == (number, text)
    if number is not None:
        assert number.is_finite() and abs(number) < 10**12


@PROPERTY
@given(
    value=st.one_of(number_text, hostile_text),
    comment=hostile_text,
    submit=st.booleans(),
    evidence=st.one_of(st.none(), st.binary(max_size=300), st.just(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")),
)
def test_entry_form_saves_all_or_nothing(world, value, comment, submit, evidence):
    """The entry form never raises; a valid entry saves through the service,
    an invalid one saves nothing and says why in French."""
    campaign = world["campaign_idf"]
    indicator = world["indicators_a_old"][1]
    files = {"i-evidence": SimpleUploadedFile("preuve.pdf", evidence)} if evidence is not None else {}
    with rolled_back():
        before = counts(Declaration, DeclarationEvent)
        form = EntryForm({"i-value": value, "i-comment": comment}, files, prefix="i", indicator=indicator)
        if not form.is_valid():
            assert all(is_french(m) for messages in form.errors.values() for m in messages), form.errors
            assert counts(Declaration, DeclarationEvent) == before
            return
        try:
            services.save_declarations(
                world["users"]["director"],
                campaign,
                indicator.commitment.cpom.legal_entity_id,
                [form.entry()],
                submit=submit,
            )
        except ValidationError as error:
            assert all(is_french(m) for m in error.messages)
            assert counts(Declaration, DeclarationEvent) == before
            return
        declaration = Declaration.objects.filter(indicator=indicator, year=campaign.year).first()
        if declaration is not None:
            assert (declaration.value, declaration.text) == (form.parsed[0], form.parsed[1])
            assert declaration.comment == comment.strip()
            assert_fits_columns(Declaration)


@PROPERTY
@given(
    data=st.one_of(
        st.binary(max_size=2000),
        st.sampled_from([b"", b"%PDF-1.7\n", b"\x89PNG\r\n\x1a\n" + b"\0" * 20, b"MZ\x90\x00", b"<html><script>"]),
    ),
    name=typed_text,
)
def test_evidence_check(data, name):
    upload = SimpleUploadedFile((name or "f").replace("/", "_")[:200] or "f", data)
    try:
        checked = check_evidence(upload)
    except ValidationError as error:
        assert all(is_french(m) for m in error.messages)
        return
    assert checked.name.startswith("justificatif.")
    assert checked.read() == data


@PROPERTY
@given(
    reason=hostile_text,
    note=hostile_text,
    year=st.one_of(st.integers(-(10**6), 10**6).map(str), typed_text),
    dates=st.lists(
        st.one_of(st.sampled_from(["2025-01-01", "2025-02-30", "9999-12-31"]), typed_text), min_size=3, max_size=3
    ),
    all_cpoms=st.sampled_from(["", "on", "x"]),
)
def test_follow_up_forms_never_raise(world, reason, note, year, dates, all_cpoms):
    from cpom.models import Cpom

    nego = world["users"]["negotiator"]
    forms = [
        SendBackForm({"reason": reason}),
        NoteForm({"text": note}),
        CampaignForm(
            {
                "year": year,
                "opens_on": dates[0],
                "closes_on": dates[1],
                "corrections_until": dates[2],
                "all_cpoms": all_cpoms,
            },
            user=nego,
            cpom_choices=Cpom.objects.filter(region=nego.region),
        ),
    ]
    for form in forms:
        if not form.is_valid():
            assert all(is_french(m) for messages in form.errors.values() for m in messages), form.errors
    with rolled_back():
        if forms[1].is_valid():
            note_row = services.add_note(nego, world["declaration_a"], forms[1].cleaned_data["text"])
            assert note_row.text == forms[1].cleaned_data["text"].strip()


# --- Exports --------------------------------------------------------------------------------------


@PROPERTY
@given(text=st.one_of(hostile_text, st.integers(), st.decimals(allow_nan=False), st.none()))
def test_neutralise(text):
    cell = neutralise(text)
    assert neutral_cell(cell)
    if isinstance(text, str):
        assert cell == expected_cell(text)
    else:
        assert cell is text


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
@FEW
@given(label=short_hostile_text.filter(str.strip), value=short_hostile_text.filter(str.strip))
def test_follow_up_exports_neutralise_formulas(world, client, export_format, label, value):
    """The validation queue and the dashboard: an indicator label, an
    entity name or a declared text from users never becomes a formula."""
    from cooperations.models import LegalEntity
    from cpom.models import Indicator

    declaration = world["declaration_a"]
    campaign = world["campaign_idf"]
    client.force_login(world["users"]["negotiator"])
    with rolled_back():
        Indicator.objects.filter(pk=declaration.indicator_id).update(label=label[:300], value_type=ValueType.TEXT)
        Declaration.objects.filter(pk=declaration.pk).update(value=None, text=value[:500])
        LegalEntity.objects.filter(pk=world["entities"]["a"].pk).update(name=label[:255])
        for url in ("indicators:validation_queue", "indicators:campaign_dashboard"):
            response = client.get(reverse(url, args=[campaign.pk]), {"_export": export_format})
            assert response.status_code == 200
            content = b"".join(response.streaming_content) if response.streaming else response.content
            rows = csv_rows(content) if export_format == "csv" else xlsx_rows(content)
            if export_format == "xlsx":
                assert xlsx_formulas(content) == []
            assert len(rows) > 1
            for row in rows:
                assert all(neutral_cell(cell) for cell in row), row

            # XLSX keeps no carriage return nor control character: compare without them.
            def norm(text):
                if export_format == "csv" or not isinstance(text, str):
                    return text
                return text.replace("\r", "").strip() or None

            def exported(text):
                return norm(expected_cell(text if export_format == "csv" else XLSX_ILLEGAL.sub("", text)))

            cells = {norm(cell) for row in rows[1:] for cell in row}
            if norm(label):
                assert exported(label[:255]) in cells or exported(label[:300]) in cells, (label, rows)
            if url == "indicators:validation_queue" and norm(value):
                assert exported(value[:500]) in cells, (value, rows)
