"""Factories of the register: geography, legal entities, sites, cooperation
structures and their members (the scoping roots every other app hangs on)."""

import factory
from factory.django import DjangoModelFactory

from cooperations.finess import with_check_key as finess_with_key
from cooperations.models import (
    CompositionSource,
    CooperationStructure,
    Department,
    Establishment,
    LegalEntity,
    LegalStatus,
    MemberRole,
    Membership,
    Region,
    StructureKind,
)


def region(code="11"):
    return Region.objects.get(code=code)


def department(code="75"):
    return Department.objects.get(code=code)


class LegalEntityFactory(DjangoModelFactory):
    class Meta:
        model = LegalEntity

    finess = factory.Sequence(lambda n: finess_with_key(f"75{900000 + n:06d}"))
    name = factory.Sequence(lambda n: f"Centre hospitalier de test {n}")
    department = factory.LazyFunction(lambda: department("75"))
    legal_status = factory.LazyFunction(lambda: LegalStatus.objects.get(code="13"))


class EstablishmentFactory(DjangoModelFactory):
    class Meta:
        model = Establishment

    finess = factory.Sequence(lambda n: finess_with_key(f"75{100000 + n:06d}"))
    name = factory.Sequence(lambda n: f"Site hospitalier {n}")
    legal_entity = factory.SubFactory(LegalEntityFactory)
    department = factory.LazyAttribute(lambda o: o.legal_entity.department)
    category_id = "355"
    commune_name = "Paris"


class StructureFactory(DjangoModelFactory):
    class Meta:
        model = CooperationStructure

    kind = StructureKind.GCS_MEANS
    name = factory.Sequence(lambda n: f"GCS de test {n}")
    region = factory.LazyFunction(lambda: region("11"))


class GhtFactory(StructureFactory):
    kind = StructureKind.GHT
    name = factory.Sequence(lambda n: f"GHT de test {n}")
    code = factory.Sequence(lambda n: f"11{900 + n:03d}")
    short_code = factory.Sequence(lambda n: f"TST-{n % 100:02d}")
    composition_source = CompositionSource.RECONSTRUCTED


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    structure = factory.SubFactory(StructureFactory)
    legal_entity = factory.SubFactory(LegalEntityFactory)
    role = MemberRole.MEMBER

    class Params:
        support = factory.Trait(role=MemberRole.SUPPORT)
        partner = factory.Trait(role=MemberRole.PARTNER)


__all__ = [
    "EstablishmentFactory",
    "GhtFactory",
    "LegalEntityFactory",
    "MembershipFactory",
    "StructureFactory",
    "department",
    "finess_with_key",
    "region",
]
