"""core.values.french_number writes what Django's number_format writes in French, without its lookups."""

from decimal import Decimal

import pytest
from django.utils.formats import number_format
from django.utils.translation import override
from hypothesis import given, settings
from hypothesis import strategies as st

from core.values import NBSP, NNBSP, ValueType, format_number, format_value, french_number


def _django(number, decimal_pos):
    with override("fr"):
        return number_format(number, decimal_pos=decimal_pos, use_l10n=True, force_grouping=True)


decimals = st.decimals(allow_nan=False, allow_infinity=False, places=None, min_value=-(10**15), max_value=10**15)


@settings(max_examples=400, deadline=None)
@given(number=decimals, decimal_pos=st.one_of(st.none(), st.integers(min_value=0, max_value=6)))
def test_generated_numbers_are_written_as_django_writes_them(number, decimal_pos):
    assert french_number(number, decimal_pos) == _django(number, decimal_pos)


@pytest.mark.parametrize(
    "number",
    ["0", "-0", "0.0004", "-0.0004", "999", "1000", "-1000", "1234567.891", "1E+3", "1E-7", "12.50", "1E+250"],
)
@pytest.mark.parametrize("decimal_pos", [None, 0, 1, 2, 3])
def test_edges_are_written_as_django_writes_them(number, decimal_pos):
    assert french_number(Decimal(number), decimal_pos) == _django(Decimal(number), decimal_pos)


def test_the_thousands_separator_is_chosen_and_other_types_keep_django_s_path():
    assert french_number(Decimal("1234567.5"), None, NNBSP) == "1\u202f234\u202f567,5"
    assert french_number(1234, 0) == _django(1234, 0) == f"1{NBSP}234"
    assert french_number(12.25, 1) == _django(12.25, 1) == "12,2"


def test_values_shown_to_readers():
    assert format_value(ValueType.PERCENTAGE, Decimal("12.5000"), "") == "12,5 %"
    assert format_value(ValueType.NUMBER, Decimal("1200.0000"), "", "lits") == f"1{NBSP}200 lits"
    assert format_value(ValueType.COUNT, Decimal("-3"), "") == "-3"
    assert format_number(Decimal("0.3100")) == "0,31"
    assert format_number(1250.5, 2) == "1\u202f250,50"
