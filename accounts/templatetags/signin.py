"""Whether the ProConnect button is offered (pages other than the login page)."""

from django import template

from accounts import proconnect

register = template.Library()


@register.simple_tag
def proconnect_enabled():
    return proconnect.is_configured()
