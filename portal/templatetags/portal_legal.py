"""The footer's accessibility status, written once in portal/legal.py."""

from django import template

from portal.legal import ACCESSIBILITY_STATUS

register = template.Library()


@register.simple_tag
def accessibility_status():
    return ACCESSIBILITY_STATUS
