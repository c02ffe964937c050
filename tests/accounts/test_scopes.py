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
