from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DsfrFormMixin


class WithholdForm(DsfrFormMixin, forms.Form):
    cpom = forms.ModelChoiceField(label=_("CPOM à retenir"), queryset=None)
    reason = forms.CharField(
        label=_("Motif"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Gardé avec votre nom et la date, et montré aux administrateurs."),
        error_messages={"required": _("Indiquez le motif : il est gardé et montré aux administrateurs.")},
    )

    def __init__(self, *args, cpoms, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cpom"].queryset = cpoms
        self.fields["cpom"].label_from_instance = lambda cpom: f"{cpom.legal_entity.name} — {cpom.period}"
