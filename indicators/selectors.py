"""Reads of the follow-up that compose several models."""

from collections import OrderedDict

from django.db.models import Count, OuterRef, Q, Subquery

from core.values import format_value
from cpom.models import Indicator, TargetValue
from indicators.models import ComputedValue, Declaration, DeclarationEvent, DeclarationStatus


def merge_known(computed, validated) -> dict:
    """The rule of the known value, for one indicator: {year: (number, text)}
    from its computed values and its validated declarations, each given as
    (year, number, text); the value the ARS validated beats the computed one."""
    known = {year: (number, text) for year, number, text in computed}
    known.update({year: (number, text) for year, number, text in validated})
    return known


def known_values(indicator_ids) -> dict:
    """{indicator id: {year: (number, text)}}: the known value of each
    indicator for each year, the one the annex, the progress status and the
    indicator page all show (merge_known). Two queries."""
    computed, validated = {}, {}
    rows = ComputedValue.objects.filter(indicator__in=indicator_ids, value__isnull=False).order_by()
    for indicator_id, year, number in rows.values_list("indicator_id", "year", "value"):
        computed.setdefault(indicator_id, []).append((year, number, ""))
    rows = Declaration.objects.filter(indicator__in=indicator_ids, status=DeclarationStatus.VALIDATED).order_by()
    for indicator_id, year, number, text in rows.values_list("indicator_id", "year", "value", "text"):
        validated.setdefault(indicator_id, []).append((year, number, text))
    return {pk: merge_known(computed.get(pk, ()), validated.get(pk, ())) for pk in computed.keys() | validated.keys()}


def known_value_displays(indicator_ids) -> dict:
    """{indicator id: {year: value as shown}}, for the follow-up edition of the annex."""
    known = known_values(indicator_ids)
    units = Indicator.objects.filter(pk__in=known).values_list("pk", "value_type", "unit")
    return {
        pk: {year: format_value(value_type, number, text, unit) for year, (number, text) in known[pk].items()}
        for pk, value_type, unit in units
    }


def declaration_rows(campaign, legal_entity):
    """The entity's indicators in the campaign, grouped by commitment, with
    the year's target, last year's value and this year's declaration (and
    the ARS's latest reason when it sent it back), in five queries at most.
    Read with plain filters and grouped here: Django's prefetch machinery
    cost more than the queries themselves (issue 19)."""
    year = campaign.year
    indicators = list(
        campaign.followed_indicators()
        .filter(commitment__cpom__legal_entity=legal_entity)
        .select_related("commitment__cpom")
        .order_by("commitment__cpom__first_year", "commitment__position", "commitment__pk", "position", "pk")
    )
    ids = [indicator.pk for indicator in indicators]
    targets, computed, declarations, send_backs = {}, {}, {}, {}
    if ids:
        for target in TargetValue.objects.filter(indicator_id__in=ids, year=year).order_by():
            targets[target.indicator_id] = target
        for value in ComputedValue.objects.filter(indicator_id__in=ids, year__in=[year, year - 1]).order_by():
            computed[value.indicator_id, value.year] = value
        for declaration in Declaration.objects.filter(indicator_id__in=ids, year__in=[year, year - 1]).order_by():
            declarations[declaration.indicator_id, declaration.year] = declaration
        current = [
            d.pk for (_pk, y), d in declarations.items() if y == year and d.status == DeclarationStatus.SENT_BACK
        ]
        if current:
            events = DeclarationEvent.objects.filter(declaration_id__in=current, status=DeclarationStatus.SENT_BACK)
            for event in events.order_by("at", "pk"):
                send_backs[event.declaration_id] = event  # the latest one stays
    groups = OrderedDict()
    for indicator in indicators:
        pk = indicator.pk
        target, declaration, previous = targets.get(pk), declarations.get((pk, year)), declarations.get((pk, year - 1))
        value, previous_value = computed.get((pk, year)), computed.get((pk, year - 1))
        for read in (target, declaration, previous, value, previous_value):
            if read is not None:
                read.indicator = indicator  # what their display reads, without a query
        row = {
            "indicator": indicator,
            "target": target,
            "previous": previous,
            # A computed indicator's last year is its computed value (it has no declaration).
            "previous_computed": previous_value if indicator.is_computed else None,
            "declaration": declaration,
            "computed": indicator.is_computed,
            "computed_value": value,
            "send_back": send_backs.get(declaration.pk) if declaration is not None else None,
        }
        groups.setdefault(indicator.commitment, []).append(row)
    return groups


def validation_queue(campaign, user):
    """The values of a campaign the ARS validates (drafts are the establishment's own), with the year's target."""
    target = TargetValue.objects.filter(indicator=OuterRef("indicator"), year=OuterRef("year")).order_by()
    return (
        Declaration.objects.visible_to(user)
        .filter(campaign=campaign)
        .exclude(status=DeclarationStatus.DRAFT)
        .select_related("indicator__commitment__cpom__legal_entity")
        .annotate(target_value=Subquery(target.values("value")[:1]), target_text=Subquery(target.values("text")[:1]))
        # Flagged values first (their flags are stored with them: no query per row).
        .order_by("-flagged", "indicator__commitment__cpom__legal_entity__name", "pk")
    )


def queue_counts(declarations):
    """The values of a (filtered) validation queue and those awaiting a decision, in one query."""
    return declarations.aggregate(total=Count("pk"), waiting=Count("pk", filter=Q(status=DeclarationStatus.SUBMITTED)))


def indicator_values(indicator):
    """The known value of each year as a number (the rule of known_values,
    from the indicator's prefetched declarations and computed values), the
    declarations and the computed values."""
    declarations = {d.year: d for d in indicator.declarations.all()}
    computed = {c.year: c for c in indicator.computed_values.all()}
    known = merge_known(
        ((year, c.value, "") for year, c in computed.items() if c.value is not None),
        ((year, d.value, d.text) for year, d in declarations.items() if d.status == DeclarationStatus.VALIDATED),
    )
    return {year: number for year, (number, _text) in known.items()}, declarations, computed


def sent_back_to(user, limit=20):
    """The values sent back to ``user``'s establishments and not yet resubmitted,
    each with the reason the ARS gave (the latest sending back), oldest first."""
    reason = DeclarationEvent.objects.filter(declaration=OuterRef("pk"), status=DeclarationStatus.SENT_BACK).order_by(
        "-at", "-pk"
    )
    return list(
        Declaration.objects.visible_to(user)
        .filter(status=DeclarationStatus.SENT_BACK)
        .select_related("indicator", "campaign", "indicator__commitment__cpom__legal_entity")
        .annotate(
            sent_back_reason=Subquery(reason.values("reason")[:1]), sent_back_at=Subquery(reason.values("at")[:1])
        )
        .order_by("sent_back_at", "pk")[:limit]
    )
