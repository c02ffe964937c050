from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cooperations.models import CooperationStructure, Department, LegalEntity, StructureKind
from core.concurrency import EditTokenMixin
from core.forms import DsfrFormMixin, ModelMultipleChoiceField
from diagnostics.models import Axis, InventoryItem, Scope, StructureView


class DiagnosticForm(DsfrFormMixin, forms.Form):
    scope = forms.ChoiceField(label=_("Périmètre du diagnostic"), choices=Scope.choices)
    ght = forms.ModelChoiceField(label=_("GHT"), queryset=CooperationStructure.objects.none(), required=False)
    department = forms.ModelChoiceField(label=_("Département"), queryset=Department.objects.none(), required=False)
    legal_entity = forms.ModelChoiceField(
        label=_("Entité juridique"), queryset=LegalEntity.objects.none(), required=False
    )
    title = forms.CharField(label=_("Intitulé"), max_length=255, required=False, help_text=_("Facultatif."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        ghts = CooperationStructure.objects.visible_to(user).filter(kind=StructureKind.GHT).order_by("short_code")
        departments = Department.objects.order_by("code")
        entities = LegalEntity.objects.visible_to(user).filter(closed_on__isnull=True).order_by("name")
        if not user.is_admin:
            ghts = ghts.filter(region_id=user.region_id)
            departments = departments.filter(region_id=user.region_id)
            entities = entities.filter(region_id=user.region_id)
        self.fields["ght"].queryset = ghts
        self.fields["department"].queryset = departments
        self.fields["legal_entity"].queryset = entities.only("name", "finess")
        self.fields["legal_entity"].label_from_instance = lambda e: f"{e.name} — {e.finess}"
        for name in ("ght", "department", "legal_entity", "title"):
            self.fields[name].template_name = "core/_plain_field.html"

    def clean(self):
        data = super().clean()
        field = {"ght": "ght", "departement": "department", "entite": "legal_entity"}.get(data.get("scope"))
        if field and not data.get(field):
            self.add_error(
                field, _("Choisissez le %(what)s diagnostiqué.") % {"what": self.fields[field].label.lower()}
            )
        data["subject"] = data.get(field) if field else None
        return data


class AnswersForm(EditTokenMixin, forms.Form):
    health_needs = forms.CharField(
        label=_("Besoins de santé du territoire"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    prs_orientations = forms.CharField(
        label=_("Orientations du projet régional de santé"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, questions, answers, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[f"q{question.pk}"] = forms.CharField(
                label=question.label,
                help_text=question.guidance,
                required=False,
                max_length=5000,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
            self.initial[f"q{question.pk}"] = answers.get(question.pk, "")
        for field in self.fields.values():
            field.widget.attrs["class"] = "fr-input"

    def answers(self):
        return {question: self.cleaned_data[f"q{question.pk}"].strip() for question in self.questions}

    def fields_by_section(self):
        sections = {}
        for question in self.questions:
            sections.setdefault(question.get_section_display(), []).append(self[f"q{question.pk}"])
        return sections


class StructureViewForm(EditTokenMixin, DsfrFormMixin, forms.ModelForm):
    token_for_new = True  # its service compares the absence too: someone may have created it meanwhile

    class Meta:
        model = StructureView
        fields = ["needs", "constraints"]
        labels = {"needs": _("Quels sont les besoins ?"), "constraints": _("Quelles sont les contraintes ?")}
        widgets = {"needs": forms.Textarea(attrs={"rows": 5}), "constraints": forms.Textarea(attrs={"rows": 5})}


class InventoryItemForm(EditTokenMixin, forms.ModelForm):
    token_for_new = True  # its service compares the absence too: someone may have created it meanwhile

    class Meta:
        model = InventoryItem
        fields = ["nature", "purpose", "theme", "comment"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "fr-input" if name == "comment" else "fr-select"


class MissingCooperationForm(DsfrFormMixin, forms.Form):
    name = forms.CharField(label=_("Nom de la coopération"), max_length=255)
    kind = forms.ChoiceField(
        label=_("Forme juridique"), choices=[c for c in StructureKind.choices if c[0] != StructureKind.GHT]
    )
    members = ModelMultipleChoiceField(
        label=_("Entités membres"), queryset=LegalEntity.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    nature = InventoryItem._meta.get_field("nature").formfield(required=False)
    purpose = InventoryItem._meta.get_field("purpose").formfield(required=False)
    theme = InventoryItem._meta.get_field("theme").formfield(required=False)

    def __init__(self, *args, entities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = entities
        for name in ("nature", "purpose", "theme"):
            self.fields[name].template_name = "core/_plain_field.html"


class AxisForm(EditTokenMixin, DsfrFormMixin, forms.ModelForm):
    class Meta:
        model = Axis
        fields = [
            "title", "theme", "description", "partners", "other_partners", "pooling", "quick_win",
            "target_group", "target_actors", "impacts_group", "impacts_actors", "impact", "feasibility",
        ]  # fmt: skip
        field_classes = {"partners": ModelMultipleChoiceField}
        widgets = {
            "partners": forms.CheckboxSelectMultiple,
            **{
                name: forms.Textarea(attrs={"rows": 3})
                for name in (
                    "description",
                    "pooling",
                    "target_group",
                    "target_actors",
                    "impacts_group",
                    "impacts_actors",
                )
            },
        }
        help_texts = {
            "other_partners": _("Séparés par « ; » (médecins de ville, CPTS, médico-social…)."),
            "impact": _("1 : faible · 5 : très fort"),
            "feasibility": _("1 : difficile · 5 : aisée"),
        }

    def __init__(self, *args, entities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partners"].queryset = entities
        self.fields["partners"].required = False
        for name in ("description", "partners", "other_partners", "pooling", "target_group", "target_actors",
                     "impacts_group", "impacts_actors", "impact", "feasibility"):  # fmt: skip
            self.fields[name].template_name = "core/_plain_field.html"
        self.fields["quick_win"].template_name = "core/_plain_checkbox.html"


class ConvertForm(forms.Form):
    cpom = forms.ChoiceField(label=_("CPOM en négociation"))

    def __init__(self, *args, cpoms, **kwargs):
        super().__init__(*args, **kwargs)
        self.cpoms = {str(cpom.pk): cpom for cpom in cpoms}
        self.fields["cpom"].choices = [
            (str(cpom.pk), f"{cpom.legal_entity.name} — CPOM {cpom.period} ({cpom.get_status_display().lower()})")
            for cpom in cpoms
        ]
        self.fields["cpom"].widget.attrs["class"] = "fr-select"

    def clean_cpom(self):
        cpom = self.cpoms.get(self.cleaned_data["cpom"])
        if cpom is None:
            raise ValidationError(_("Choisissez un CPOM en négociation."))
        return cpom
