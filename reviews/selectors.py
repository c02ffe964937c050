"""Reads of the reviews that compose several models: the links a CPOM's page
shows, and the région's page of reviews (which CPOMs had their review of a
year, which are late, the statuses of the commitments by theme)."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone

from cpom.models import Cpom, Theme
from indicators.models import Campaign, CampaignPhase
from reviews import permissions
from reviews.models import ACHIEVEMENT_BADGES, Achievement, AnnualReview, FinalEvaluation, ReviewItem

# A review is late when it is not finalized this long after the end of its
# campaign's corrections: the values are final, the meeting is due within a term.
REVIEW_DUE_AFTER = datetime.timedelta(days=90)


def cpom_links(user, cpom) -> dict:
    """What the CPOM page shows of its reviews and evaluation, for ``user``."""
    if not cpom.has_been_signed:
        return {}
    reviews = {review.year: review for review in AnnualReview.objects.filter(cpom=cpom)}
    leads = permissions.leads(user, cpom)
    years = [(year, reviews.get(year)) for year in cpom.years if year in reviews or leads]
    evaluation = FinalEvaluation.objects.filter(cpom=cpom).first()
    return {
        "review_years": years,
        "evaluation": evaluation,
        "can_open_evaluation": leads and evaluation is None and timezone.localdate().year >= cpom.last_year,
        "carried_from": list(FinalEvaluation.objects.filter(next_cpom=cpom).select_related("cpom")),
    }


@dataclass
class CpomRow:
    cpom: Cpom
    review: AnnualReview | None
    late: bool
    counts: dict = field(default_factory=dict)

    @property
    def ordered_counts(self):
        return [self.counts.get(value, 0) for value in Achievement.values]


# The SVG bars of the statuses by theme: their width in the viewport, the colour of each status.
BAR_WIDTH = 400
ROW_HEIGHT = 26
COLOURS = {
    Achievement.DONE: "#18753c",
    Achievement.ON_TRACK: "#0063cb",
    Achievement.LATE: "#ce0500",
    Achievement.ABANDONED: "#666666",
}


@dataclass
class Segment:
    achievement: Achievement
    count: int
    share: int
    x: float
    width: float

    @property
    def colour(self):
        return COLOURS[self.achievement]

    @property
    def badge(self):
        return ACHIEVEMENT_BADGES[self.achievement]


@dataclass
class ThemeRow:
    theme: str
    label: str
    segments: list
    total: int
    y: int = 0


def region_overview(region_id, year, today=None) -> dict:
    """The signed CPOMs of a région (all régions: ``region_id`` None) running
    in ``year``, each with its review of that year and whether it is late;
    the statuses retained for the commitments of those reviews, by theme.
    A fixed number of queries."""
    today = today or timezone.localdate()
    cpoms = Cpom.objects.filter(signed_on__isnull=False, first_year__lte=year, last_year__gte=year)
    campaigns = Campaign.objects.filter(year=year)
    if region_id is not None:
        cpoms, campaigns = cpoms.filter(region_id=region_id), campaigns.filter(region_id=region_id)
    # What the table and its CSV show of a CPOM and its entity: France has some 3,000 of them.
    shown = ("first_year", "last_year", "legal_entity__name", "legal_entity__finess", "region__name")
    cpoms = cpoms.select_related("legal_entity", "region").only("legal_entity", "region", *shown)
    cpoms = list(cpoms.order_by("legal_entity__name", "pk"))
    reviews = {r.cpom_id: r for r in AnnualReview.objects.filter(cpom_id__in=[cpom.pk for cpom in cpoms], year=year)}
    review_ids = [review.pk for review in reviews.values()]
    # The CPOMs whose campaign's values are final, and since when.
    # (Read through the campaigns' links: loading every CPOM of France a second time cost more than the rest.)
    closed = {
        campaign.pk: campaign.corrections_until
        for campaign in campaigns
        if campaign.phase(today) == CampaignPhase.CLOSED
    }
    closed_since = {}
    links = Campaign.cpoms.through.objects.filter(campaign_id__in=closed).order_by("campaign_id", "cpom_id")
    for campaign_id, cpom_id in links.values_list("campaign_id", "cpom_id"):
        closed_since[cpom_id] = closed[campaign_id]
    counts = {}
    for row in (
        ReviewItem.objects.filter(review_id__in=review_ids).values("review__cpom_id", "status").annotate(n=Count("pk"))
    ):
        counts.setdefault(row["review__cpom_id"], {})[row["status"]] = row["n"]
    rows = []
    for cpom in cpoms:
        review = reviews.get(cpom.pk)
        closed = closed_since.get(cpom.pk)
        late = (review is None or not review.is_finalized) and closed is not None and today > closed + REVIEW_DUE_AFTER
        rows.append(CpomRow(cpom, review, late, counts.get(cpom.pk, {})))
    by_theme = {}
    for row in ReviewItem.objects.filter(review_id__in=review_ids).values("theme", "status").annotate(n=Count("pk")):
        by_theme.setdefault(row["theme"], {})[row["status"]] = row["n"]
    themes = []
    for theme in Theme:
        found = by_theme.get(theme.value, {})
        total = sum(found.values())
        segments, x = [], 0.0
        for achievement in Achievement:
            count = found.get(achievement.value, 0)
            width = BAR_WIDTH * count / total if total else 0
            segments.append(Segment(achievement, count, round(100 * count / total) if total else 0, x, width))
            x += width
        themes.append(ThemeRow(theme.value, theme.label, segments, total, y=ROW_HEIGHT * len(themes)))
    return {
        "rows": rows,
        "themes": themes,
        "chart_height": ROW_HEIGHT * len(themes),
        "held": sum(1 for row in rows if row.review is not None and row.review.is_finalized),
        "in_progress": sum(1 for row in rows if row.review is not None and not row.review.is_finalized),
        "late": sum(1 for row in rows if row.late),
    }
