"""Where a campaign stands: per establishment and for the région, counted in
the database in a fixed number of queries whatever the number of
establishments."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, FilteredRelation, Q
from django.utils import timezone

from accounts.models import EntityMembership, Function, Role, User
from indicators.models import Campaign, CampaignPhase, DeclarationStatus

ENTITY = "commitment__cpom__legal_entity"
REMINDER_DAYS = 7


def _with_declaration(indicators, year):
    return indicators.annotate(decl=FilteredRelation("declarations", condition=Q(declarations__year=year)))


def _pending():
    """Due but neither submitted nor validated: nothing, a draft, or sent back."""
    return Q(decl__isnull=True) | Q(decl__status__in=[DeclarationStatus.DRAFT, DeclarationStatus.SENT_BACK])


def entity_rows(campaign, day=None):
    """One row per legal entity covered: due, draft, submitted, validated,
    sent back, late (still missing once the declaration window closed), and
    its completion rate."""
    past_closing = campaign.phase(day) in (CampaignPhase.CORRECTION, CampaignPhase.CLOSED)
    rows = (
        _with_declaration(campaign.due_indicators(), campaign.year)
        .values(f"{ENTITY}_id", f"{ENTITY}__name", f"{ENTITY}__finess")
        .annotate(
            due=Count("pk"),
            draft=Count("pk", filter=Q(decl__status=DeclarationStatus.DRAFT)),
            submitted=Count("pk", filter=Q(decl__status=DeclarationStatus.SUBMITTED)),
            validated=Count("pk", filter=Q(decl__status=DeclarationStatus.VALIDATED)),
            sent_back=Count("pk", filter=Q(decl__status=DeclarationStatus.SENT_BACK)),
            missing=Count("pk", filter=Q(decl__isnull=True) | Q(decl__status=DeclarationStatus.DRAFT)),
        )
        .order_by(f"{ENTITY}__name")
    )
    return [
        EntityProgress(
            legal_entity_id=row[f"{ENTITY}_id"],
            name=row[f"{ENTITY}__name"],
            finess=row[f"{ENTITY}__finess"],
            due=row["due"],
            draft=row["draft"],
            submitted=row["submitted"],
            validated=row["validated"],
            sent_back=row["sent_back"],
            late=row["missing"] if past_closing else 0,
        )
        for row in rows
    ]


@dataclass
class EntityProgress:
    legal_entity_id: int
    name: str
    finess: str
    due: int
    draft: int = 0
    submitted: int = 0
    validated: int = 0
    sent_back: int = 0
    late: int = 0

    @property
    def answered(self):
        return self.submitted + self.validated

    @property
    def completion(self):
        """Share of the due values submitted or validated, in percent."""
        return round(100 * self.answered / self.due) if self.due else 0


def region_totals(rows):
    total = EntityProgress(legal_entity_id=0, name="", finess="", due=0)
    for row in rows:
        for name in ("due", "draft", "submitted", "validated", "sent_back", "late"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return total


def directors_of(legal_entity_ids):
    """The active directors of these entities who have an email address."""
    return (
        User.objects.filter(
            role=Role.DIRECTOR,
            is_active=True,
            entity_memberships__legal_entity_id__in=legal_entity_ids,
            entity_memberships__function=Function.DIRECTOR,
            email__gt="",
        )
        .distinct()
        .order_by("pk")
    )


def reminder_recipients(campaign):
    """The directors of the entities that still have due values neither
    submitted nor validated, with how many each."""
    missing = dict(
        _with_declaration(campaign.due_indicators(), campaign.year)
        .filter(_pending())
        .values_list(f"{ENTITY}_id")
        .annotate(n=Count("pk"))
        .values_list(f"{ENTITY}_id", "n")
    )
    held = EntityMembership.objects.filter(legal_entity_id__in=missing, function=Function.DIRECTOR)
    held = held.values_list("user_id", "legal_entity_id")
    counts = {}
    for user_id, entity_id in held:
        counts[user_id] = counts.get(user_id, 0) + missing[entity_id]
    return [(director, counts[director.pk]) for director in directors_of(missing)]


def campaigns_to_remind(day=None):
    """Campaigns whose closing date is seven days away or less and that have
    not sent their reminder yet."""
    day = day or timezone.localdate()
    return Campaign.objects.filter(
        reminder_sent_on__isnull=True,
        opens_on__lte=day,
        closes_on__gte=day,
        closes_on__lte=day + datetime.timedelta(days=REMINDER_DAYS),
    )
