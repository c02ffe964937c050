"""What the values say of each commitment, read from the follow-up's known
values (``indicators.selectors.known_values``) against the CPOM's targets:
for a yearly review, each indicator's value of the year against its target,
its status and the commitment's proposed status; for the final evaluation,
each indicator's trajectory over the period and the share of targets met.

The proposed status of a commitment at a review: « abandonné » when the
commitment is marked abandoned; « réalisé » when every followed indicator
meets the CPOM's final target (or, followed in words only, when the
commitment is marked done); « en retard » when one indicator is late or has
no value for the year; « en bonne voie » otherwise."""

from django.db.models import Prefetch

from core.values import ValueType, format_value
from cpom.models import Commitment, CommitmentStatus, TargetValue
from indicators.progress import Progress, indicator_progress, meets
from indicators.selectors import known_values
from reviews.models import Achievement


def commitments_of(cpom):
    """The CPOM's commitments with their indicators and targets, in order."""
    return list(
        Commitment.objects.filter(cpom=cpom)
        .order_by("position", "pk")
        .prefetch_related("indicators", Prefetch("indicators__targets", queryset=TargetValue.objects.order_by("year")))
    )


def _shown(indicator, number, text):
    return format_value(indicator.value_type, number, text, indicator.unit) or "—"


def proposed_status(commitment, statuses) -> str:
    if commitment.status == CommitmentStatus.ABANDONED:
        return Achievement.ABANDONED
    followed = [status for status in statuses if status != Progress.QUALITATIVE]
    if not followed:
        return Achievement.DONE if commitment.status == CommitmentStatus.DONE else Achievement.ON_TRACK
    if all(status == Progress.REACHED for status in followed):
        return Achievement.DONE
    if any(status in (Progress.LATE, Progress.MISSING) for status in followed):
        return Achievement.LATE
    return Achievement.ON_TRACK


def review_lines(commitments, year) -> dict:
    """{commitment id: (lines, proposed status)} for the review of ``year``."""
    known = known_values([i.pk for c in commitments for i in c.indicators.all()])
    result = {}
    for commitment in commitments:
        lines, statuses = [], []
        for indicator in commitment.indicators.all():
            values = {y: pair for y, pair in known.get(indicator.pk, {}).items() if y <= year}
            targets = {target.year: target for target in indicator.targets.all()}
            progress = indicator_progress(
                indicator, {y: number for y, (number, _t) in values.items()}, {y: t.value for y, t in targets.items()}
            )
            statuses.append(progress)
            target = targets.get(year)
            lines.append(
                {
                    "indicator": indicator.pk,
                    "label": indicator.label,
                    "target": target.display if target else "—",
                    "value": _shown(indicator, *values[year]) if year in values else "—",
                    "progress": str(progress),
                }
            )
        result[commitment.pk] = (lines, str(proposed_status(commitment, statuses)))
    return result


def last_known(indicator_ids) -> dict:
    """{indicator id: (year, number, text)}: each indicator's latest known value."""
    latest = {}
    for pk, values in known_values(indicator_ids).items():
        year = max(values)
        latest[pk] = (year, *values[year])
    return latest


def evaluation_lines(commitments, years) -> dict:
    """{commitment id: (trajectory, targets met, targets judged)} over ``years``.
    A target is judged when it is a number; it is met when the year's known
    value meets it (a year without a value does not meet it)."""
    known = known_values([i.pk for c in commitments for i in c.indicators.all()])
    result = {}
    for commitment in commitments:
        trajectory, met_count, total = [], 0, 0
        for indicator in commitment.indicators.all():
            values = known.get(indicator.pk, {})
            targets = {target.year: target for target in indicator.targets.all()}
            row = []
            for year in years:
                target, pair = targets.get(year), values.get(year)
                met = None
                if target is not None and target.value is not None and indicator.value_type != ValueType.TEXT:
                    total += 1
                    met = (
                        pair is not None
                        and pair[0] is not None
                        and meets(indicator.direction, pair[0], target.value, indicator.baseline_value)
                    )
                    met_count += met
                row.append(
                    {
                        "year": year,
                        "target": target.display if target else "—",
                        "value": _shown(indicator, *pair) if pair else "—",
                        "met": met,
                    }
                )
            trajectory.append({"indicator": indicator.pk, "label": indicator.label, "years": row})
        result[commitment.pk] = (trajectory, met_count, total)
    return result
