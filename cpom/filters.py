import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from cooperations.filters import FilterForm
from cooperations.models import (
    CooperationStructure,
    Department,
    Membership,
    Region,
    StructureKind,
)
from cpom.models import Cpom, CpomStatus


class CpomFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Recherche"), method="search", help_text=_("Établissement, FINESS EJ ou référence")
    )
    status = django_filters.ChoiceFilter(label=_("Étape"), choices=CpomStatus.choices, empty_label=_("Toutes"))
    department = django_filters.ModelChoiceFilter(
        label=_("Département"),
        field_name="legal_entity__department",
        queryset=Department.objects.all(),
        empty_label=_("Tous"),
    )
    ght = django_filters.ModelChoiceFilter(
        label=_("GHT"), queryset=CooperationStructure.objects.none(), method="in_ght", empty_label=_("Tous")
    )
    year = django_filters.NumberFilter(label=_("En vigueur en"), method="covers_year", help_text=_("Année, ex. 2027"))
    region = django_filters.ModelChoiceFilter(label=_("Région"), queryset=Region.objects.all(), empty_label=_("Toutes"))

    class Meta:
        model = Cpom
        fields = ["q", "status", "department", "ght", "year", "region"]
        form = FilterForm

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        ghts = CooperationStructure.objects.visible_to(user).filter(kind=StructureKind.GHT).order_by("short_code")
        if user is not None and user.is_regional:
            del self.filters["region"]
            self.filters["department"].queryset = Department.objects.filter(region_id=user.region_id)
            ghts = ghts.filter(region_id=user.region_id)
        self.filters["ght"].queryset = ghts

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(legal_entity__name__icontains=value)
            | Q(legal_entity__finess__startswith=value.replace(" ", "").upper())
            | Q(reference__icontains=value)
        )

    def in_ght(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            Exists(Membership.objects.filter(structure=value, legal_entity_id=OuterRef("legal_entity_id")))
        )

    def covers_year(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(first_year__lte=value, last_year__gte=value)
