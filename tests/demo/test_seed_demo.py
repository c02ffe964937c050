"""``make demo`` from an empty database: the real reference data, then the
demo (its GHT memberships, CPOMs, campaign, diagnostic and a user per role)."""

import pytest
from django.core.management import call_command

from accounts.models import Role, User
from cooperations.models import CompositionSource, CooperationStructure
from cpom.models import Cpom


@pytest.mark.django_db
def test_reference_data_then_seed_demo_builds_the_demo():
    call_command("load_reference_data", verbosity=0)
    assert not CooperationStructure.objects.filter(composition_source=CompositionSource.RECONSTRUCTED).exists()
    call_command("seed_demo")
    roles = dict(
        User.objects.filter(username__in=["admin", "negociateur", "observateur", "directeur"]).values_list(
            "username", "role"
        )
    )
    assert roles == {
        "admin": Role.ADMIN,
        "negociateur": Role.NEGOTIATOR,
        "observateur": Role.OBSERVER,
        "directeur": Role.DIRECTOR,
    }
    director = User.objects.get(username="directeur")
    entity = director.legal_entities.get()
    assert entity.memberships.filter(structure__kind="ght").exists()
    assert Cpom.objects.filter(reference__startswith="DEMO-", legal_entity=entity).exists()
    call_command("seed_demo")  # idempotent
    assert (
        Cpom.objects.filter(reference__startswith="DEMO-").count()
        == Cpom.objects.filter(reference__startswith="DEMO-").values("reference").distinct().count()
    )
