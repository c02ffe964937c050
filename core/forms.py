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

    # The posted form count is the client's word: a forged one made Django
    # build and render up to 2,000 rows (47 s for a commitment's indicators).
    # Past the parent's rows and this many new ones, no row is built and
    # Django refuses the save (``too_many_forms``).
    max_new_rows = 50
    default_error_messages = {
        "too_many_forms": _(
            "Trop de lignes envoyées (%(num)s au plus) : rien n’a été enregistré. Rechargez la page et recommencez."
        )
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_num = self.absolute_max = len(self.get_queryset()) + self.max_new_rows

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


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's, refusing an id its column cannot hold before the query: an
    id beyond 64 bits was a 500 on SQLite (``OverflowError`` in ``pk__in``)."""

    def _check_values(self, value):
        model = self.queryset.model
        column = model._meta.get_field(self.to_field_name) if self.to_field_name else model._meta.pk
        for pk in value if isinstance(value, list | tuple) else ():
            try:
                column.run_validators(column.to_python(pk))
            except ValidationError:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                ) from None
        return super()._check_values(value)
