import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cooperations.filters import FilterForm
from cpom.models import Theme
from indicators.models import Declaration, DeclarationStatus


class DeclarationFilter(django_filters.FilterSet):
    # A search rather than a list: a campaign may cover a thousand establishments.
    establishment = django_filters.CharFilter(
        label=_("Établissement"), method="search_entity", help_text=_("Nom ou numéro FINESS de l’entité juridique")
    )
    theme = django_filters.ChoiceFilter(
        label=_("Thème de l’engagement"),
        field_name="indicator__commitment__theme",
        choices=Theme.choices,
        empty_label=_("Tous"),
    )
    status = django_filters.ChoiceFilter(label=_("Statut"), choices=DeclarationStatus.choices, empty_label=_("Tous"))

    class Meta:
        model = Declaration
        fields = ["establishment", "theme", "status"]
        form = FilterForm

    def search_entity(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        entity = "indicator__commitment__cpom__legal_entity"
        return queryset.filter(Q(**{f"{entity}__name__icontains": value}) | Q(**{f"{entity}__finess": value}))
