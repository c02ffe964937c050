"""The form renderer: Django's common widgets written in Python, the rest by templates.

Django renders every widget through the template engine: an ``<input>`` is two
templates (its type's, which includes ``input.html``, and ``attrs.html``), a
``<select>`` one more per option. On the commitment form (some 120 fields, its
partners and indicators) that was 80 % of the time spent rendering the fields,
0.6 ms a widget (issue 19). ``FastTemplatesRenderer`` writes the inputs,
textareas, selects and checkboxes of Django's own templates in Python, with
the same markup (``tests/core/test_rendering.py`` compares them with the
templates' output), and leaves every other template (django-dsfr's radio and
checkbox groups, the field and form templates) to the template
engine, so a template of the project or of django-dsfr overriding one of those
keeps its effect. A widget template this module writes must not be overridden
by a template: it would be ignored (a check in the tests lists them)."""

from django.forms.renderers import TemplatesSetting
from django.template.base import render_value_in_context
from django.template.context import Context
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from dsfr.templatetags.dsfr_tags import dsfr_mark_optionnal_fields
from dsfr.utils import dsfr_input_class_attr

_CONTEXT = Context(autoescape=True)  # what {{ }} of a widget template sees: escaped, localized, local time

INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input", "text", "number", "email", "url", "password", "hidden", "date", "datetime", "time",
        "search", "tel", "color", "checkbox", "file",
    )
)  # fmt: skip
TEXTAREA_TEMPLATE = "django/forms/widgets/textarea.html"
SELECT_TEMPLATES = frozenset({"django/forms/widgets/select.html"})
CLEARABLE_FILE_TEMPLATE = "django/forms/widgets/clearable_file_input.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"
WRITTEN_HERE = INPUT_TEMPLATES | SELECT_TEMPLATES | {TEXTAREA_TEMPLATE, CLEARABLE_FILE_TEMPLATE}
# Field groups: the templates stay the reference (the tests compare them with these functions' output).
PLAIN_FIELD_TEMPLATE = "core/_plain_field.html"
DSFR_INPUT_TEMPLATE = "dsfr/form_field_snippets/input_snippet.html"
FIELD_GROUP_TEMPLATE = "core/_field_group.html"  # ``{{ field|field_group }}`` (core/templatetags/fields.py)
FIELD_TEMPLATES = frozenset({PLAIN_FIELD_TEMPLATE, DSFR_INPUT_TEMPLATE, FIELD_GROUP_TEMPLATE})


def _shown(value):
    """``{{ value }}``: localized, in local time, escaped unless safe."""
    if isinstance(value, str | Promise):
        return conditional_escape(value)  # a string is neither localized nor converted: escaped only
    return render_value_in_context(value, _CONTEXT)


template_text = _shown  # for the other apps' rows written in Python (cpom/rows.py)


def _formatted(value):
    """``{{ value|stringformat:'s' }}``."""
    return conditional_escape("%s" % (value,))  # noqa: UP031 - the filter's own formatting


def attributes(attrs):
    """``django/forms/widgets/attrs.html``."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {_shown(name)}" if value is True else f' {_shown(name)}="{_formatted(value)}"')
    return "".join(parts)


def _input(widget):
    value = widget["value"]
    shown = "" if value is None else f' value="{_formatted(value)}"'
    return (
        f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"{shown}{attributes(widget["attrs"])}>'
    )


def _textarea(widget):
    value = widget["value"]
    return f'<textarea name="{_shown(widget["name"])}"{attributes(widget["attrs"])}>\n{_shown(value) if value else ""}</textarea>'


def _select(widget):
    parts = [f'<select name="{_shown(widget["name"])}"{attributes(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in group_choices:
            if option["template_name"] != OPTION_TEMPLATE:
                return None  # an option of its own template: the template engine renders the whole select
            parts.append(
                f'\n  <option value="{_formatted(option["value"])}"{attributes(option["attrs"])}>'
                f"{_shown(option['label'])}</option>\n"  # select_option.html's own last line
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _clearable_file(widget):
    parts = []
    if widget["is_initial"]:
        value = widget["value"]
        parts.append(f'{_shown(widget["initial_text"])}: <a href="{_shown(value.url)}">{_shown(value)}</a>')
        if not widget["required"]:
            box = _shown(widget["checkbox_id"])
            disabled = " disabled" if widget["attrs"].get("disabled") else ""
            checked = " checked" if widget["attrs"].get("checked") else ""
            parts.append(
                f'\n<input type="checkbox" name="{_shown(widget["checkbox_name"])}" id="{box}"{disabled}{checked}>'
                f'\n<label for="{box}">{_shown(widget["clear_checkbox_label"])}</label>'
            )
        parts.append(f"<br>\n{_shown(widget['input_text'])}:")
    parts.append(
        f'\n<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"{attributes(widget["attrs"])}>'
    )
    return "".join(parts).strip()


def _field_errors(field):
    errors = field.errors
    return f'<div id="{_shown(field.auto_id)}-desc-error">{_shown(errors)}</div>' if errors else ""


def _hint(field):
    """The hint inside the label, with the id Django's aria-describedby names."""
    if not field.help_text:
        return ""
    return f'<span class="fr-hint-text" id="{_shown(field.auto_id)}_helptext">{_shown(field.help_text)}</span>'


