"""A small follow-up world for the consistency checks and the validation:
one région, its negotiator, signed CPOMs 2026–2030 of ``n`` entities (one
commitment, one declarative indicator each, of the same library template,
targets 10, 11, 12…), their directors, and the 2026 campaign open today."""

import datetime
from dataclasses import dataclass, field

from accounts.models import Role
from core.values import ValueType
from cpom import services as contract
from cpom.models import IndicatorKind, IndicatorTemplate
from indicators import services
from indicators.models import Declaration
from tests.accounts.factories import UserFactory
from tests.cooperations.factories import LegalEntityFactory, department, region
from tests.cpom.factories import CommitmentFactory, CpomFactory, indicator_with_targets
from tests.indicators.factories import CampaignFactory

YEAR = 2026


@dataclass
class Case:
    negotiator: object
    campaign: object
    template: object
    entities: list = field(default_factory=list)
    directors: list = field(default_factory=list)
    indicators: list = field(default_factory=list)
    seconds: list = field(default_factory=list)

    def declare(self, n, raw, comment="", submit=True):
        """Entity ``n`` declares ``raw`` for its indicator (through the service); the declaration."""
        indicator = self.indicators[n]
        entry = services.Entry(indicator, *indicator.parse(raw), comment=comment)
        services.save_declarations(self.directors[n], self.campaign, self.entities[n].pk, [entry], submit=submit)
        return Declaration.objects.get(indicator=indicator, year=YEAR)


def library_template(unit="vacations par an", value_type=ValueType.COUNT):
    return IndicatorTemplate.objects.create(
        label="Vacations de temps médical partagé (test)",
        kind=IndicatorKind.DECLARATIVE,
        value_type=value_type,
        unit=unit,
        direction="hausse",
    )


def build_case(n=1, value_type=ValueType.COUNT, unit="vacations par an", campaign_traits=None, second=False):
    """``second``: each entity's commitment has a second declarative indicator (``case.seconds``), no template."""
    negotiator = UserFactory(negotiator=True, region=region("11"))
    template = library_template(unit, value_type)
    case = Case(negotiator=negotiator, campaign=None, template=template)
    cpoms = []
    for i in range(n):
        entity = LegalEntityFactory(department=department("75"))
        cpom = CpomFactory(legal_entity=entity, first_year=YEAR, last_year=YEAR + 4, created_by=negotiator)
        commitment = CommitmentFactory(cpom=cpom, title=f"Filière {i + 1}")
        indicator = indicator_with_targets(
            commitment, label=f"Vacations partagées {i + 1}", template=template, value_type=value_type, unit=unit
        )
        if second:
            case.seconds.append(indicator_with_targets(commitment, label=f"Postes partagés {i + 1}", unit="postes"))
        contract.mark_ready_to_sign(cpom, negotiator)
        contract.sign(cpom, negotiator, datetime.date(YEAR, 1, 15))
        case.entities.append(entity)
        case.indicators.append(indicator)
        case.directors.append(UserFactory(role=Role.DIRECTOR, legal_entity=entity))
        cpoms.append(cpom)
    case.campaign = CampaignFactory(
        user=negotiator, region=region("11"), year=YEAR, cpoms=cpoms, **(campaign_traits or {})
    )
    return case
