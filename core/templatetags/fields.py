"""``{% load fields %}{{ form.value|field_group }}``: a field in its DSFR group
(``core/_field_group.html``), written in Python by the form renderer
(core/rendering.py) with the template's markup."""

from django import template

from core.rendering import FIELD_GROUP_TEMPLATE

register = template.Library()


@register.filter
def field_group(field):
    """Nothing for a name the form does not have, as the former ``{% include %}`` rendered."""
    return field.render(template_name=FIELD_GROUP_TEMPLATE) if hasattr(field, "render") else ""
