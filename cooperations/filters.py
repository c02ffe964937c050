import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse_lazy
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


# --- Searches with suggestions instead of long selects ---------------------------------------------
#
# A national user's filters had 135 GHT and 101 départements as <option>s, rendered through templates
# on every list page (issue 19). They are text fields: a code or a name, filtered server-side (without
# JavaScript, « 59 », « Nord » or « GHT Artois » filter the list); static/js/suggest.js fills a
# <datalist> from the suggestion endpoint (cooperations.views.suggestions) as the user types.

SUGGESTION_LIMIT = 12


def suggest_input(kind, placeholder):
    return forms.TextInput(
        attrs={
            "data-suggest": reverse_lazy("cooperations:suggestions", args=[kind]),
            "autocomplete": "off",
            "placeholder": placeholder,
        }
    )


def visible_ghts(user):
    ghts = CooperationStructure.objects.visible_to(user).filter(kind=StructureKind.GHT)
    if user is not None and user.is_regional:
        ghts = ghts.filter(region_id=user.region_id)
    return ghts


def visible_departments(user):
    if user is not None and user.is_regional:
        return Department.objects.filter(region_id=user.region_id)
    return Department.objects.all()


def matching_ghts(ghts, value):
    """The GHT a search names: its number, its code (« HDF-01 »), or a part of its name."""
    value = value.strip()
    if not value:
        return ghts.none()
    exact = Q(code__iexact=value) | Q(short_code__iexact=value)
    if value.isdigit():
        exact |= Q(pk=int(value)) if len(value) < 10 else Q()
    named = ghts.filter(exact)
    return named if named.exists() else ghts.filter(name__icontains=value)


def matching_departments(departments, value):
    """The départements a search names: their code (« 59 », « 2A ») or a part of their name."""
    value = value.strip()
    if not value:
        return departments.none()
    by_code = departments.filter(code__iexact=value.upper())
    return by_code if by_code.exists() else departments.filter(name__icontains=value)


def ght_filter():
    return django_filters.CharFilter(
        label=_("GHT"),
        method="in_ght_search",
        widget=suggest_input("ght", _("Code ou nom")),
        help_text=_("Code ou nom du GHT"),
    )


def department_filter():
    return django_filters.CharFilter(
        label=_("Département"),
        method="in_department_search",
        widget=suggest_input("departement", _("Code ou nom")),
        help_text=_("Code ou nom"),
    )


class EstablishmentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Recherche"),
        method="search",
        help_text=_("Nom, commune ou numéro FINESS (établissement ou entité juridique)"),
    )
    region = django_filters.ModelChoiceFilter(label=_("Région"), queryset=Region.objects.all(), empty_label=_("Toutes"))
    department = department_filter()
    category = django_filters.ModelChoiceFilter(
        label=_("Catégorie"), queryset=Category.objects.all(), empty_label=_("Toutes")
    )
    sector = django_filters.ChoiceFilter(
        label=_("Statut juridique"),
        field_name="legal_entity__legal_status__sector",
        choices=Sector.choices,
        empty_label=_("Tous"),
    )
    ght = ght_filter()

    class Meta:
        model = Establishment
        fields = ["q", "region", "department", "category", "sector", "ght"]
        form = FilterForm

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # Only the categories of the establishments the user sees, not the 429 of the FINESS list.
        used = Establishment.objects.visible_to(user).order_by().values("category_id").distinct()
        self.filters["category"].queryset = Category.objects.filter(pk__in=used)
        if user is not None and user.is_regional:
            # A regional user sees one région: no région filter, its départements only.
            del self.filters["region"]

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

    def in_department_search(self, queryset, name, value):
        if not value.strip():
            return queryset
        return queryset.filter(department__in=matching_departments(visible_departments(self.user), value))

    def in_ght_search(self, queryset, name, value):
        if not value.strip():
            return queryset
        members = Membership.objects.filter(structure__in=matching_ghts(visible_ghts(self.user), value)).filter(
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
