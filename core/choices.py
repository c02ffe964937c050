"""Choice labels translated once per field and language, not at every call.

Django's ``get_<field>_display`` builds a dict of the field's choices at each
call, and hashing a lazy label translates it: a field of 20 choices costs 20
translations per cell. On the list of 100 cooperation structures that was 60 %
of the page (issue 19). ``install`` rebinds the ``get_<field>_display`` that
Django generated to read a table made once per field and language; the result
is Django's own (the label, or the value itself when it is not a choice)."""

from functools import cache, partialmethod

from django.utils.choices import CallableChoiceIterator
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import get_language


@cache
def labels(field, language):
    """``{value: label}`` of ``field``'s choices, translated into ``language``."""
    return {make_hashable(value): force_str(label, strings_only=True) for value, label in field.flatchoices}


def display(instance, field):
    value = getattr(instance, field.attname)
    return force_str(labels(field, get_language()).get(make_hashable(value), value), strings_only=True)


def install(models):
    """Rebind each generated ``get_<field>_display`` of ``models`` (one a model
    defines itself, and a field whose choices are computed at each use, keep
    Django's)."""
    for model in models:
        for field in model._meta.fields:
            name = f"get_{field.name}_display"
            generated = model.__dict__.get(name)
            if not field.choices or not isinstance(generated, partialmethod):
                continue
            if isinstance(field.choices, CallableChoiceIterator):
                continue
            setattr(model, name, partialmethod(display, field=field))
