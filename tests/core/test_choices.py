"""core.choices: every generated get_<field>_display of the project's models
reads the labels made once, and answers what Django's own method answers."""

from functools import partialmethod

from django.apps import apps
from django.db.models import Model
from django.utils import translation

from core import choices


def _choice_fields():
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.fields:
            if field.choices:
                yield model, field


def test_every_choice_field_answers_as_django_does():
    checked = 0
    for model, field in _choice_fields():
        method = model.__dict__.get(f"get_{field.name}_display")
        if not isinstance(method, partialmethod):
            continue  # a model's own method
        assert method.func is choices.display, (model, field.name)
        instance = model()
        for value in [value for value, _label in field.flatchoices] + ["pas un choix", None, 12345]:
            setattr(instance, field.attname, value)
            assert getattr(instance, f"get_{field.name}_display")() == Model._get_FIELD_display(instance, field)
            checked += 1
    assert checked > 200  # the project's statuses, kinds, themes, roles…


def test_the_labels_follow_the_active_language():
    from cpom.models import Cpom, CpomStatus

    cpom = Cpom(status=CpomStatus.SIGNED)
    with translation.override("fr"):
        french = cpom.get_status_display()
    with translation.override("en"):
        assert cpom.get_status_display() == Model._get_FIELD_display(cpom, Cpom._meta.get_field("status"))
    assert french == str(CpomStatus.SIGNED.label)
    assert choices.labels.cache_info().currsize > 0
