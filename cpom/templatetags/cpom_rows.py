"""``{% load cpom_rows %}{% indicator_rows commitment cpom %}``: the indicator rows of the CPOM page (cpom/rows.py)."""

from django import template

from cpom import rows

register = template.Library()


@register.simple_tag
def indicator_rows(commitment, cpom):
    return rows.indicator_rows(commitment, cpom)
