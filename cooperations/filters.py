import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from cooperations.models import (
    Category,
    CooperationStructure,
    Department,
    Establishment,
    Family,
    Membership,
    Region,
    Sector,
    StructureKind,
)
from core.forms import DsfrFormMixin


class FilterForm(DsfrFormMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.template_name = "core/_plain_field.html"


class EstablishmentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Recherche"),
        method="search",
        help_text=_("Nom, commune ou numéro FINESS (établissement ou entité juridique)"),
    )
    region = django_filters.ModelChoiceFilter(label=_("Région"), queryset=Region.objects.all(), empty_label=_("Toutes"))
    department = django_filters.ModelChoiceFilter(
        label=_("Département"), queryset=Department.objects.all(), empty_label=_("Tous")
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Catégorie"), queryset=Category.objects.all(), empty_label=_("Toutes")
    )
    sector = django_filters.ChoiceFilter(
        label=_("Statut juridique"),
        field_name="legal_entity__legal_status__sector",
        choices=Sector.choices,
        empty_label=_("Tous"),
    )
    ght = django_filters.ModelChoiceFilter(
        label=_("GHT"),
        queryset=CooperationStructure.objects.none(),
        method="in_structure",
        empty_label=_("Tous"),
    )

    class Meta:
        model = Establishment
        fields = ["q", "region", "department", "category", "sector", "ght"]
        form = FilterForm

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        ghts = CooperationStructure.objects.visible_to(user).filter(kind=StructureKind.GHT).order_by("short_code")
        self.filters["ght"].queryset = ghts
        # Only the categories of the establishments the user sees, not the 429 of the FINESS list.
        used = Establishment.objects.visible_to(user).order_by().values("category_id").distinct()
        self.filters["category"].queryset = Category.objects.filter(pk__in=used)
        if user is not None and user.is_regional:
            # A regional user sees one région: no région filter, its départements only.
            del self.filters["region"]
            self.filters["department"].queryset = Department.objects.filter(region_id=user.region_id)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        compact = value.replace(" ", "").upper()
        return queryset.filter(
            Q(name__icontains=value)
            | Q(legal_entity__name__icontains=value)
            | Q(commune_name__icontains=value)
            | Q(finess__startswith=compact)
            | Q(legal_entity__finess__startswith=compact)
        )

    def in_structure(self, queryset, name, value):
        if not value:
            return queryset
        members = Membership.objects.filter(structure=value).filter(
            Q(legal_entity_id=OuterRef("legal_entity_id"), establishment__isnull=True)
            | Q(establishment_id=OuterRef("pk"))
        )
        return queryset.filter(Exists(members))


class StructureFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Recherche"), method="search", help_text=_("Nom, code ou FINESS"))
    kind = django_filters.ChoiceFilter(
        label=_("Forme juridique"), choices=StructureKind.choices, empty_label=_("Toutes")
    )
    family = django_filters.ChoiceFilter(label=_("Famille"), choices=Family.choices, empty_label=_("Toutes"))
    region = django_filters.ModelChoiceFilter(label=_("Région"), queryset=Region.objects.all(), empty_label=_("Toutes"))

    class Meta:
        model = CooperationStructure
        fields = ["q", "kind", "family", "region"]
        form = FilterForm

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and not user.is_admin:
            del self.filters["region"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(code__icontains=value) | Q(short_code__icontains=value) | Q(finess=value)
        )
