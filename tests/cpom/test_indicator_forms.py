"""Typed values and the indicator rows of the commitment page."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.values import format_value, parse_value
from cpom.indicator_forms import IndicatorFormSet
from tests.cpom.factories import CommitmentFactory, cpom_for

YEARS = [2026, 2027, 2028]


@pytest.mark.parametrize(
    ("value_type", "raw", "expected"),
    [
        ("nombre", "12,5", (Decimal("12.5"), "")),
        ("nombre", "1 200", (Decimal("1200"), "")),
        ("pourcentage", "17,3 %", (Decimal("17.3"), "")),
        ("effectif", "40", (Decimal("40"), "")),
        ("oui_non", "Oui", (Decimal(1), "oui")),
        ("texte", "Plateforme ouverte", (None, "Plateforme ouverte")),
    ],
)
def test_parse_value_accepts_what_a_french_user_types(value_type, raw, expected):
    assert parse_value(value_type, raw) == expected


@pytest.mark.parametrize(
    ("value_type", "raw", "message"),
    [
        ("nombre", "douze", "« douze » n’est pas un nombre."),
        ("pourcentage", "120", "Un pourcentage est compris entre 0 et 100."),
        ("effectif", "2,5", "Un décompte est un nombre entier positif ou nul."),
        ("effectif", "-1", "Un décompte est un nombre entier positif ou nul."),
        ("oui_non", "peut-être", "Répondez « oui » ou « non »."),
        ("nombre", "", "Valeur manquante."),
    ],
)
def test_parse_value_refuses_the_wrong_type_in_french(value_type, raw, message):
    with pytest.raises(ValidationError) as error:
        parse_value(value_type, raw)
    assert error.value.messages == [message]


def test_scale_levels_by_label_or_rank():
    levels = "Non engagé\nEngagé\nRéalisé"
    assert parse_value("echelle", "engagé", levels) == (Decimal(2), "Engagé")
    assert parse_value("echelle", "3", levels) == (Decimal(3), "Réalisé")
    with pytest.raises(ValidationError):
        parse_value("echelle", "Presque", levels)


def test_format_value():
    assert format_value("pourcentage", Decimal("17.5"), "") == "17,5 %"
    assert format_value("effectif", Decimal("1200"), "", "patients") == "1\xa0200 patients"


def _row(**values):
    data = {
        "indicateurs-TOTAL_FORMS": "1",
        "indicateurs-INITIAL_FORMS": "0",
        "indicateurs-0-label": "Patients adressés",
        "indicateurs-0-kind": "declaratif",
        "indicateurs-0-value_type": "effectif",
        "indicateurs-0-direction": "hausse",
    }
    data.update({f"indicateurs-0-{k}": v for k, v in values.items()})
    return data


@pytest.fixture
def commitment(world):
    cpom = cpom_for(world["entities"]["a"], 2026, 2028)
    return CommitmentFactory(cpom=cpom)


def _formset(commitment, data):
    return IndicatorFormSet(data, instance=commitment, prefix="indicateurs", years=YEARS)


def test_targets_all_years_or_none(commitment):
    assert _formset(commitment, _row()).is_valid()  # targets still to be set
    complete = _formset(commitment, _row(target_2026="10", target_2027="12", target_2028="15"))
    assert complete.is_valid()
    partial = _formset(commitment, _row(target_2026="10", target_2028="15"))
    assert not partial.is_valid()
    assert partial.forms[0].errors["target_2027"] == [
        "Valeur-cible 2027 manquante : une valeur par année du CPOM (2026–2028)."
    ]


def test_wrong_type_target_is_refused_next_to_its_field(commitment):
    formset = _formset(commitment, _row(target_2026="10", target_2027="douze", target_2028="2,5"))
    assert not formset.is_valid()
    assert formset.forms[0].errors["target_2027"] == ["« douze » n’est pas un nombre."]
    assert formset.forms[0].errors["target_2028"] == ["Un décompte est un nombre entier positif ou nul."]


def test_no_field_for_a_year_outside_the_period(commitment):
    formset = _formset(commitment, _row(target_2026="1", target_2027="2", target_2028="3", target_2031="9"))
    assert formset.is_valid()
    assert "target_2031" not in formset.forms[0].cleaned_data


def test_automatable_needs_its_computation_and_baseline_its_year(commitment):
    formset = _formset(commitment, _row(kind="automatisable", value_type="pourcentage", baseline="18"))
    assert not formset.is_valid()
    errors = formset.forms[0].errors
    assert "computation" in errors and "baseline_year" in errors
    late = _formset(commitment, _row(baseline="18", baseline_year="2027"))
    assert not late.is_valid()
    assert "baseline_year" in late.forms[0].errors
