import django_filters
from django.utils.translation import gettext_lazy as _

from cooperations.filters import FilterForm
from cooperations.models import LegalEntity, Theme

from .models import Declaration, DeclarationStatus


class DeclarationFilter(django_filters.FilterSet):
    legal_entity = django_filters.ModelChoiceFilter(
        label=_("Établissement"),
        field_name="indicator__commitment__cpom__legal_entity",
        queryset=LegalEntity.objects.none(),
        empty_label=_("Tous"),
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
        fields = ["legal_entity", "theme", "status"]
        form = FilterForm

    def __init__(self, *args, campaign, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["legal_entity"].queryset = LegalEntity.objects.filter(cpoms__campaigns=campaign).order_by("name")
