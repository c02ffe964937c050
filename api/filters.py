"""The API's filters. They narrow what ``visible_to`` already allowed, never
widen it: every filter applies to the viewset's scoped queryset."""

from django import forms
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from cooperations.models import CooperationStructure, Establishment, LegalEntity, Membership, StructureKind
from cpom.models import Commitment, CommitmentStatus, Cpom, CpomStatus, Indicator, IndicatorKind
from indicators.models import Campaign, ComputedValue, Declaration, DeclarationStatus

YEAR_BOUNDS = {"min_value": 2000, "max_value": 2100}
ID_BOUNDS = {"min_value": 1, "max_value": 2**63 - 1}


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(filters.NumberFilter):
    """A whole number within bounds: « 1e999 » or a 30-digit id is a 400, not a database error."""

    field_class = forms.IntegerField


class SinceFilter(filters.IsoDateTimeFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("field_name", "last_change")
        kwargs.setdefault("lookup_expr", "gte")
        kwargs.setdefault(
            "label",
            _("Modifiés depuis (ISO 8601, ex. 2026-01-31T00:00:00+01:00) : pour une synchronisation incrémentale."),
        )
        super().__init__(*args, **kwargs)


def in_ght(entity_path):
    """Rows whose legal entity (at ``entity_path``) is a member of the GHT of that national code."""

    def method(queryset, name, value):
        members = Membership.objects.filter(
            legal_entity_id=OuterRef(entity_path), structure__kind=StructureKind.GHT, structure__code=value
        )
        return queryset.filter(Exists(members))

    return method


def in_force(first, last):
    def method(queryset, name, value):
        return queryset.filter(**{f"{first}__lte": value, f"{last}__gte": value})

    return method


class GeographyFilters(filters.FilterSet):
    """Région, département, FINESS EJ and GHT of the legal entity at ``entity``."""

    entity = ""
    region = filters.CharFilter(method="by_region", label=_("Code INSEE de la région (ex. 11)."))
    departement = filters.CharFilter(method="by_department", label=_("Code INSEE du département (ex. 78)."))
    finess = filters.CharFilter(method="by_finess", label=_("FINESS EJ de l’entité juridique."))
    ght = filters.CharFilter(method="by_ght", label=_("Code national du GHT (ex. 11101)."))

    def _path(self, suffix):
        return f"{self.entity}__{suffix}" if self.entity else suffix

    def by_region(self, queryset, name, value):
        return queryset.filter(**{self._path("region_id"): value})

    def by_department(self, queryset, name, value):
        return queryset.filter(**{self._path("department_id"): value})

    def by_finess(self, queryset, name, value):
        return queryset.filter(**{self._path("finess"): value})

    def by_ght(self, queryset, name, value):
        return in_ght(f"{self.entity}_id" if self.entity else "pk")(queryset, name, value)


class LegalEntityFilter(GeographyFilters):
    class Meta:
        model = LegalEntity
        fields = []


class EstablishmentFilter(filters.FilterSet):
    region = filters.CharFilter(field_name="region_id", label=_("Code INSEE de la région."))
    departement = filters.CharFilter(field_name="department_id", label=_("Code INSEE du département."))
    finess = filters.CharFilter(field_name="finess", label=_("FINESS ET de l’établissement."))
    entite = filters.CharFilter(field_name="legal_entity__finess", label=_("FINESS EJ de l’entité juridique."))
    ght = filters.CharFilter(method=in_ght("legal_entity_id"), label=_("Code national du GHT."))

    class Meta:
        model = Establishment
        fields = []


class StructureFilter(filters.FilterSet):
    region = filters.CharFilter(field_name="region_id", label=_("Code INSEE de la région de la structure."))
    forme = filters.ChoiceFilter(field_name="kind", choices=StructureKind.choices, label=_("Forme juridique."))
    membre = filters.CharFilter(method="by_member", label=_("FINESS EJ d’un membre."))

    class Meta:
        model = CooperationStructure
        fields = []

    def by_member(self, queryset, name, value):
        return queryset.filter(Exists(Membership.objects.filter(structure=OuterRef("pk"), legal_entity__finess=value)))


class CpomFilter(GeographyFilters):
    entity = "legal_entity"
    annee = IntegerFilter(
        method=in_force("first_year", "last_year"), label=_("En vigueur cette année-là."), **YEAR_BOUNDS
    )
    etape = filters.ChoiceFilter(field_name="status", choices=CpomStatus.choices, label=_("Étape du CPOM."))
    updated_since = SinceFilter()

    class Meta:
        model = Cpom
        fields = []

    def by_region(self, queryset, name, value):
        return queryset.filter(region_id=value)


class CommitmentFilter(GeographyFilters):
    entity = "cpom__legal_entity"
    cpom = IntegerFilter(field_name="cpom_id", label=_("Identifiant du CPOM."), **ID_BOUNDS)
    annee = IntegerFilter(
        method=in_force("cpom__first_year", "cpom__last_year"),
        label=_("CPOM en vigueur cette année-là."),
        **YEAR_BOUNDS,
    )
    etat = filters.ChoiceFilter(field_name="status", choices=CommitmentStatus.choices, label=_("État d’avancement."))
    theme = filters.ChoiceFilter(choices=Commitment._meta.get_field("theme").choices, label=_("Thème."))
    updated_since = SinceFilter()

    class Meta:
        model = Commitment
        fields = []

    def by_region(self, queryset, name, value):
        return queryset.filter(cpom__region_id=value)


class IndicatorFilter(GeographyFilters):
    entity = "commitment__cpom__legal_entity"
    cpom = IntegerFilter(field_name="commitment__cpom_id", label=_("Identifiant du CPOM."), **ID_BOUNDS)
    engagement = IntegerFilter(field_name="commitment_id", label=_("Identifiant de l’engagement."), **ID_BOUNDS)
    annee = IntegerFilter(
        method=in_force("commitment__cpom__first_year", "commitment__cpom__last_year"),
        label=_("CPOM en vigueur cette année-là."),
        **YEAR_BOUNDS,
    )
    nature = filters.ChoiceFilter(field_name="kind", choices=IndicatorKind.choices, label=_("Nature."))
    updated_since = SinceFilter()

    class Meta:
        model = Indicator
        fields = []

    def by_region(self, queryset, name, value):
        return queryset.filter(commitment__cpom__region_id=value)


class CampaignFilter(filters.FilterSet):
    region = filters.CharFilter(field_name="region_id", label=_("Code INSEE de la région."))
    annee = IntegerFilter(field_name="year", label=_("Année suivie."), **YEAR_BOUNDS)
    updated_since = SinceFilter()

    class Meta:
        model = Campaign
        fields = []


class DeclarationFilter(GeographyFilters):
    entity = "indicator__commitment__cpom__legal_entity"
    campagne = IntegerFilter(field_name="campaign_id", label=_("Identifiant de la campagne."), **ID_BOUNDS)
    indicateur = IntegerFilter(field_name="indicator_id", label=_("Identifiant de l’indicateur."), **ID_BOUNDS)
    annee = IntegerFilter(field_name="year", label=_("Année déclarée."), **YEAR_BOUNDS)
    statut = filters.ChoiceFilter(field_name="status", choices=DeclarationStatus.choices, label=_("Statut."))
    updated_since = SinceFilter(field_name="updated_at")

    class Meta:
        model = Declaration
        fields = []

    def by_region(self, queryset, name, value):
        return queryset.filter(campaign__region_id=value)


class ComputedValueFilter(GeographyFilters):
    entity = "indicator__commitment__cpom__legal_entity"
    indicateur = IntegerFilter(field_name="indicator_id", label=_("Identifiant de l’indicateur."), **ID_BOUNDS)
    annee = IntegerFilter(field_name="year", label=_("Année calculée."), **YEAR_BOUNDS)
    updated_since = SinceFilter(field_name="computed_at")

    class Meta:
        model = ComputedValue
        fields = []

    def by_region(self, queryset, name, value):
        return queryset.filter(indicator__commitment__cpom__region_id=value)
