import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cooperations.filters import FilterForm, suggest_input
from cpom.models import Theme
from indicators.checks import FlagCode
from indicators.models import Declaration, DeclarationStatus

FLAGGED, UNFLAGGED, CORRECTED = "oui", "non", "corrigee"


class DeclarationFilter(django_filters.FilterSet):
    # A search rather than a list: a campaign may cover a thousand establishments.
    establishment = django_filters.CharFilter(
        label=_("Établissement"),
        method="search_entity",
        help_text=_("Nom ou numéro FINESS de l’entité juridique"),
        widget=suggest_input("entite", _("Nom ou FINESS")),
    )
    theme = django_filters.ChoiceFilter(
        label=_("Thème de l’engagement"),
        field_name="indicator__commitment__theme",
        choices=Theme.choices,
        empty_label=_("Tous"),
    )
    status = django_filters.ChoiceFilter(label=_("Statut"), choices=DeclarationStatus.choices, empty_label=_("Tous"))
    flag = django_filters.ChoiceFilter(
        label=_("Alertes de cohérence"),
        method="filter_flag",
        choices=[
            (FLAGGED, _("Valeurs signalées")),
            (UNFLAGGED, _("Sans alerte")),
            *FlagCode.choices,
            (CORRECTED, _("Corrigées après renvoi")),
        ],
        empty_label=_("Toutes"),
    )

    class Meta:
        model = Declaration
        fields = ["establishment", "theme", "status", "flag"]
        form = FilterForm

    def search_entity(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        entity = "indicator__commitment__cpom__legal_entity"
        return queryset.filter(Q(**{f"{entity}__name__icontains": value}) | Q(**{f"{entity}__finess": value}))

    def filter_flag(self, queryset, name, value):
        if value == FLAGGED:
            return queryset.filter(flagged=True)
        if value == UNFLAGGED:
            return queryset.filter(flagged=False)
        if value == CORRECTED:
            return queryset.filter(is_correction=True)
        return queryset.filter(flag_codes__contains=value)
