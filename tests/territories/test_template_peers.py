"""The distribution of a library template's validated values among the CPOMs
that follow it, and its 5-establishment rule."""

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from cpom.models import Indicator, IndicatorTemplate
from territories.peers import template_distributions
from tests.accounts.factories import UserFactory
from tests.cooperations.factories import LegalEntityFactory, department, region
from tests.cpom.factories import signed_cpom
from tests.indicators.factories import CampaignFactory, DeclarationFactory

pytestmark = pytest.mark.django_db


def _followed(count):
    """``count`` Île-de-France entities following one template, validated values 10, 20, 30…"""
    negotiator = UserFactory(negotiator=True)
    template = IndicatorTemplate.objects.first()
    cpoms, directors = [], []
    for n in range(count):
        entity = LegalEntityFactory(name=f"CH Modèle {n}", department=department("75"))
        cpom = signed_cpom(negotiator, entity, 2025, 2029)
        Indicator.objects.filter(commitment__cpom=cpom).update(template=template)
        cpoms.append(cpom)
        directors.append(UserFactory(director=True, legal_entity=entity))
    campaign = CampaignFactory(user=negotiator, region=region("11"), year=2025, cpoms=cpoms)
    indicators = []
    for n, (cpom, director) in enumerate(zip(cpoms, directors, strict=True)):
        indicator = Indicator.objects.get(commitment__cpom=cpom)
        DeclarationFactory(campaign=campaign, indicator=indicator, director=director, raw=str(10 * (n + 1)), comment="Écart expliqué au dialogue de gestion",
                           validated=True, ars=negotiator)  # fmt: skip
        indicators.append(indicator)
    return negotiator, directors, indicators


@pytest.mark.parametrize(("count", "director_sees"), [(5, True), (4, False)])
def test_director_sees_the_distribution_only_from_five_entities(count, director_sees):
    negotiator, directors, indicators = _followed(count)
    own = Indicator.objects.select_related("commitment__cpom__region").get(pk=indicators[0].pk)
    for_director = template_distributions(directors[0], [own])[own.pk]
    region_group = for_director.distributions[0]
    assert (region_group.scope, region_group.count) == ("region", count)
    assert region_group.shown is director_sees
    assert for_director.named == []
    assert for_director.own == 10
    for_negotiator = template_distributions(negotiator, [own])[own.pk]
    assert for_negotiator.distributions[0].shown
    assert [name for name, _finess, _value in for_negotiator.named][:2] == ["CH Modèle 0", "CH Modèle 1"]


def test_indicator_include_renders_for_the_indicator_page():
    _negotiator, directors, indicators = _followed(5)
    request = RequestFactory().get("/")
    request.user = directors[0]
    html = Template("{% load territories %}{% indicator_peers indicator %}").render(
        Context({"request": request, "indicator": indicators[0]})
    )
    assert 'data-testid="indicator-peers"' in html
    assert "CH Modèle 1" not in html  # never another entity's name for a director
    assert "Médiane" in html and "30" in html  # the median of 10…50


def test_the_indicator_page_carries_the_peer_distribution(client):
    _negotiator, directors, indicators = _followed(5)
    client.force_login(directors[0])
    page = client.get(reverse("indicators:indicator_detail", args=[indicators[0].pk])).content.decode()
    assert 'data-testid="indicator-peers"' in page
    assert "CH Modèle 1" not in page


def test_the_indicator_page_queries_do_not_grow_with_the_entities_compared(client):
    """No entity to compare with, or six: the same SQL queries (the template and the région come with the indicator)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from indicators.models import Declaration, DeclarationStatus

    negotiator, _directors, indicators = _followed(6)
    others = Declaration.objects.filter(indicator__in=indicators[1:])
    url = reverse("indicators:indicator_detail", args=[indicators[0].pk])
    client.force_login(negotiator)
    counts = []
    for status in (DeclarationStatus.SUBMITTED, DeclarationStatus.VALIDATED):
        others.update(status=status)
        client.get(url)  # the caches filled
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url).content.decode()
        compared = status == DeclarationStatus.VALIDATED
        assert page.count('data-row="template-') == (2 if compared else 0)  # région and France, 6 entities
        assert ("<td>6</td>" in page) is compared
        counts.append(len(queries))
    assert counts[0] == counts[1]
