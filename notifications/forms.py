from django import forms

from core.forms import DsfrFormMixin
from notifications.kinds import KINDS


class EmailChoicesForm(DsfrFormMixin, forms.Form):
    """One checkbox per kind: receive its emails or not (the in-app notification stays)."""

    def __init__(self, *args, choices: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for code, kind in KINDS.items():
            self.fields[code] = forms.BooleanField(label=kind.label, required=False, initial=choices[code])
