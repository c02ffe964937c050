"""The factories' state traits reach their state through the services."""

import pytest

from cpom.models import CpomStatus
from indicators.models import CampaignPhase, DeclarationStatus
from tests.accounts.factories import UserFactory
from tests.cpom.factories import CpomFactory
from tests.indicators.factories import CampaignFactory, DeclarationFactory


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("trait", "status"),
    [({}, CpomStatus.PREPARATION), ({"shared": True}, CpomStatus.CONCERTATION),
     ({"ready": True}, CpomStatus.TO_SIGN), ({"signed": True}, CpomStatus.SIGNED)],
)  # fmt: skip
def test_a_cpom_at_each_step(world, trait, status):
    cpom = CpomFactory(legal_entity=world["entities"]["d"], created_by=world["users"]["negotiator_other"], **trait)
    assert cpom.status == status
    assert cpom.versions.filter(signed_on__isnull=False).exists() is (status == CpomStatus.SIGNED)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("trait", "phase"),
    [({}, CampaignPhase.DECLARATION), ({"upcoming": True}, CampaignPhase.UPCOMING),
     ({"in_corrections": True}, CampaignPhase.CORRECTION), ({"closed": True}, CampaignPhase.CLOSED)],
)  # fmt: skip
def test_a_campaign_in_each_phase(world, trait, phase):
    nego = world["users"]["negotiator_other"]
    cpom = CpomFactory(legal_entity=world["entities"]["d"], first_year=2024, last_year=2026, created_by=nego,
                       signed=True)  # fmt: skip
    campaign = CampaignFactory(user=nego, region=cpom.region, year=2024, cpoms=[cpom], **trait)
    assert campaign.current_phase == phase


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("trait", "status"),
    [({}, DeclarationStatus.DRAFT), ({"submitted": True}, DeclarationStatus.SUBMITTED),
     ({"sent_back": True}, DeclarationStatus.SENT_BACK), ({"validated": True}, DeclarationStatus.VALIDATED)],
)  # fmt: skip
def test_a_declaration_at_each_status(world, trait, status):
    nego, delta = world["users"]["negotiator_other"], world["entities"]["d"]
    director = UserFactory(director=True, legal_entity=delta)
    cpom = CpomFactory(legal_entity=delta, first_year=2024, last_year=2026, created_by=nego, signed=True)
    indicator = cpom.commitments.get().indicators.get()
    campaign = CampaignFactory(user=nego, region=cpom.region, year=2024, cpoms=[cpom])
    declaration = DeclarationFactory(campaign=campaign, indicator=indicator, director=director, ars=nego, **trait)
    assert declaration.status == status
