"""Forms of the follow-up: opening a campaign, the establishment's entries,
the ARS's decisions and notes."""

import datetime
from pathlib import Path

import magic
from django import forms
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cooperations.importers.base import oversize_error, upload_limit
from cooperations.models import ImportRun, Region
from core.concurrency import EditTokenMixin
from core.forms import DateInput, DsfrFormMixin, ModelMultipleChoiceField
from core.values import ValueType, format_size, raw_value, scale_levels
from indicators.models import Campaign, InputKind
from indicators.services import Entry

# What an evidence file may be, recognised by its content: its canonical suffix.
EVIDENCE_TYPES = {
    "application/pdf": ".pdf",
    "application/msword": ".doc",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.ms-powerpoint": ".ppt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.oasis.opendocument.presentation": ".odp",
    "image/png": ".png",
    "image/jpeg": ".jpg",
}
EVIDENCE_HINT = _("PDF, document bureautique (Word, Excel, PowerPoint, OpenDocument) ou image (PNG, JPEG)")
SNIFF_BYTES = 256 * 1024


def check_evidence(upload):
    """The file's type read from its content; ValidationError in French when
    it is too large or not an accepted type."""
    limit = settings.EVIDENCE_MAX_SIZE
    if upload.size > limit:
        raise ValidationError(
            _("Le fichier « %(name)s » pèse %(size)s : %(limit)s au plus.")
            % {"name": upload.name, "size": format_size(upload.size), "limit": format_size(limit)}
        )
    upload.seek(0)
    mime = magic.from_buffer(upload.read(SNIFF_BYTES), mime=True)
    upload.seek(0)
    if mime not in EVIDENCE_TYPES:
        raise ValidationError(
            _("Le fichier « %(name)s » n’est pas d’un type accepté (%(hint)s).")
            % {"name": upload.name, "hint": EVIDENCE_HINT}
        )
    upload.original_name = Path(upload.name).name[:200]
    upload.name = "justificatif" + EVIDENCE_TYPES[mime]
    return upload


