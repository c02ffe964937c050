"""Factories of the contract, through its services: a CPOM at the step its
trait asks (``shared``: in concertation with the director; ``ready``: to
sign; ``signed``), its commitments, indicators and targets."""

import datetime

import factory
from factory.django import DjangoModelFactory

from accounts.models import Role
from core.concurrency import edit_token
from core.values import ValueType
from cpom import services
from cpom.models import ActionKind, Commitment, Cpom, Indicator, IndicatorKind, TargetValue, Theme
from tests.accounts.factories import UserFactory
from tests.cooperations.factories import LegalEntityFactory


def _actor(cpom):
    """Who takes the CPOM's steps: its negotiator, else an admin."""
    return cpom.created_by or UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True)


class CpomFactory(DjangoModelFactory):
    class Meta:
        model = Cpom

    legal_entity = factory.SubFactory(LegalEntityFactory)
    first_year = 2026
    last_year = 2030
    reference = ""
    created_by = None
    # The step to reach, through the services (the traits set it).
    step = "preparation"
    # With ``step`` beyond preparation: commitments with an indicator each, before the steps are taken.
    commitments = 0

    class Params:
        shared = factory.Trait(step="concertation")
        ready = factory.Trait(step="a_signer", commitments=1)
        signed = factory.Trait(step="signe", commitments=1)

    @classmethod
    def _create(cls, model_class, legal_entity, first_year, last_year, reference, created_by, step, commitments):
        cpom = services.create_cpom(created_by, legal_entity, first_year, last_year, reference=reference)
        for _ in range(commitments):
            indicator_with_targets(CommitmentFactory(cpom=cpom))
        actor = _actor(cpom)
        if step == "concertation":
            services.share_with_director(cpom, actor)
        if step in ("a_signer", "signe"):
            services.mark_ready_to_sign(cpom, actor)
        if step == "signe":
            services.sign(cpom, actor, datetime.date(first_year, 1, 15))
        cpom.refresh_from_db()
        return cpom


def cpom_for(entity, first_year=2026, last_year=2030, user=None, **fields):
    """A CPOM in preparation, through the service that creates its initial version."""
    return CpomFactory(legal_entity=entity, first_year=first_year, last_year=last_year, created_by=user, **fields)


class CommitmentFactory(DjangoModelFactory):
    class Meta:
        model = Commitment

    title = factory.Sequence(lambda n: f"Filière de test {n}")
    action_kind = ActionKind.PATHWAYS
    theme = Theme.MEDICAL
    objective = "Structurer la filière gériatrique entre les sites."
    position = factory.Sequence(lambda n: n)


class IndicatorFactory(DjangoModelFactory):
    class Meta:
        model = Indicator

    commitment = factory.SubFactory(CommitmentFactory)
    label = factory.Sequence(lambda n: f"Nombre de vacations partagées {n}")
    kind = IndicatorKind.DECLARATIVE
    value_type = ValueType.COUNT
    unit = "vacations"

    class Params:
        computed = factory.Trait(
            label="Taux de fuite",
            kind=IndicatorKind.AUTOMATABLE,
            computation="taux_de_fuite",
            value_type=ValueType.PERCENTAGE,
            unit="",
        )


def indicator_with_targets(commitment, values=None, **fields):
    """An indicator with a target for every year of its CPOM (``values`` by year)."""
    indicator = IndicatorFactory(commitment=commitment, **fields)
    for offset, year in enumerate(commitment.cpom.years):
        value = (values or {}).get(year, 10 + offset)
        TargetValue.objects.create(indicator=indicator, year=year, value=value)
    return indicator


def signed_cpom(user, entity, first_year, last_year, indicators=1, title="Engagement suivi", computed=False):
    """A signed CPOM with one commitment and ``indicators`` declarative
    indicators with a target each year (10, 11, 12…), and with ``computed``
    a computed leakage rate."""
    cpom = CpomFactory(legal_entity=entity, first_year=first_year, last_year=last_year, created_by=user)
    commitment = CommitmentFactory(cpom=cpom, title=title)
    for n in range(indicators):
        indicator_with_targets(commitment, label=f"Vacations partagées {n + 1}")
    if computed:
        indicator_with_targets(commitment, computed=True)
    services.mark_ready_to_sign(cpom, user)
    services.sign(cpom, user, datetime.date(first_year, 1, 15))
    return cpom


def commitment_post_data(commitment, **overrides):
    """What the commitment page posts for ``commitment``, no partner nor indicator rows."""
    data = {
        "title": commitment.title,
        "action_kind": commitment.action_kind,
        "theme": commitment.theme,
        "objective": commitment.objective,
        "status": commitment.status,
        "edit_token": edit_token(commitment) or "",
        "partenaires-TOTAL_FORMS": "0",
        "partenaires-INITIAL_FORMS": "0",
        "indicateurs-TOTAL_FORMS": "0",
        "indicateurs-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data
