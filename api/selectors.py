"""Reads of the API that compose several models: the date an object last
changed (its own fields, or a row that belongs to it), for ``updated_since``.
Computed in the database from the change history, one subquery each."""

from django.db.models import F, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest

from cpom.models import CommitmentPartner, CpomVersion, Indicator, TargetValue
from indicators.models import Campaign


def _last_history(model, field):
    """The latest change recorded in ``model``'s history for the outer row (``field``: the row's id there)."""
    historical = model.history.model.objects.filter(**{field: OuterRef("pk")}).order_by()
    return Subquery(historical.values(field).annotate(last=Max("history_date")).values("last")[:1])


def _latest(own, related):
    """The later of two dates, either of which may be missing (SQLite's MAX is NULL if one is)."""
    return Greatest(Coalesce(own, related), Coalesce(related, own))


def cpoms_with_last_change(queryset):
    return queryset.annotate(last_change=_latest(F("updated_at"), _last_history(CpomVersion, "cpom_id")))


def commitments_with_last_change(queryset):
    return queryset.annotate(last_change=_latest(F("updated_at"), _last_history(CommitmentPartner, "commitment_id")))


def indicators_with_last_change(queryset):
    return queryset.annotate(
        last_change=_latest(_last_history(Indicator, "id"), _last_history(TargetValue, "indicator_id"))
    )


def campaigns_with_last_change(queryset):
    return queryset.annotate(last_change=_latest(F("created_at"), _last_history(Campaign, "id")))
