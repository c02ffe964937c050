"""Forms of the CPOM pages: the contract, its commitments and partners, and
the concertation (comments, proposals)."""

import re
from html import escape

from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from cooperations.models import CooperationStructure, LegalEntity
from core.concurrency import EditTokenMixin
from core.forms import DateInput, DsfrFormMixin, OwnRowsFormSetMixin, PlainDeleteMixin
from core.layout import FormHelper
from cpom import workflow
from cpom.models import CPOM_MAX_YEARS, YEAR_MAX, YEAR_MIN, Commitment, CommitmentPartner, Cpom, CpomStatus
from cpom.rules import vehicle_as_objective


def _entity_choices(region_id):
    return LegalEntity.objects.filter(region_id=region_id, closed_on__isnull=True).only("name", "finess")


class CpomForm(EditTokenMixin, DsfrFormMixin, forms.ModelForm):
    class Meta:
        model = Cpom
        fields = ["legal_entity", "first_year", "last_year", "reference"]
        help_texts = {
            "first_year": _("Un CPOM dure cinq ans au plus."),
            "reference": _("Numéro ou référence du contrat à l’ARS, s’il en a un."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        entities = LegalEntity.objects.visible_to(user).filter(closed_on__isnull=True).only("name", "finess")
        self.fields["legal_entity"].queryset = entities.order_by("name")
        self.fields["legal_entity"].label_from_instance = lambda e: f"{e.name} — {e.finess}"
        if self.instance.pk:
            self.fields["legal_entity"].disabled = True
            if self.instance.has_been_signed:
                self.fields["first_year"].disabled = True
                self.fields["last_year"].disabled = True
        else:
            year = timezone.localdate().year + 1
            self.fields["first_year"].initial = year
            self.fields["last_year"].initial = year + CPOM_MAX_YEARS - 1

    def clean(self):
        data = super().clean()
        first, last = data.get("first_year"), data.get("last_year")
        for name in ("first_year", "last_year"):
            if data.get(name) is not None and not YEAR_MIN <= data[name] <= YEAR_MAX:
                self.add_error(
                    name, _("Année invalide : entre %(min)s et %(max)s.") % {"min": YEAR_MIN, "max": YEAR_MAX}
                )
        if first is not None and last is not None and not self.errors:
            if last < first:
                self.add_error("last_year", _("La dernière année doit suivre la première."))
            elif last - first + 1 > CPOM_MAX_YEARS:
                self.add_error(
                    "last_year",
                    _("Un CPOM dure %(max)s ans au plus : ici %(n)s ans.")
                    % {"max": CPOM_MAX_YEARS, "n": last - first + 1},
                )
        entity = (
            data.get("legal_entity") or self.instance.legal_entity if self.instance.pk else data.get("legal_entity")
        )
        if entity and first and last and not self.errors:
            if entity.region_id is None:
                self.add_error("legal_entity", _("Cette entité n’a pas de région connue au répertoire."))
            overlap = (
                Cpom.objects.filter(legal_entity=entity, first_year__lte=last, last_year__gte=first)
                .exclude(pk=self.instance.pk)
                .first()
            )
            if overlap:
                self.add_error(
                    "first_year",
                    _("Le CPOM %(period)s de cet établissement couvre déjà une partie de cette période.")
                    % {"period": overlap.period},
                )
        return data


class CommitmentForm(EditTokenMixin, DsfrFormMixin, forms.ModelForm):
    confirm_vehicle_rule = forms.BooleanField(
        label=_(
            "Je maintiens cet objectif : il porte sur ce que la coopération doit produire, pas seulement sur son cadre."
        ),
        required=False,
    )

    class Meta:
        model = Commitment
        fields = [
            "title", "action_kind", "theme", "objective", "benefits", "vehicle",
            "start_date", "deadline", "status",
        ]  # fmt: skip
        widgets = {
            "objective": forms.Textarea(attrs={"rows": 3}),
            "benefits": forms.Textarea(attrs={"rows": 3}),
            "start_date": DateInput(),
            "deadline": DateInput(),
        }
        help_texts = {
            "objective": _("Ce que les partenaires s’engagent à réaliser ensemble (pas la création d’une structure)."),
            "theme": _("Il n’y a pas de lien automatique entre un thème et un support juridique."),
        }

    def __init__(self, *args, user, cpom, **kwargs):
        super().__init__(*args, **kwargs)
        self.cpom = cpom
        structures = CooperationStructure.objects.visible_to(user).filter(region_id=cpom.region_id)
        self.fields["vehicle"].queryset = structures.order_by("kind", "name")
        self.fields["confirm_vehicle_rule"].template_name = "core/_plain_field.html"
        self.vehicle_warning = None
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Fieldset(
                _("L’engagement"),
                "edit_token",
                "title",
                Row(
                    Column("action_kind", css_class="fr-col-12 fr-col-md-6"),
                    Column("theme", css_class="fr-col-12 fr-col-md-6"),
                ),
                "objective",
                "benefits",
            ),
            Fieldset(
                _("Cadre et calendrier"),
                "vehicle",
                Row(
                    Column("start_date", css_class="fr-col-12 fr-col-md-4"),
                    Column("deadline", css_class="fr-col-12 fr-col-md-4"),
                    Column("status", css_class="fr-col-12 fr-col-md-4"),
                ),
            ),
        )

    def clean(self):
        data = super().clean()
        start, deadline = data.get("start_date"), data.get("deadline")
        if start and deadline and deadline < start:
            self.add_error("deadline", _("L’échéance doit suivre la date de début."))
        words = vehicle_as_objective(data.get("objective"), data.get("title"))
        # Confirmed once (who, when, which wording): asked again only if the title or the objective changes.
        already = self.instance.vehicle_rule_confirmed_for(data.get("title"), data.get("objective"))
        self.confirms_vehicle_rule = bool(words and data.get("confirm_vehicle_rule") and not already)
        if words and not data.get("confirm_vehicle_rule") and not already:
            self.vehicle_warning = words
            self.add_error(
                "objective",
                _("« %(words)s » : le support juridique n’est pas un objectif en soi (règle du volet 3 citée "
                  "ci-dessus). Reformulez l’objectif, ou confirmez-le.") % {"words": words},
            )  # fmt: skip
        return data


ENTITY_LIST_ID = "entites-de-la-region"
_FINESS_IN_TEXT = re.compile(r"\b(\d[0-9AB]\d{7})\b", re.IGNORECASE)


def entity_option(entity):
    return _option_text(entity.name, entity.finess)


def _option_text(name, finess):
    return f"{name} — {finess}"


class PartnerForm(DsfrFormMixin, forms.ModelForm):
    """A partner row. The establishment is typed (FINESS or name, with the
    région's entities offered by one datalist for the whole page) rather
    than picked in a select repeated on every row."""

    entity = forms.CharField(
        label=_("Établissement du répertoire"),
        required=False,
        max_length=300,
        help_text=_("Tapez le nom ou le FINESS de l’entité juridique, puis choisissez-la."),
        widget=forms.TextInput(attrs={"list": ENTITY_LIST_ID, "autocomplete": "off"}),
    )

    class Meta:
        model = CommitmentPartner
        fields = ["entity", "structure", "external_name", "external_kind"]
        help_texts = {"external_name": _("Médecins de ville, service médico-social, collectivité…")}

    def __init__(self, *args, cpom, entities, structures, structure_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.entities = entities
        self.fields["structure"].queryset = structures
        # Listed once for the whole formset, not once per row.
        self.fields["structure"].choices = structure_choices
        if self.instance.pk and self.instance.legal_entity_id:
            self.initial["entity"] = entity_option(self.instance.legal_entity)
        for name, field in self.fields.items():
            if name != "DELETE":
                field.template_name = "core/_plain_field.html"

    @property
    def row_error_id(self):
        return f"{self.prefix}-erreurs"

    def full_clean(self):
        super().full_clean()
        if self.is_bound and self.non_field_errors():
            # The row's own error (« un seul des trois ») describes each of its fields, with their hint; a field
            # with an error of its own is described by that one (django-dsfr's widget attributes).
            for name in ("entity", "structure", "external_name", "external_kind"):
                bound = self[name]
                hint = [f"{bound.auto_id}_helptext"] if bound.help_text else []
                bound.field.widget.attrs["aria-describedby"] = " ".join([*hint, self.row_error_id])

    def clean_entity(self):
        text = self.cleaned_data.get("entity", "").strip()
        if not text:
            return None
        found = _FINESS_IN_TEXT.search(text)
        entity = self.entities.filter(finess=found.group(1).upper()).first() if found else None
        if entity is None:
            raise forms.ValidationError(
                _("« %(text)s » : aucune entité juridique de la région ne correspond. Choisissez-la dans la liste "
                  "ou tapez son numéro FINESS ; hors de la région, nommez-la comme partenaire hors répertoire.")
                % {"text": text}
            )  # fmt: skip
        return entity

    def clean(self):
        data = super().clean()
        if self.cleaned_data.get("DELETE"):
            return data
        given = [bool(data.get("entity")), bool(data.get("structure")), bool(data.get("external_name"))]
        if sum(given) != 1 and not self.errors.get("entity"):
            raise forms.ValidationError(
                _("Un partenaire est soit un établissement du répertoire, soit une structure, soit un partenaire "
                  "hors répertoire nommé en clair : renseignez un seul des trois.")
            )  # fmt: skip
        if data.get("external_kind") and not data.get("external_name"):
            self.add_error("external_kind", _("Le type ne s’applique qu’à un partenaire hors répertoire."))
        self.instance.legal_entity = data.get("entity")
        return data


class BasePartnerFormSet(OwnRowsFormSetMixin, PlainDeleteMixin, forms.BaseInlineFormSet):
    delete_label = _("Retirer ce partenaire")
    entity_list_id = ENTITY_LIST_ID

    def __init__(self, *args, cpom, user, **kwargs):
        self.cpom = cpom
        self.entities = _entity_choices(cpom.region_id)
        self.structures = (
            CooperationStructure.objects.visible_to(user).filter(region_id=cpom.region_id).order_by("kind", "name")
        )
        self._structure_choices = None
        kwargs.setdefault("queryset", CommitmentPartner.objects.select_related("legal_entity").order_by("pk"))
        super().__init__(*args, **kwargs)

    def entity_options(self):
        """The région's entities as the ``<option>``s of the page's one datalist,
        escaped here: a template loop over a région's few hundred entities
        cost as much as the rest of the commitment form (issue 19)."""
        rows = self.entities.order_by("name").values_list("name", "finess")
        options = "".join(f'<option value="{escape(_option_text(name, finess))}"></option>' for name, finess in rows)
        return mark_safe(options)  # noqa: S308  # nosec B308 B703 - every value escaped above

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if self._structure_choices is None:
            self._structure_choices = [("", "---------")] + [(s.pk, str(s)) for s in self.structures]
        kwargs.update(
            cpom=self.cpom,
            entities=self.entities,
            structures=self.structures,
            structure_choices=self._structure_choices,
        )
        return kwargs

    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            key = (form.cleaned_data.get("entity"), form.cleaned_data.get("structure"),
                   (form.cleaned_data.get("external_name") or "").lower())  # fmt: skip
            if key in seen and any(key):
                raise forms.ValidationError(_("Le même partenaire figure deux fois."))
            seen.add(key)


PartnerFormSet = forms.inlineformset_factory(
    Commitment, CommitmentPartner, form=PartnerForm, formset=BasePartnerFormSet, extra=0, can_delete=True
)


class TransitionForm(forms.Form):
    action = forms.ChoiceField(choices=[(a.name, a.label) for a in workflow.ACTIONS.values()])
    message = forms.CharField(required=False, max_length=5000)
    signed_on = forms.DateField(required=False, input_formats=["%Y-%m-%d", "%d/%m/%Y"])
    reason = forms.CharField(required=False, max_length=5000)
    # Set by the confirmation dialog of the steps that freeze the content.
    confirmed = forms.BooleanField(required=False)


# The steps that freeze the content: taken only once the dialog that says what is frozen was confirmed.
CONFIRMED_ACTIONS = ("ready", "sign")


class CommentForm(DsfrFormMixin, forms.Form):
    body = forms.CharField(label=_("Votre message"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)
    # Which commitment the message is about, among the CPOM's own (blank: the CPOM as a whole).
    commitment = forms.ModelChoiceField(
        queryset=Commitment.objects.none(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("Cet engagement n’appartient pas à ce CPOM.")},
    )

    def __init__(self, *args, cpom=None, **kwargs):
        super().__init__(*args, **kwargs)
        if cpom is not None:
            self.fields["commitment"].queryset = cpom.commitments.all()


class ProposalForm(DsfrFormMixin, forms.Form):
    target = forms.ChoiceField(label=_("Élément à modifier"))
    proposed_value = forms.CharField(
        label=_("Valeur proposée"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )
    reason = forms.CharField(
        label=_("Justification"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [("", _("Choisir…"))] + list(targets)
        self.fields["reason"].template_name = "core/_plain_field.html"


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", _("Accepter")), ("reject", _("Refuser"))])
    note = forms.CharField(required=False, max_length=5000)


STATUS_STEPS = [CpomStatus.PREPARATION, CpomStatus.CONCERTATION, CpomStatus.TO_SIGN, CpomStatus.SIGNED]
