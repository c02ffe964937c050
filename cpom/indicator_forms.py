"""The indicator rows of the commitment page: definition, baseline, and one
target value per year of the CPOM."""

from crispy_forms.layout import HTML, Column, Div, Field, Layout, Row
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.forms import DsfrFormMixin, OwnRowsFormSetMixin, PlainDeleteMixin
from core.layout import FormHelper
from core.values import ValueType, parse_value, raw_value, scale_levels
from cpom.models import (
    COMPUTATION_PARAMETERS as PARAMETERS_BY_COMPUTATION,
)
from cpom.models import (
    SHEET_FIELDS,
    Commitment,
    Frequency,
    Indicator,
    IndicatorKind,
    IndicatorTemplate,
    TargetValue,
)

COMPUTATION_PARAMETERS = ("territory_kind", "activity_field", "support_function", "count_kind", "market_activity")
# Which calculation each parameter belongs to: the row shows only the chosen one's.
COMPUTATION_OF_PARAMETER = {
    name: computation for computation, names in PARAMETERS_BY_COMPUTATION.items() for name in names
}
OPTIONAL_BY_NATURE = (
    "template", "unit", "baseline", "baseline_year", "data_source", "computation", "scale_levels",
    *COMPUTATION_PARAMETERS, *SHEET_FIELDS,
)  # fmt: skip