def _plain_field(field):
    """``core/_plain_field.html``: a DSFR input group without the required mark."""
    errors = field.errors
    hint = _hint(field)
    widget = _shown(dsfr_input_class_attr(field))
    return (
        f'<div class="fr-input-group{" fr-input-group--error" if errors else ""}">\n'
        f'  <label for="{_shown(field.id_for_label)}" class="fr-label">{_shown(field.label)}{hint}</label>\n'
        f"  {widget}\n  {_field_errors(field)}\n</div>"
    )


def _dsfr_input(field):
    """django-dsfr's ``input_snippet.html``: the group, the label with the required mark, the hint."""
    group = getattr(field.field.widget, "group_class", "") or "fr-input-group"
    classes = group + (f" {group}--error" if field.errors else "")
    if field.field.disabled:
        classes += " fr-input-group--disabled"
    hint = (
        f'\n    \n      <span class="fr-hint-text" id="{_shown(field.id_for_label)}_helptext">'
        f"{mark_safe(field.help_text)}</span>\n    \n    "  # noqa: S308  # nosec B308 B703 - the snippet's |safe
        if field.help_text
        else "\n    \n    "
    )
    widget = _shown(dsfr_input_class_attr(field))
    errors = field.errors
    error_block = (
        f'\n    <div id="{_shown(field.auto_id)}-desc-error">\n      {_shown(errors)}\n    </div>\n  ' if errors else ""
    )
    return (
        f'<div class="{_shown(classes)}">\n'
        f'  <label for="{_shown(field.id_for_label)}" class="fr-label">\n    \n'
        f"    {_shown(field.label)}{_shown(dsfr_mark_optionnal_fields(field))}{hint}\n  </label>\n"
        f"  {widget}\n  {error_block}\n</div>"
    )


def _field_group(field):
    """``core/_field_group.html``: the DSFR group of the field's widget (upload, select or input),
    the label with its hint, the widget, the errors."""
    widget_type = field.widget_type
    errors = field.errors
    if widget_type in ("clearablefile", "file"):
        group, error = "fr-upload-group", "fr-input-group--error"
    elif widget_type == "select":
        group, error = "fr-select-group", "fr-select-group--error"
    else:
        group, error = "fr-input-group", "fr-input-group--error"
    classes = f"{group} {error}" if errors else group
    hint = _hint(field)
    error_block = (
        f'<div id="{_shown(field.auto_id)}_error">'
        + "".join(f'<p class="fr-error-text">{_shown(error)}</p>' for error in errors)
        + "</div>"
        if errors
        else ""
    )
    return (
        f'<div class="{classes}">\n'
        f'  <label class="fr-label" for="{_shown(field.id_for_label)}">{_shown(field.label)}{hint}</label>\n'
        f"  {_shown(field)}\n  {error_block}\n</div>"
    )


_FIELD_WRITERS = {
    PLAIN_FIELD_TEMPLATE: _plain_field,
    DSFR_INPUT_TEMPLATE: _dsfr_input,
    FIELD_GROUP_TEMPLATE: _field_group,
}


class FastTemplatesRenderer(TemplatesSetting):
    """``TemplatesSetting`` (the project's and django-dsfr's templates) with
    Django's common widgets written in Python."""

    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        html = None
        if template_name in FIELD_TEMPLATES and isinstance(context, dict) and "field" in context:
            html = _FIELD_WRITERS[template_name](context["field"])
        elif widget is not None:
            if template_name in INPUT_TEMPLATES:
                html = _input(widget)
            elif template_name == TEXTAREA_TEMPLATE:
                html = _textarea(widget)
            elif template_name in SELECT_TEMPLATES:
                html = _select(widget)
            elif template_name == CLEARABLE_FILE_TEMPLATE:
                html = _clearable_file(widget)
        if html is None:
            return super().render(template_name, context, request)
        return mark_safe(html)  # noqa: S308  # nosec B308 B703 - every value escaped above
