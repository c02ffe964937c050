"""The French formatting of core/values.py for templates:
``{% load values %}{{ amount|money }} {{ rate|percent }} {{ file.size|filesize }} {{ day|french_date }}``,
and the French plural: ``{{ n }} ligne{{ n|plural }}``, ``{{ n }} hôpit{{ n|plural:"al,aux" }}`` (0 and 1 singular)."""

from django import template

from core import values

register = template.Library()


@register.filter
def number(value, decimals=None):
    return values.format_number(value, None if decimals in (None, "") else int(decimals))


@register.filter
def money(value):
    return values.format_money(value)


@register.filter
def percent(value, decimals=None):
    return values.format_percent(value, None if decimals in (None, "") else int(decimals))


@register.filter
def filesize(value):
    return values.format_size(value)


@register.filter
def french_date(value, with_time=""):
    return values.format_date(value, with_time=bool(with_time))


@register.filter
def plural(value, suffixes="s"):
    """Django's ``pluralize`` with the French rule (``core.values.is_plural``): « 0 site », « 2 sites »."""
    singular, _sep, many = suffixes.rpartition(",") if "," in suffixes else ("", "", suffixes)
    try:
        return many if values.is_plural(value) else singular
    except TypeError:
        return ""
