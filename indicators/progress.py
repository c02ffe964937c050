"""Where an indicator stands against its targets, and the picture of it.

The status of an indicator is read on its latest validated (or computed) value: « atteint »
when that value meets the CPOM's final target, « en bonne voie » when it meets
the target of its own year, « en retard » otherwise, « non renseigné » when no
value has been validated yet although one is due, « pas encore dû » while no
follow-up campaign of the CPOM has opened (nothing can be declared before).
Text indicators are followed in words: they get no status."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.values import ValueType, format_value, scale_levels
from indicators.models import Campaign
from indicators.selectors import known_values

NUMERIC_TYPES = {ValueType.NUMBER, ValueType.PERCENTAGE, ValueType.COUNT, ValueType.BOOLEAN, ValueType.SCALE}


class Progress(models.TextChoices):
    REACHED = "atteint", _("Atteint")
    ON_TRACK = "en_bonne_voie", _("En bonne voie")
    LATE = "en_retard", _("En retard")
    MISSING = "non_renseigne", _("Non renseigné")
    NOT_YET_DUE = "pas_encore_du", _("Pas encore dû")
    QUALITATIVE = "qualitatif", _("Suivi qualitatif")


# DSFR badge severity of each status, and which is worst when summarising.
PROGRESS_BADGES = {
    Progress.REACHED: "fr-badge--success",
    Progress.ON_TRACK: "fr-badge--info",
    Progress.LATE: "fr-badge--error",
    Progress.MISSING: "fr-badge--warning",
    Progress.NOT_YET_DUE: "",
    Progress.QUALITATIVE: "",
}
SEVERITY = [
    Progress.LATE,
    Progress.MISSING,
    Progress.ON_TRACK,
    Progress.REACHED,
    Progress.NOT_YET_DUE,
    Progress.QUALITATIVE,
]


def meets(direction, value, target, baseline=None):
    """Whether ``value`` meets ``target`` for an indicator of that direction.
    « Atteindre la valeur » aims from the baseline towards the target: a value
    on the far side of the target counts as reaching it."""
    if direction == "hausse":
        return value >= target
    if direction == "baisse":
        return value <= target
    if baseline is not None and baseline > target:
        return value <= target
    return value >= target


def due_cpom_ids(cpom_ids, day=None) -> set:
    """The CPOMs whose values are due: a follow-up campaign covering them has opened. One query."""
    day = day or timezone.localdate()
    return set(
        Campaign.cpoms.through.objects.filter(cpom_id__in=list(cpom_ids), campaign__opens_on__lte=day)
        .values_list("cpom_id", flat=True)
        .distinct()
    )


def indicator_progress(indicator, values, targets, due=True):
    """The status of an indicator from ``values`` ({year: Decimal}, the
    validated or computed ones) and ``targets`` ({year: Decimal}); ``due``:
    whether its CPOM's values are due yet (due_cpom_ids)."""
    if indicator.value_type == ValueType.TEXT:
        return Progress.QUALITATIVE
    known = {year: value for year, value in values.items() if value is not None}
    if not known:
        return Progress.MISSING if due else Progress.NOT_YET_DUE
    year = max(known)
    value = known[year]
    final = targets.get(max(targets)) if targets else None
    if final is not None and meets(indicator.direction, value, final, indicator.baseline_value):
        return Progress.REACHED
    year_target = targets.get(year)
    if year_target is None:
        # After the CPOM's period or before its first target: judged on the final one.
        return Progress.LATE if final is not None else Progress.MISSING
    if meets(indicator.direction, value, year_target, indicator.baseline_value):
        return Progress.ON_TRACK
    return Progress.LATE


def summarise(statuses):
    """The worst status of a commitment's indicators, and the count of each."""
    counts = {status: 0 for status in Progress}
    for status in statuses:
        counts[Progress(status)] += 1
    worst = next((status for status in SEVERITY if counts[status]), Progress.MISSING)
    return worst, counts


# --- The chart: an SVG drawn on the server, read at a glance ---------------------------------

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 44, 24, 36


@dataclass
class Point:
    x: float
    y: float
    year: int
    label: str


@dataclass
class Chart:
    """Coordinates of a baseline, a target line and a value line over the
    years, in an SVG viewport of WIDTH × HEIGHT."""

    width: int = WIDTH
    height: int = HEIGHT
    ticks: list = field(default_factory=list)
    years: list = field(default_factory=list)
    targets: list = field(default_factory=list)
    values: list = field(default_factory=list)
    baseline: Point | None = None
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM

    @staticmethod
    def path(points):
        return " ".join(f"{point.x:.1f},{point.y:.1f}" for point in points)

    @property
    def target_path(self):
        return self.path(self.targets)

    @property
    def value_path(self):
        return self.path(self.values)