class IndicatorForm(DsfrFormMixin, forms.ModelForm):
    baseline = forms.CharField(
        label=_("Valeur de référence"), required=False, max_length=500, help_text=_("Valeur de départ, si connue.")
    )

    class Meta:
        model = Indicator
        fields = [
            "template", "label", "kind", "value_type", "unit", "direction",
            "baseline_year", "data_source", "computation", "scale_levels", *COMPUTATION_PARAMETERS,
            *SHEET_FIELDS,
        ]  # fmt: skip
        widgets = {
            "scale_levels": forms.Textarea(attrs={"rows": 3}),
            **{name: forms.Textarea(attrs={"rows": 2}) for name in SHEET_FIELDS if name != "frequency"},
        }

    def __init__(self, *args, years, templates, **kwargs):
        super().__init__(*args, **kwargs)
        self.years = years
        self.fields["template"].queryset = IndicatorTemplate.objects.all()
        self.fields["template"].choices = templates
        self.fields["template"].label = _("Partir d’un modèle de la bibliothèque")
        self.fields["template"].widget.attrs["data-indicator-template"] = ""
        instance = self.instance
        targets = {t.year: t for t in instance.targets.all()} if instance.pk else {}
        for year in years:
            name = self.target_field(year)
            self.fields[name] = forms.CharField(
                label=_("Cible %(year)s") % {"year": year}, required=False, max_length=500
            )
            found = targets.get(year)
            if found is not None:
                self.initial[name] = raw_value(instance.value_type, found.value, found.text)
        if instance.pk:
            self.initial["baseline"] = raw_value(instance.value_type, instance.baseline_value, instance.baseline_text)
        self.fields["frequency"].required = False  # blank: annual, as most indicators
        for name in (*OPTIONAL_BY_NATURE, *(self.target_field(y) for y in years)):
            self.fields[name].template_name = "core/_plain_field.html"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Row(
                Column(Field("template"), css_class="fr-col-12 fr-col-md-6"),
                Column("label", css_class="fr-col-12 fr-col-md-6"),
            ),
            Row(
                Column("kind", css_class="fr-col-12 fr-col-md-4"),
                Column("value_type", css_class="fr-col-12 fr-col-md-4"),
                Column("unit", css_class="fr-col-12 fr-col-md-4"),
            ),
            Row(
                Column("direction", css_class="fr-col-12 fr-col-md-4"),
                Column("computation", css_class="fr-col-12 fr-col-md-4", data_show_when_kind="automatisable"),
                Column("data_source", css_class="fr-col-12 fr-col-md-4"),
            ),
            Div(
                *[
                    Column(
                        name,
                        css_class="fr-col-12 fr-col-md-6",
                        data_show_when_computation=COMPUTATION_OF_PARAMETER[name],
                    )
                    for name in COMPUTATION_PARAMETERS
                ],
                css_class="fr-grid-row fr-grid-row--gutters",
                data_show_when_kind="automatisable",
            ),
            Div("scale_levels", data_show_when_type="echelle"),
            Row(
                Column("baseline", css_class="fr-col-12 fr-col-md-4"),
                Column("baseline_year", css_class="fr-col-12 fr-col-md-4"),
            ),
            Div(
                *[Column(self.target_field(y), css_class="fr-col-6 fr-col-md-2") for y in years],
                css_class="fr-grid-row fr-grid-row--gutters app-targets",
            ),
            Div(
                HTML(
                    '<p class="fr-text--bold fr-mb-1w">Fiche technique</p><p class="fr-hint-text">Pré-remplie '
                    "par le modèle de la bibliothèque ; précisez-la pour cet engagement. Elle est signée et figée "
                    "avec le CPOM, et le directeur la lit à côté de la valeur qu’il déclare.</p>"
                ),
                Row(
                    Column("definition", css_class="fr-col-12 fr-col-md-6"),
                    Column("frequency", css_class="fr-col-12 fr-col-md-6"),
                ),
                Row(
                    Column("numerator", css_class="fr-col-12 fr-col-md-6"),
                    Column("denominator", css_class="fr-col-12 fr-col-md-6"),
                ),
                Row(
                    Column("baseline_origin", css_class="fr-col-12 fr-col-md-6"),
                    Column("evidence", css_class="fr-col-12 fr-col-md-6"),
                ),
                css_class="app-indicator-sheet fr-mt-2w",
            ),
        )

    @staticmethod
    def target_field(year):
        return f"target_{year}"

    @property
    def target_fields(self):
        return [self[self.target_field(y)] for y in self.years]

    def clean(self):
        data = super().clean()
        kind, value_type = data.get("kind"), data.get("value_type")
        if kind == IndicatorKind.AUTOMATABLE and not data.get("computation"):
            self.add_error("computation", _("Un indicateur automatisable dit quel calcul le produit."))
        if kind == IndicatorKind.DECLARATIVE:
            data["computation"] = ""
        # A parameter of another calculation than the chosen one is not kept
        # (without JavaScript the row shows them all).
        for name in COMPUTATION_PARAMETERS:
            if COMPUTATION_OF_PARAMETER[name] != data.get("computation"):
                data[name] = ""
        data["frequency"] = data.get("frequency") or Frequency.ANNUAL
        levels = data.get("scale_levels", "")
        if value_type == ValueType.SCALE and len(scale_levels(levels)) < 2:
            self.add_error("scale_levels", _("Une échelle qualitative compte au moins deux niveaux, un par ligne."))
        if value_type != ValueType.SCALE:
            data["scale_levels"] = ""
        if value_type is None:
            return data
        self._clean_baseline(data, value_type, levels)
        self._clean_targets(data, value_type, levels)
        return data

    def _clean_baseline(self, data, value_type, levels):
        raw, year = data.get("baseline", ""), data.get("baseline_year")
        self.baseline_parsed = (None, "")
        if raw:
            try:
                self.baseline_parsed = parse_value(value_type, raw, levels)
            except ValidationError as error:
                self.add_error("baseline", error)
            if not year:
                self.add_error("baseline_year", _("Indiquez l’année de la valeur de référence."))
        elif year:
            self.add_error("baseline", _("Indiquez la valeur de référence de %(year)s.") % {"year": year})
        if year and self.years and year > self.years[0]:
            self.add_error(
                "baseline_year",
                _("L’année de référence précède le CPOM ou en est la première année (%(first)s).")
                % {"first": self.years[0]},
            )

    def _clean_targets(self, data, value_type, levels):
        """One target per year of the CPOM, typed like the indicator; all
        blank is a draft whose targets are still to be set (the signature
        then refuses it), some blank is a missing year."""
        self.targets_parsed = {}
        filled = [y for y in self.years if data.get(self.target_field(y), "").strip()]
        for year in filled:
            try:
                self.targets_parsed[year] = parse_value(value_type, data[self.target_field(year)], levels)
            except ValidationError as error:
                self.add_error(self.target_field(year), error)
        if filled and len(filled) < len(self.years):
            for year in self.years:
                if year not in filled:
                    self.add_error(
                        self.target_field(year),
                        _("Valeur-cible %(year)s manquante : une valeur par année du CPOM (%(first)s–%(last)s).")
                        % {"year": year, "first": self.years[0], "last": self.years[-1]},
                    )

    def save(self, commit=True):
        indicator = super().save(commit=False)
        indicator.baseline_value, indicator.baseline_text = self.baseline_parsed
        if commit:
            indicator.save()
        return indicator

    def save_targets(self, user):
        """Write the targets typed in the row (the indicator is saved)."""
        indicator = self.instance
        existing = {t.year: t for t in indicator.targets.all()}
        for year in self.years:
            parsed = self.targets_parsed.get(year)
            target = existing.pop(year, None)
            if parsed is None:
                if target is not None:
                    target._history_user = user
                    target.delete()
                continue
            if target is None:
                target = TargetValue(indicator=indicator, year=year)
            elif (target.value, target.text) == parsed:
                continue
            target.value, target.text = parsed
            target._history_user = user
            target.save()
        # Targets of years outside the period cannot exist (the model
        # refuses them); any left here belong to no year of the form.
        for target in existing.values():
            target._history_user = user
            target.delete()


class BaseIndicatorFormSet(OwnRowsFormSetMixin, PlainDeleteMixin, forms.BaseInlineFormSet):
    delete_label = _("Supprimer cet indicateur et ses valeurs-cibles")

    def __init__(self, *args, years, **kwargs):
        self.years = years
        self.templates = [("", _("— Aucun : indicateur spécifique —"))] + [
            (t.pk, t.label) for t in IndicatorTemplate.objects.all()
        ]
        kwargs.setdefault("queryset", Indicator.objects.prefetch_related("targets").order_by("position", "pk"))
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        kwargs.update(years=self.years, templates=self.templates)
        return kwargs


IndicatorFormSet = forms.inlineformset_factory(
    Commitment, Indicator, form=IndicatorForm, formset=BaseIndicatorFormSet, extra=0, can_delete=True
)


def template_prefill():
    """The library as data for the form's script that pre-fills a row."""
    return {str(t.pk): t.as_prefill() for t in IndicatorTemplate.objects.all()}
