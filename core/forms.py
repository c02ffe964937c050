"""Form mixins of the kit: DSFR markup, plain delete boxes, date inputs."""

from django import forms
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBoundField
from dsfr.utils import dsfr_input_class_attr


class DsfrFormMixin:
    """Render every field with the DSFR markup of django-dsfr."""

    bound_field_class = DsfrBoundField
    template_name = "dsfr/form_snippet.html"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for visible in self.visible_fields():
            dsfr_input_class_attr(visible)


class PlainDeleteMixin:
    """A formset whose rows' « supprimer » box reads ``delete_label`` and
    carries no « (optionnel) » mark."""

    delete_label = _("Supprimer")

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = self.delete_label
            form.fields["DELETE"].template_name = "core/_plain_checkbox.html"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
