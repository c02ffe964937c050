import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from cooperations.filters import (
    FilterForm,
    department_filter,
    ght_filter,
    matching_departments,
    matching_ghts,
    visible_departments,
    visible_ghts,
)
from cooperations.models import Membership, Region
from cpom.models import Cpom, CpomStatus


class CpomFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Recherche"), method="search", help_text=_("Établissement, FINESS EJ ou référence")
    )
    status = django_filters.ChoiceFilter(label=_("Étape"), choices=CpomStatus.choices, empty_label=_("Toutes"))
    department = department_filter()
    ght = ght_filter()
    year = django_filters.NumberFilter(label=_("En vigueur en"), method="covers_year", help_text=_("Année, ex. 2027"))
    region = django_filters.ModelChoiceFilter(label=_("Région"), queryset=Region.objects.all(), empty_label=_("Toutes"))

    class Meta:
        model = Cpom
        fields = ["q", "status", "department", "ght", "year", "region"]
        form = FilterForm

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user is not None and user.is_regional:
            del self.filters["region"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(legal_entity__name__icontains=value)
            | Q(legal_entity__finess__startswith=value.replace(" ", "").upper())
            | Q(reference__icontains=value)
        )

    def in_department_search(self, queryset, name, value):
        if not value.strip():
            return queryset
        return queryset.filter(legal_entity__department__in=matching_departments(visible_departments(self.user), value))

    def in_ght_search(self, queryset, name, value):
        if not value.strip():
            return queryset
        ghts = matching_ghts(visible_ghts(self.user), value)
        return queryset.filter(
            Exists(Membership.objects.filter(structure__in=ghts, legal_entity_id=OuterRef("legal_entity_id")))
        )

    def covers_year(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(first_year__lte=value, last_year__gte=value)