class CampaignForm(EditTokenMixin, DsfrFormMixin, forms.ModelForm):
    all_cpoms = forms.BooleanField(
        label=_("Suivre tous les CPOM signés de la région en vigueur l’année suivie"), required=False, initial=True
    )

    class Meta:
        model = Campaign
        fields = ["region", "year", "opens_on", "closes_on", "corrections_until", "cpoms"]
        field_classes = {"cpoms": ModelMultipleChoiceField}
        widgets = {
            "opens_on": DateInput(),
            "closes_on": DateInput(),
            "corrections_until": DateInput(),
            "cpoms": forms.CheckboxSelectMultiple,
        }
        labels = {"cpoms": _("CPOM suivis, si vous ne les suivez pas tous")}
        help_texts = {
            "year": _("L’année dont les valeurs sont déclarées."),
            "corrections_until": _("Après la clôture, l’établissement ne corrige plus que les valeurs renvoyées."),
        }

    def __init__(self, *args, user, cpom_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user.is_admin:
            self.fields["region"].queryset = Region.objects.order_by("name")
        else:
            del self.fields["region"]
        if self.instance.pk:
            self.fields.pop("region", None)
            self.fields["year"].disabled = True
            self.fields["all_cpoms"].initial = False
        else:
            today = timezone.localdate()
            self.initial.setdefault("year", today.year - 1 if today.month < 7 else today.year)
            self.initial.setdefault("opens_on", today)
            self.initial.setdefault("closes_on", today + datetime.timedelta(days=30))
            self.initial.setdefault("corrections_until", today + datetime.timedelta(days=45))
        self.fields["cpoms"].queryset = cpom_choices
        self.fields["cpoms"].required = False
        self.fields["cpoms"].label_from_instance = lambda c: f"{c.legal_entity.name} — {c.period}"
        self.fields["all_cpoms"].template_name = "core/_plain_checkbox.html"

    def clean_year(self):
        year = self.cleaned_data["year"]
        if not 2000 <= year <= 2100:
            raise ValidationError(_("Année invalide."))
        return year

    def clean(self):
        data = super().clean()
        if not data.get("all_cpoms") and not data.get("cpoms"):
            self.add_error("cpoms", _("Choisissez les CPOM suivis, ou cochez « tous les CPOM »."))
        return data


class EntryForm(EditTokenMixin, forms.Form):
    """One indicator's entry on the establishment's page. Its edit token is
    the declaration's as the page showed it (``token``, computed for the
    whole page at once; None: no declaration yet)."""

    # A declaration someone else created since the page showed none is a stale save too.
    token_for_new = True

    value = forms.CharField(label=_("Valeur"), required=False, max_length=500)
    comment = forms.CharField(
        label=_("Commentaire"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    evidence = forms.FileField(label=_("Justificatif"), required=False, help_text=EVIDENCE_HINT)
    clear_evidence = forms.BooleanField(label=_("Retirer le justificatif"), required=False)
    answer = forms.CharField(
        label=_("Votre réponse au motif du renvoi"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("L’ARS la lit avec la valeur corrigée."),
    )

    def __init__(self, *args, indicator, declaration=None, editable=True, token=None, **kwargs):
        super().__init__(*args, token=token, **kwargs)
        self.indicator, self.declaration, self.editable = indicator, declaration, editable
        value_type = ValueType(indicator.value_type)
        field = self.fields["value"]
        field.label = _("Valeur %(unit)s") % {"unit": f"({indicator.unit})" if indicator.unit else ""}
        if value_type == ValueType.BOOLEAN:
            field.widget = forms.Select(choices=[("", "—"), ("oui", _("Oui")), ("non", _("Non"))])
        elif value_type == ValueType.SCALE:
            levels = scale_levels(indicator.scale_levels)
            field.widget = forms.Select(choices=[("", "—"), *((level, level) for level in levels)])
        elif value_type == ValueType.TEXT:
            field.widget = forms.Textarea(attrs={"rows": 2})
        else:
            field.widget.attrs["inputmode"] = "decimal"
            if value_type == ValueType.PERCENTAGE:
                field.help_text = _("En %, entre 0 et 100")
        field.widget.attrs["class"] = "fr-select" if isinstance(field.widget, forms.Select) else "fr-input"
        self.fields["comment"].widget.attrs["class"] = "fr-input"
        self.fields["answer"].widget.attrs["class"] = "fr-input"
        self.fields["evidence"].widget.attrs["class"] = "fr-upload"
        # The warnings of the consistency checks: the saved value's, or those of the value just refused.
        self.flags = list(declaration.flag_messages) if declaration is not None else []
        if declaration is not None:
            self.initial["value"] = raw_value(indicator.value_type, declaration.value, declaration.text)
            self.initial["comment"] = declaration.comment
            self.initial["answer"] = declaration.correction_answer
        if not editable:
            for name in self.fields:
                self.fields[name].disabled = True

    def clean_value(self):
        raw = self.cleaned_data["value"].strip()
        if not raw:
            self.parsed = (None, "")
            return raw
        self.parsed = self.indicator.parse(raw)
        return raw

    def clean_evidence(self):
        upload = self.cleaned_data.get("evidence")
        return check_evidence(upload) if upload else None

    @property
    def answers_send_back(self):
        """The answer to the reason is asked of a value the ARS sent back."""
        return self.declaration is not None and self.declaration.is_sent_back

    def show_flags(self, flags):
        """The value was refused for these flags: say them at the field, and ask for the comment that keeps it."""
        self.flags = [flag.message for flag in flags]
        self.add_error(
            "comment",
            _("Expliquez l’écart signalé pour garder cette valeur, ou corrigez-la."),
        )

    def entry(self):
        number, text = getattr(self, "parsed", (None, ""))
        # Left as it is when the post does not carry it (the API's entries).
        answer = self.cleaned_data["answer"].strip() if self.add_prefix("answer") in self.data else None
        return Entry(
            indicator=self.indicator,
            number=number,
            text=text,
            comment=self.cleaned_data["comment"].strip(),
            evidence=self.cleaned_data.get("evidence"),
            clear_evidence=self.cleaned_data.get("clear_evidence", False),
            edit_token=self.cleaned_data["edit_token"],
            answer=answer,
        )


class SendBackForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif du renvoi"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "fr-input"}),
        help_text=_("L’établissement le reçoit par courriel et le voit à côté de la valeur."),
        error_messages={"required": _("Indiquez le motif du renvoi : l’établissement en a besoin pour corriger.")},
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif de la réouverture"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "fr-input"}),
        help_text=_("L’établissement le reçoit par courriel ; la valeur lui revient pour correction."),
        error_messages={
            "required": _("Indiquez le motif de la réouverture : l’établissement en a besoin pour corriger.")
        },
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note interne (jamais visible par l’établissement)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "fr-input"}),
        error_messages={"required": _("La note est vide.")},
    )


class InputImportForm(DsfrFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Données"), choices=InputKind.choices)
    source = forms.CharField(
        label=_("Source"),
        max_length=100,
        help_text=_(
            "Ex. « PMSI MCO 2025 — ATIH », « RTC 2025 ». Un nouvel import de la même source et année remplace le précédent."
        ),
    )
    file = forms.FileField(label=_("Fichier CSV"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The limits of the settings (a bound field copies its help text when it is built, in the mixin).
        self.fields["file"].help_text = self["file"].help_text = _(
            "Séparateur « ; » ou « , », UTF-8 ou Latin-1, une ligne d’en-tête. Taille maximale : séjours "
            "%(sejours)s, coûts %(couts)s."
        ) % {kind: format_size(upload_limit(kind)) for kind in InputKind.values}

    def clean_file(self):
        """The file is on disk (core.uploads): only its first bytes are read here."""
        upload = self.cleaned_data["file"]
        upload.original_name = Path(upload.name).name[:255]
        try:
            ImportRun._meta.get_field("file").generate_filename(None, upload.name)
        except SuspiciousFileOperation:
            # « : » or « .. »: nothing left to store the file under.
            upload.name = "fichier.csv"
        head = upload.read(4096)
        upload.seek(0)
        if b"\x00" in head:
            raise ValidationError(
                _("Ce fichier n’est pas un fichier texte (CSV) : enregistrez-le en CSV (UTF-8 ou Latin-1).")
            )
        return upload

    def clean(self):
        data = super().clean()
        upload, kind = data.get("file"), data.get("kind")
        if upload and kind:
            # On the size alone, before a line is read.
            too_large = oversize_error(kind, upload.size)
            if too_large:
                self.add_error("file", too_large)
        return data


class ComputationForm(DsfrFormMixin, forms.Form):
    year = forms.IntegerField(label=_("Année à calculer"), min_value=2000, max_value=2100)
    region = forms.ModelChoiceField(
        label=_("Région"), queryset=Region.objects.order_by("name"), required=False, empty_label=_("Toutes les régions")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not user.is_admin:
            del self.fields["region"]
        self.initial.setdefault("year", timezone.localdate().year - 1)
