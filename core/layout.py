"""crispy-forms layouts written in Python for the DSFR template pack.

crispy renders each layout object and each field of a form through a
template, and hands every field's template a flattened copy of the whole
page context: on the commitment form (the commitment and each indicator's
form, 290 fields) that was 57 % of the page's server time. ``FormHelper``
here writes the pack's ``Layout``, ``Div``, ``Row``, ``Column``, ``Fieldset``, plain
``Field`` and static ``HTML`` in Python, with the markup of
``templates/dsfr_crispy/`` (compared in ``tests/core/test_layout.py``);
anything else (another pack, a field template of the helper, a ``Field``
with attributes or a wrapper class, an ``HTML`` that is a template, another
layout object) goes through crispy as before."""

import logging

from crispy_forms.helper import FormHelper as CrispyFormHelper
from crispy_forms.layout import HTML, Column, Div, Field, Fieldset, Layout, Row
from crispy_forms.utils import TEMPLATE_PACK, render_field
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

PACK = "dsfr_crispy"
logger = logging.getLogger(__name__)


def _escaped(value):
    return conditional_escape("" if value is None else value)


def _field(name, form, context, template_pack):
    if form.crispy_field_template is not None:
        return render_field(name, form, context, template_pack=template_pack)
    try:
        bound = form[name]
    except KeyError:
        logger.warning("Could not resolve form field '%s'.", name)
        return SafeString("")
    form.rendered_fields.add(name)
    if bound.is_hidden:
        return f"{conditional_escape(bound)}\n"
    return format_html('<div id="div_{}" class="fr-mb-2w">{}</div>\n', bound.auto_id, bound.as_field_group())


def _fields(objects, form, context, template_pack):
    return "".join(render(item, form, context, template_pack) for item in objects)


def render(item, form, context, template_pack=PACK):
    """The HTML of one layout object (or field name) of ``form``."""
    kind = type(item)
    if template_pack != PACK:
        return render_field(item, form, context, template_pack=template_pack)
    if kind is str:
        return _field(item, form, context, template_pack)
    if kind is Layout:
        return _fields(item.fields, form, context, template_pack)
    if kind in (Div, Row, Column) and item.template == kind.template:
        inner = _fields(item.fields, form, context, template_pack)
        if kind is Div:
            css_id = f'id="{_escaped(item.css_id)}"' if item.css_id else ""
            css_class = f'class="{_escaped(item.css_class)}"' if item.css_class else ""
            return f"<div {css_id} {css_class} {item.flat_attrs}>{inner}</div>\n"
        if kind is Row:
            return (
                f'<div class="fr-grid-row fr-grid-row--gutters {_escaped(item.css_class or "")}" '
                f"{item.flat_attrs}>{inner}</div>\n"
            )
        return f'<div class="{_escaped(item.css_class or "fr-col")}" {item.flat_attrs}>{inner}</div>\n'
    if kind is Fieldset and item.template == Fieldset.template and "{" not in str(item.legend or ""):
        inner = _fields(item.fields, form, context, template_pack)
        legend = f'<legend class="fr-fieldset__legend">{item.legend}</legend>' if item.legend else ""
        css_id = f'id="{_escaped(item.css_id)}"' if item.css_id else ""
        return (
            f'<fieldset class="fr-fieldset {_escaped(item.css_class or "")}" {css_id} {item.flat_attrs}>\n'
            f"  {legend}\n"
            f'  <div class="fr-fieldset__element">{inner}</div>\n'
            "</fieldset>\n"
        )
    if kind is Field and item.template == Field.template and not item.attrs and not item.wrapper_class:
        return "".join(_field(name, form, context, template_pack) for name in item.fields)
    if kind is HTML and "{" not in str(item.html):
        return str(item.html)  # a template without a tag or a variable renders as itself
    return render_field(item, form, context, template_pack=template_pack)


class FormHelper(CrispyFormHelper):
    """crispy's helper, whose layout is written by ``render`` above."""

    def render_layout(self, form, context, template_pack=TEMPLATE_PACK):
        if self.render_unmentioned_fields or self.render_hidden_fields or self.render_required_fields:
            return super().render_layout(form, context, template_pack)
        form.rendered_fields = set()
        form.crispy_field_template = self.field_template
        return mark_safe(render(self.layout, form, context, template_pack))  # noqa: S308  # nosec B308 B703 - every part escaped above