def value_label(indicator, number):
    """A numeric value as a reader says it: « oui », a scale level, « 12,5 % »."""
    if number is None:
        return ""
    if indicator.value_type == ValueType.BOOLEAN:
        return "oui" if number else "non"
    if indicator.value_type == ValueType.SCALE:
        levels = scale_levels(indicator.scale_levels)
        rank = int(number)
        return levels[rank - 1] if number == rank and 1 <= rank <= len(levels) else ""
    return format_value(indicator.value_type, number, "", indicator.unit)


def _nice_step(span):
    """A round step (1, 2 or 5 × 10ⁿ) giving about four intervals."""
    raw = span / 4
    magnitude = Decimal(10) ** (raw.adjusted())
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def build_chart(indicator, years, values, targets):
    """The chart of an indicator over ``years`` (the CPOM's, with the
    baseline year in front when it has one), or None for a text indicator."""
    if indicator.value_type not in NUMERIC_TYPES:
        return None
    baseline_year = indicator.baseline_year if indicator.baseline_value is not None else None
    axis_years = sorted(set(years) | ({baseline_year} if baseline_year else set()) | set(values))
    numbers = [n for n in [*targets.values(), *values.values(), indicator.baseline_value] if n is not None]
    if not axis_years or not numbers:
        return None
    low, high = min(numbers), max(numbers)
    if indicator.value_type == ValueType.PERCENTAGE:
        low, high = min(low, Decimal(0)), max(high, Decimal(0))
    low = min(low, Decimal(0)) if low >= 0 and low <= high / 2 else low
    if high == low:
        high, low = high + 1, low - 1 if low > 0 else low
    step = _nice_step(high - low)
    low = (low / step).to_integral_value(rounding="ROUND_FLOOR") * step
    high = (high / step).to_integral_value(rounding="ROUND_CEILING") * step
    chart = Chart()
    plot_width = chart.right - chart.left
    plot_height = chart.bottom - chart.top
    spacing = plot_width / max(len(axis_years) - 1, 1)

    def x_of(year):
        index = axis_years.index(year)
        return chart.left + (index * spacing if len(axis_years) > 1 else plot_width / 2)

    def y_of(number):
        return chart.bottom - float((number - low) / (high - low)) * plot_height

    def label(number):
        if indicator.value_type in (ValueType.NUMBER, ValueType.COUNT):
            return format_value(ValueType.NUMBER, number, "")  # the unit is in the caption
        return value_label(indicator, number)

    tick = low
    while tick <= high:
        if indicator.value_type in (ValueType.NUMBER, ValueType.COUNT):
            shown = format_value(ValueType.NUMBER, tick, "")
        else:
            shown = label(tick)
        chart.ticks.append((y_of(tick), shown))
        tick += step
    chart.years = [(x_of(year), year) for year in axis_years]
    chart.targets = [Point(x_of(y), y_of(v), y, label(v)) for y, v in sorted(targets.items()) if v is not None]
    chart.values = [Point(x_of(y), y_of(v), y, label(v)) for y, v in sorted(values.items()) if v is not None]
    if baseline_year:
        chart.baseline = Point(
            x_of(baseline_year), y_of(indicator.baseline_value), baseline_year, label(indicator.baseline_value)
        )
    return chart


def attach_progress(commitments):
    """Set on each indicator of ``commitments`` (their indicators and targets
    prefetched) its status and latest known value, on each commitment the
    worst status of its indicators; return the count per status. Three queries."""
    indicators = [indicator for commitment in commitments for indicator in commitment.indicators.all()]
    validated = known_values([indicator.pk for indicator in indicators])
    due = due_cpom_ids({commitment.cpom_id for commitment in commitments}) if commitments else set()
    totals = {status: 0 for status in Progress}
    for commitment in commitments:
        statuses = []
        for indicator in commitment.indicators.all():
            values = validated.get(indicator.pk, {})
            targets = {target.year: target.value for target in indicator.targets.all()}
            indicator.progress = Progress(
                indicator_progress(
                    indicator,
                    {year: number for year, (number, _t) in values.items()},
                    targets,
                    due=commitment.cpom_id in due,
                )
            )
            indicator.progress_badge = PROGRESS_BADGES[indicator.progress]
            indicator.values_by_year = {
                year: format_value(indicator.value_type, number, text, indicator.unit)
                for year, (number, text) in values.items()
            }
            indicator.latest_year = max(values) if values else None
            indicator.latest_value = indicator.values_by_year.get(indicator.latest_year, "")
            statuses.append(indicator.progress)
            totals[indicator.progress] += 1
        commitment.progress, commitment.progress_counts = summarise(statuses)
        commitment.progress_badge = PROGRESS_BADGES[commitment.progress]
    return [(status, count, PROGRESS_BADGES[status]) for status, count in totals.items() if count]
