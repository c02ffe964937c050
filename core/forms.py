"""Form mixins of the kit: DSFR markup, plain delete boxes, own-rows
formsets, date inputs."""

from django import forms
from django.core.exceptions import ValidationError
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


class OwnRowsFormSetMixin:
    """An inline formset that accepts only the rows of its own parent.

    Django looks a posted row id up among the parent's rows and, when it is
    not there (a row of another parent, a forged or stale id), silently
    treats the row as a new one: the save would copy another parent's row
    into this one. Here such a post refuses the whole save."""

    foreign_row_message = _(
        "Une des lignes envoyées n’appartient pas à cette fiche (elle a pu être supprimée entre-temps) : "
        "rien n’a été enregistré. Rechargez la page et recommencez."
    )

    def clean(self):
        super().clean()
        pk_name = self.model._meta.pk.name
        for form in self.initial_forms:
            if form.instance._state.adding:
                raise ValidationError(self.foreign_row_message, code="foreign_row")
        for form in self.extra_forms:
            posted = self.data.get(form.add_prefix(pk_name))
            if posted not in (None, ""):
                raise ValidationError(self.foreign_row_message, code="foreign_row")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
