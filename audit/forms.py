from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from audit.trail import ACTIONS, Cursor, Search, audited_models
from core.forms import DateInput, DsfrFormMixin


class AuditSearchForm(DsfrFormMixin, forms.Form):
    q = forms.CharField(
        label=_("Objet"),
        required=False,
        max_length=200,
        help_text=_("Nom, intitulé, numéro FINESS, identifiant ou motif"),
    )
    model = forms.ChoiceField(label=_("Type d’objet"), required=False)
    user = forms.CharField(label=_("Auteur"), required=False, max_length=150, help_text=_("Identifiant ou nom"))
    action = forms.ChoiceField(label=_("Action"), required=False, choices=[("", _("Toutes"))] + list(ACTIONS.items()))
    date_from = forms.DateField(label=_("Du"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Au"), required=False, widget=DateInput())
    before = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", _("Tous"))] + [
            (label, capfirst(str(model._meta.verbose_name))) for label, model in audited_models().items()
        ]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("La date de début doit précéder la date de fin."))
        return data

    def search(self) -> Search:
        data = self.cleaned_data
        return Search(
            model=data["model"],
            user=data["user"].strip(),
            q=data["q"].strip(),
            action=data["action"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            before=Cursor.parse(data["before"]) if data["before"] else None,
        )
