"""The scope predicates and the one ladder of ``visible_to``."""

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.scopes import member_of, negotiates_in, reads_region, scoped
from cooperations.models import LegalEntity

pytestmark = pytest.mark.django_db


def test_predicates_for_each_role(world):
    users, entities = world["users"], world["entities"]
    a = entities["a"]
    assert negotiates_in(users["negotiator"], "11") and not negotiates_in(users["negotiator"], "32")
    assert negotiates_in(users["admin"], "32")
    assert not negotiates_in(users["observer"], "11") and reads_region(users["observer"], "11")
    assert not reads_region(users["observer"], "32") and not reads_region(users["director"], "11")
    assert member_of(users["director"], a.pk) and not member_of(users["director"], entities["c"].pk)
    assert not member_of(users["negotiator"], a.pk)
    anonymous = AnonymousUser()
    assert not (negotiates_in(anonymous, "11") or reads_region(anonymous, "11") or member_of(anonymous, a.pk))


def test_the_ladder(world):
    users, entities = world["users"], world["entities"]
    everything = LegalEntity.objects.all()
    assert scoped(everything, users["admin"], region="region_id").count() == everything.count()
    assert set(scoped(everything, users["negotiator"], region="region_id", entity="pk")) == set(
        everything.filter(region_id="11")
    )
    assert list(scoped(everything, users["director"], region="region_id", entity="pk")) == [entities["a"]]
    # A side left out sees nothing; nobody signed out sees anything.
    assert not scoped(everything, users["director"], region="region_id").exists()
    assert not scoped(everything, AnonymousUser(), region="region_id", entity="pk").exists()


def test_rows_under_a_cpom_follow_the_cpoms_ladder(follow_up_scenario):
    """Commitments, indicators, declarations and reviews are seen exactly when
    their CPOM is (cpom.models.with_visible_cpom writes the CPOM's ladder on
    each query's own join), for every role, a never-shared draft included."""
    from cpom.models import Commitment, Cpom, Indicator
    from indicators.models import Declaration
    from reviews.models import AnnualReview
    from tests.cpom.factories import CommitmentFactory, indicator_with_targets

    world = follow_up_scenario
    hidden = indicator_with_targets(CommitmentFactory(cpom=world["cpom_a_draft"]))  # entity A's unshared draft
    Declaration.objects.create(
        indicator=hidden, campaign=world["campaign_idf"], year=world["campaign_idf"].year, value=3
    )
    paths = {Commitment: "cpom", Indicator: "commitment__cpom", Declaration: "indicator__commitment__cpom"}
    paths[AnnualReview] = "cpom"
    seen_somewhere = set()
    for user in [*world["users"].values(), AnonymousUser()]:
        cpoms = Cpom.objects.visible_to(user)
        for model, path in paths.items():
            visible = set(model.objects.visible_to(user))
            assert visible == set(model.objects.filter(**{f"{path}__in": cpoms})), (model.__name__, user)
            if visible and len(visible) < model.objects.count():
                seen_somewhere.add(model)
    assert set(paths) - {AnnualReview} <= seen_somewhere  # a role saw part of them: the test can tell
    director = world["users"]["director"]
    assert not Indicator.objects.visible_to(director).filter(pk=hidden.pk).exists()
    assert Indicator.objects.visible_to(world["users"]["negotiator"]).filter(pk=hidden.pk).exists()
