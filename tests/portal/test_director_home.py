"""The director's home says what waits on him: values sent back with their
reason, his unread notifications, the open campaigns' deadlines."""

import pytest
from django.urls import reverse

from indicators import services as follow_up
from tests.accounts.factories import UserFactory
from tests.cooperations.factories import EstablishmentFactory, LegalEntityFactory, department
from tests.cpom.factories import signed_cpom
from tests.indicators.factories import DeclarationFactory, open_campaign_for

pytestmark = pytest.mark.django_db


def test_the_home_lists_values_sent_back_with_their_reason_and_unread_notifications(client):
    entity = LegalEntityFactory(name="CH Alpha", department=department("78"))
    EstablishmentFactory(legal_entity=entity)
    other = LegalEntityFactory(name="CH Autre", department=department("78"))
    nego = UserFactory(negotiator=True)
    director = UserFactory(director=True, legal_entity=entity)
    other_director = UserFactory(director=True, legal_entity=other)
    cpom = signed_cpom(nego, entity, 2024, 2025, title="Filière suivie")
    other_cpom = signed_cpom(nego, other, 2024, 2025, title="Filière autre")
    campaign = open_campaign_for(nego, cpom.region, 2025, [cpom, other_cpom])
    mine = DeclarationFactory(
        campaign=campaign,
        indicator=cpom.commitments.get().indicators.get(),
        director=director,
        raw="12",
        submitted=True,
    )
    theirs = DeclarationFactory(
        campaign=campaign,
        indicator=other_cpom.commitments.get().indicators.get(),
        director=other_director,
        raw="11",
        submitted=True,
    )
    follow_up.send_back(nego, mine, "Le total ne correspond pas au bilan")
    follow_up.send_back(nego, theirs, "Motif d’un autre établissement")

    client.force_login(director)
    page = client.get(reverse("home")).content.decode()
    assert "Une valeur renvoyée pour correction" in page
    assert "Le total ne correspond pas au bilan" in page
    assert "Motif d’un autre établissement" not in page
    assert reverse("indicators:declare", args=[campaign.pk, entity.finess]) in page
    assert 'data-testid="home-notifications"' in page
    assert "renvoyée pour correction" in page
    assert f"Déclarations jusqu’au {campaign.closes_on:%d/%m/%Y}" in page


def test_nothing_waiting_says_so(client):
    entity = LegalEntityFactory(department=department("78"))
    EstablishmentFactory(legal_entity=entity)
    client.force_login(UserFactory(director=True, legal_entity=entity))
    assert "Rien ne vous attend pour l’instant." in client.get(reverse("home")).content.decode()
