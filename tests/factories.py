import factory
from factory.django import DjangoModelFactory

from accounts.models import Role, User
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
from core.values import ValueType
from cpom.models import ActionKind, Commitment, Indicator, IndicatorKind, TargetValue, Theme
from cpom.services import create_cpom


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


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.OBSERVER
    region = factory.LazyAttribute(lambda o: region("11") if o.role in (Role.NEGOTIATOR, Role.OBSERVER) else None)
    password = factory.PostGenerationMethodCall("set_password", "motdepasse-test-123")

    @factory.post_generation
    def persist(obj, create, extracted, **kwargs):  # noqa: N805 - factory_boy passes the object
        if create:
            obj.save()


def cpom_for(entity, first_year=2026, last_year=2030, user=None, **fields):
    """A CPOM in preparation, through the service that creates its initial version."""
    cpom = create_cpom(user, entity, first_year, last_year, **fields)
    return cpom


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


def indicator_with_targets(commitment, values=None, **fields):
    """An indicator with a target for every year of its CPOM (``values`` by year)."""
    indicator = IndicatorFactory(commitment=commitment, **fields)
    for offset, year in enumerate(commitment.cpom.years):
        value = (values or {}).get(year, 10 + offset)
        TargetValue.objects.create(indicator=indicator, year=year, value=value)
    return indicator


def commitment_post_data(commitment, **overrides):
    """What the commitment page posts for ``commitment``, no partner nor indicator rows."""
    data = {
        "title": commitment.title,
        "action_kind": commitment.action_kind,
        "theme": commitment.theme,
        "objective": commitment.objective,
        "status": commitment.status,
        "version": commitment.version,
        "partenaires-TOTAL_FORMS": "0",
        "partenaires-INITIAL_FORMS": "0",
        "indicateurs-TOTAL_FORMS": "0",
        "indicateurs-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data
