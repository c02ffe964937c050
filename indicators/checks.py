"""The consistency checks of a declared value, before the ARS validates it:
against the previous year, against the year's target, against the values
of the same library template in the région's other establishments, and
against the unit. A flag is a warning, not a refusal: the establishment
keeps a flagged value by explaining it in its comment (services).

The thresholds (ConsistencyThreshold: per indicator, else per library
template, else the defaults below):

- previous year: 50 % of the previous value (15 points for a percentage).
  The declarative Volet 3 indicators count cooperation activity (shared
  sessions, multi-site posts, referred patients) that grows by steps of a
  few units a year; a new shared post can move a small count by a third,
  but beyond half of last year's value a slip (a zero too many, a cumulative
  total instead of the year's, another unit) is likelier than real change.
  Fifteen points in a year for a rate (the leakage rate) is already
  exceptional.
- year's target: 50 % of the target (20 points for a percentage): a value
  that far from the trajectory signed in the CPOM needs a word of
  explanation either way, late or far ahead.
- région: outside the 5th–95th percentiles of the other establishments'
  values of the same template, and only from 5 values on (fewer make no
  distribution: one value would be its own percentile).
- unit: a number whose unit is « % » outside 0–100, a number whose unit
  counts things (« postes », « patients par an »…) that is not whole. The
  typed percentages and counts are refused outright by the value's parsing.

Every check reads what it needs for many values at once: a fixed number of
queries whatever the number of values (check_values)."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.values import ValueType, format_number, format_value
from cpom.models import TargetValue
from indicators.models import ConsistencyThreshold, Declaration, DeclarationStatus
from indicators.selectors import known_values

DEFAULT_JUMP = Decimal(50)
DEFAULT_JUMP_POINTS = Decimal(15)
DEFAULT_TARGET_GAP = Decimal(50)
DEFAULT_TARGET_GAP_POINTS = Decimal(20)
LOW_PERCENTILE, HIGH_PERCENTILE = Decimal("0.05"), Decimal("0.95")
MIN_PEERS = 5
CHECKED_TYPES = {ValueType.NUMBER, ValueType.PERCENTAGE, ValueType.COUNT}
# The first word of a unit that counts whole things.
COUNT_WORDS = {
    "actions", "consultations", "conventions", "dossiers", "interventions", "lits", "nombre", "passages",
    "patients", "postes", "praticiens", "réunions", "séances", "séjours", "sites", "vacations",
}  # fmt: skip


class FlagCode(models.TextChoices):
    JUMP = "saut", gettext_lazy("Écart à l’année précédente")
    TARGET = "cible", gettext_lazy("Écart à la cible")
    PEERS = "region", gettext_lazy("Hors de la fourchette régionale")
    UNIT = "unite", gettext_lazy("Incohérent avec l’unité")


@dataclass(frozen=True)
class Flag:
    code: str
    message: str

    def as_dict(self):
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class Thresholds:
    jump: Decimal
    target_gap: Decimal


def thresholds_for(indicators) -> dict:
    """{indicator id: Thresholds}: the indicator's own, else its template's, else the defaults. One query."""
    rows = ConsistencyThreshold.objects.filter(
        models.Q(indicator__in=[i.pk for i in indicators])
        | models.Q(template__in=[i.template_id for i in indicators if i.template_id])
    )
    by_indicator, by_template = {}, {}
    for row in rows:
        if row.indicator_id:
            by_indicator[row.indicator_id] = row
        else:
            by_template[row.template_id] = row
    result = {}
    for indicator in indicators:
        points = indicator.value_type == ValueType.PERCENTAGE
        jump = DEFAULT_JUMP_POINTS if points else DEFAULT_JUMP
        gap = DEFAULT_TARGET_GAP_POINTS if points else DEFAULT_TARGET_GAP
        for row in (by_template.get(indicator.template_id), by_indicator.get(indicator.pk)):
            if row is not None:
                jump = row.jump if row.jump is not None else jump
                gap = row.target_gap if row.target_gap is not None else gap
        result[indicator.pk] = Thresholds(jump=jump, target_gap=gap)
    return result


def percentile(values, fraction):
    """The percentile of sorted ``values`` by linear interpolation (PostgreSQL's percentile_cont)."""
    position = fraction * (len(values) - 1)
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def _gap(indicator, value, reference):
    """(the gap as shown, its size against a threshold), or None when it cannot be measured."""
    if indicator.value_type == ValueType.PERCENTAGE:
        points = value - reference
        return _("%(sign)s%(n)s points") % {"sign": "+" if points > 0 else "", "n": format_number(points)}, abs(points)
    if reference == 0:
        return None  # no relative gap to a zero
    ratio = (value - reference) / abs(reference) * 100
    rounded = ratio.quantize(Decimal(1))
    return f"{'+' if rounded > 0 else ''}{format_number(rounded)}\u00a0%", abs(ratio)


def _threshold_text(indicator, threshold):
    if indicator.value_type == ValueType.PERCENTAGE:
        return _("%(n)s points") % {"n": format_number(threshold)}
    return f"{format_number(threshold)}\u00a0%"


def unit_flag(indicator, value):
    """The unit check of a number typed for an indicator whose unit says more than its type."""
    if indicator.value_type != ValueType.NUMBER:
        return None
    unit = (indicator.unit or "").strip()
    if not unit:
        return None
    if unit == "%" or unit.startswith("%") or unit.lower().startswith("pour cent"):
        if not 0 <= value <= 100:
            return Flag(
                FlagCode.UNIT,
                _("Unité « %(unit)s » : un pourcentage est compris entre 0 et 100.") % {"unit": unit},
            )
        return None
    if unit.split()[0].lower() in COUNT_WORDS and value != value.to_integral_value():
        return Flag(FlagCode.UNIT, _("Unité « %(unit)s » : un décompte est un nombre entier.") % {"unit": unit})
    return None


def check_values(campaign, legal_entity_id, values) -> dict:
    """{indicator id: [Flag]} for ``values`` ({indicator: number}, the
    numbers typed for the campaign's year by that legal entity). Five
    queries whatever their number."""
    indicators = [i for i, number in values.items() if number is not None and i.value_type in CHECKED_TYPES]
    if not indicators:
        return {}
    year = campaign.year
    thresholds = thresholds_for(indicators)
    targets = dict(
        TargetValue.objects.filter(indicator__in=indicators, year=year, value__isnull=False).values_list(
            "indicator_id", "value"
        )
    )
    known = known_values([i.pk for i in indicators])
    templates = {i.template_id for i in indicators if i.template_id}
    peers = {}
    if templates:
        rows = (
            Declaration.objects.filter(
                year=year,
                indicator__template__in=templates,
                indicator__commitment__cpom__region_id=campaign.region_id,
                status__in=[DeclarationStatus.SUBMITTED, DeclarationStatus.VALIDATED],
                value__isnull=False,
            )
            .exclude(indicator__commitment__cpom__legal_entity_id=legal_entity_id)
            .order_by()
            .values_list("indicator__template_id", "value")
        )
        for template_id, number in rows:
            peers.setdefault(template_id, []).append(number)
    result = {}
    for indicator in indicators:
        value = values[indicator]
        flags = []
        limit = thresholds[indicator.pk]
        previous = known.get(indicator.pk, {}).get(year - 1, (None, ""))[0]
        if previous is None and indicator.baseline_year == year - 1:
            previous = indicator.baseline_value
        if previous is not None:
            gap = _gap(indicator, value, previous)
            if gap is not None and gap[1] > limit.jump:
                flags.append(
                    Flag(
                        FlagCode.JUMP,
                        _("Écart de %(gap)s avec la valeur %(year)s (%(previous)s) : au-delà du seuil de %(limit)s.")
                        % {
                            "gap": gap[0],
                            "year": year - 1,
                            "previous": format_value(indicator.value_type, previous, "", indicator.unit),
                            "limit": _threshold_text(indicator, limit.jump),
                        },
                    )
                )
        target = targets.get(indicator.pk)
        if target is not None:
            gap = _gap(indicator, value, target)
            if gap is not None and gap[1] > limit.target_gap:
                flags.append(
                    Flag(
                        FlagCode.TARGET,
                        _("Écart de %(gap)s avec la cible %(year)s (%(target)s) : au-delà du seuil de %(limit)s.")
                        % {
                            "gap": gap[0],
                            "year": year,
                            "target": format_value(indicator.value_type, target, "", indicator.unit),
                            "limit": _threshold_text(indicator, limit.target_gap),
                        },
                    )
                )
        others = sorted(peers.get(indicator.template_id, ()))
        if len(others) >= MIN_PEERS:
            cent = Decimal("0.01")
            low = percentile(others, LOW_PERCENTILE).quantize(cent)
            high = percentile(others, HIGH_PERCENTILE).quantize(cent)
            if not low <= value <= high:
                flags.append(
                    Flag(
                        FlagCode.PEERS,
                        _(
                            "Hors de la fourchette des autres établissements de la région : de %(low)s à %(high)s "
                            "(5e au 95e centile de %(n)s valeurs)."
                        )
                        % {
                            "low": format_value(indicator.value_type, low, "", indicator.unit),
                            "high": format_value(indicator.value_type, high, "", indicator.unit),
                            "n": len(others),
                        },
                    )
                )
        unit = unit_flag(indicator, value)
        if unit is not None:
            flags.append(unit)
        if flags:
            result[indicator.pk] = flags
    return result
