"""Reads of the follow-up that compose several models."""

from core.values import format_value
from cpom.models import Indicator
from indicators.models import ComputedValue, Declaration, DeclarationStatus


def known_values(indicator_ids) -> dict:
    """{indicator id: {year: (number, text)}}: the known value of each
    indicator for each year, the one the annex, the progress status and the
    indicator page all show: the value the ARS validated, else the computed
    one. Two queries."""
    values = {}
    computed = ComputedValue.objects.filter(indicator__in=indicator_ids, value__isnull=False).order_by()
    for indicator_id, year, number in computed.values_list("indicator_id", "year", "value"):
        values.setdefault(indicator_id, {})[year] = (number, "")
    declared = Declaration.objects.filter(indicator__in=indicator_ids, status=DeclarationStatus.VALIDATED).order_by()
    for indicator_id, year, number, text in declared.values_list("indicator_id", "year", "value", "text"):
        values.setdefault(indicator_id, {})[year] = (number, text)
    return values


def known_value_displays(indicator_ids) -> dict:
    """{indicator id: {year: value as shown}}, for the follow-up edition of the annex."""
    known = known_values(indicator_ids)
    units = Indicator.objects.filter(pk__in=known).values_list("pk", "value_type", "unit")
    return {
        pk: {year: format_value(value_type, number, text, unit) for year, (number, text) in known[pk].items()}
        for pk, value_type, unit in units
    }
