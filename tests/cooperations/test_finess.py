import csv
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from cooperations.finess import finess_error, normalize_finess, validate_finess, with_check_key

SAE = Path(settings.BASE_DIR) / "data" / "reference" / "sae2023_id_etablissements.csv"


@pytest.mark.parametrize("number", ["010000024", "010780054", "750712184", "2A0000030", "2B0000020", "970100228"])
def test_real_numbers_are_valid(number):
    assert finess_error(number) is None


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("010000025", "clé de contrôle"),
        ("2A0000031", "clé de contrôle"),
        ("01000002", "9 caractères"),
        ("0100000244", "9 caractères"),
        ("2C0000030", "format"),
        ("01000A024", "format"),
        ("", "vide"),
    ],
)
def test_invalid_numbers_say_why(number, fragment):
    error = finess_error(number)
    assert error is not None and fragment in error


def test_validator_raises_a_french_message():
    with pytest.raises(ValidationError, match="clé de contrôle"):
        validate_finess("750712185")


def test_spreadsheet_lost_leading_zero_is_restored():
    assert normalize_finess(" 10000024 ") == "010000024"


def test_every_number_of_the_real_register_is_valid():
    """6,106 distinct FINESS (ET and EJ) of the DREES SAE 2023, 64 Corsican."""
    numbers = set()
    with SAE.open(encoding="latin-1", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            numbers.update((row["fi"], row["fi_ej"]))
    assert len(numbers) == 6106
    assert sum(n[:2] in ("2A", "2B") for n in numbers) == 64
    assert [n for n in numbers if finess_error(n)] == []


def test_check_key_is_computed():
    assert with_check_key("01000002") == "010000024"
    assert with_check_key("2A000003") == "2A0000030"
