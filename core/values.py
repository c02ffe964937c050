"""Typed values of an indicator (baseline, targets, and later declarations):
parsing what a user typed, with a French message when it does not fit, and
displaying a stored value.

Also the one French formatting of numbers, money, percentages, file sizes and
dates, for pages (the ``values`` template filters), PDFs, emails and exports:
« 1 200,5 », « 3,00 € », « 12,5 % », « 2,0 Mo », « 2 décembre 2026 ». It does
not depend on the active language (a Celery task or a command has none)."""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext as django_ngettext
from django.utils.translation import override


class ValueType(models.TextChoices):
    NUMBER = "nombre", _("Nombre décimal")
    PERCENTAGE = "pourcentage", _("Pourcentage")
    COUNT = "effectif", _("Nombre entier (décompte)")
    BOOLEAN = "oui_non", _("Oui / non")
    SCALE = "echelle", _("Échelle qualitative")
    TEXT = "texte", _("Texte libre")


YES = {"oui", "o", "vrai", "true", "1", "yes"}
NO = {"non", "n", "faux", "false", "0", "no"}
MAX_NUMBER = Decimal("1e12")
MAX_DECIMALS = 4  # the columns' decimal places


def scale_levels(levels_text):
    return [line.strip() for line in (levels_text or "").splitlines() if line.strip()]


def to_decimal(raw):
    """A number as French users type it (« 1 200,5 », thin or no-break
    spaces), or None when it is not one."""
    cleaned = raw.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", ".")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def _number(raw):
    value = to_decimal(raw)
    if value is None:
        raise ValidationError(_("« %(raw)s » n’est pas un nombre.") % {"raw": raw}, code="not_a_number")
    # copy_abs, not abs(): abs() rounds to the context and overflows on « 1e999999999 ».
    if not value.is_finite() or value.copy_abs() >= MAX_NUMBER:
        raise ValidationError(_("« %(raw)s » n’est pas un nombre admis.") % {"raw": raw}, code="not_a_number")
    if value.normalize().as_tuple().exponent < -MAX_DECIMALS:
        raise ValidationError(
            _("« %(raw)s » : %(n)s décimales au plus.") % {"raw": raw, "n": MAX_DECIMALS}, code="too_many_decimals"
        )
    return value


def parse_value(value_type, raw, levels_text=""):
    """Return ``(number, text)`` for what the user typed, or raise
    ValidationError. A yes/no is stored as 1 / 0, a scale level as its rank
    (1 = first level) with its label."""
    raw = (raw or "").strip()
    if not raw:
        raise ValidationError(_("Valeur manquante."), code="required")
    value_type = ValueType(value_type)
    if value_type == ValueType.TEXT:
        if len(raw) > 500:
            raise ValidationError(_("500 caractères au plus."), code="too_long")
        return None, raw
    if value_type == ValueType.BOOLEAN:
        word = raw.lower()
        if word in YES:
            return Decimal(1), "oui"
        if word in NO:
            return Decimal(0), "non"
        raise ValidationError(_("Répondez « oui » ou « non »."), code="not_boolean")
    if value_type == ValueType.SCALE:
        levels = scale_levels(levels_text)
        for rank, level in enumerate(levels, start=1):
            if raw.lower() == level.lower() or raw == str(rank):
                return Decimal(rank), level
        raise ValidationError(
            _("« %(raw)s » n’est pas un niveau de l’échelle (%(levels)s).")
            % {"raw": raw, "levels": " / ".join(levels)},
            code="not_a_level",
        )
    number = _number(raw.rstrip("%").strip() if value_type == ValueType.PERCENTAGE else raw)
    if value_type == ValueType.PERCENTAGE and not (0 <= number <= 100):
        raise ValidationError(_("Un pourcentage est compris entre 0 et 100."), code="out_of_range")
    if value_type == ValueType.COUNT:
        if number != number.to_integral_value() or number < 0:
            raise ValidationError(_("Un décompte est un nombre entier positif ou nul."), code="not_a_count")
        number = number.quantize(Decimal(1))
    return number.normalize() if number == number.to_integral_value() else number, ""


NBSP = "\u00a0"
NNBSP = "\u202f"  # the thousands separator of French (narrow no-break space)
DECIMAL_SEPARATOR = ","
_PLAIN_DIGITS_LIMIT = 200  # beyond it Django writes the number in scientific notation: its own path


def french_number(number, decimal_pos=None, thousands=NBSP):
    """``number_format(number, decimal_pos, use_l10n=True, force_grouping=True)`` in French (« , » for
    decimals, groups of three), for a ``Decimal``, without looking up the locale's formats on every
    call (issue 19: a page of values formats hundreds of them). The same rules as Django's, which
    ``tests/core/test_values.py`` compares on generated numbers: decimals cut (not rounded) to
    ``decimal_pos`` then padded, a number below the last shown decimal written as zero."""
    if not isinstance(number, Decimal) or not number.is_finite():
        return _django_french_number(number, decimal_pos, thousands)
    if decimal_pos is not None and abs(number) < Decimal("0." + "1".rjust(decimal_pos, "0")):
        number = Decimal(0)
    _sign, digits, exponent = number.as_tuple()
    if abs(exponent) + len(digits) > _PLAIN_DIGITS_LIMIT:
        return _django_french_number(number, decimal_pos, thousands)
    text = f"{number:f}"
    sign = ""
    if text[0] == "-":
        sign, text = "-", text[1:]
    whole, _dot, decimals = text.partition(".")
    if decimal_pos is not None:
        decimals = decimals[:decimal_pos].ljust(decimal_pos, "0")
    groups = []
    while len(whole) > 3:
        groups.append(whole[-3:])
        whole = whole[:-3]
    groups.append(whole)
    shown = thousands.join(reversed(groups))
    return f"{sign}{shown}{DECIMAL_SEPARATOR}{decimals}" if decimals else f"{sign}{shown}"


def _django_french_number(number, decimal_pos, thousands):
    """Django's own path, for what ``french_number`` does not write itself."""
    with override("fr"):
        shown = number_format(number, decimal_pos=decimal_pos, use_l10n=True, force_grouping=True)
    return shown.replace(NBSP, thousands)


def format_value(value_type, number, text, unit=""):
    """The value as a reader should see it (« 12,5 % », « oui », « Engagé »)."""
    if number is None and not text:
        return ""
    value_type = ValueType(value_type)
    if value_type in (ValueType.TEXT, ValueType.BOOLEAN, ValueType.SCALE):
        return text
    number = number.normalize()  # 0.3100 stored, 0,31 shown
    decimals = 0 if number == number.to_integral_value() else None
    shown = french_number(number, decimals)
    if value_type == ValueType.PERCENTAGE:
        return f"{shown} %"
    return f"{shown} {unit}".strip()


def raw_value(value_type, number, text):
    """The value as it should appear again in an input."""
    if number is None and not text:
        return ""
    if ValueType(value_type) in (ValueType.TEXT, ValueType.BOOLEAN, ValueType.SCALE):
        return text
    # Fixed-point: « 100 », never the « 1E+2 » that str() gives a normalised 100.
    return format(number.normalize(), "f").replace(".", ",")


MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def _as_decimal(value):
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def format_number(value, decimals=None):
    """« 1 200,5 », « -20,1 », « 0,31 » (never « 0.3100 »): the value's own
    decimals without trailing zeros, or exactly ``decimals``; "" for None."""
    if value is None or value == "":
        return ""
    number = _as_decimal(value)
    if decimals is None:
        number = number.normalize()
        decimals = 0 if number == number.to_integral_value() else -number.as_tuple().exponent
    return french_number(number, decimals, NNBSP)


def format_money(value):
    """« 3,00 € », « 1 250,50 € »: always two decimals."""
    if value is None or value == "":
        return ""
    return f"{format_number(value, 2)}{NBSP}€"


def format_percent(value, decimals=None):
    """« 12,5 % » for 12.5 (a value already in percent)."""
    if value is None or value == "":
        return ""
    return f"{format_number(value, decimals)}{NBSP}%"


def format_size(size):
    """A file size in French units: « 300 octets », « 2,0 Ko », « 5,3 Mo » (never « Kio »)."""
    if size is None:
        return ""
    size = int(size)
    if size < 1024:
        return f"{size}{NBSP}octet{'s' if size > 1 else ''}"
    for unit in ("Ko", "Mo", "Go", "To"):
        size /= 1024
        if size < 1024 or unit == "To":
            return f"{format_number(round(Decimal(repr(size)), 1), 1)}{NBSP}{unit}"
    raise AssertionError("unreachable")


def format_date(value, with_time=False):
    """« 2 décembre 2026 » (« 1er » for the first), with the time « à 14 h 05 » (local time) when asked."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        moment = value
        value = value.date()
    else:
        moment = None
    day = "1er" if value.day == 1 else str(value.day)
    shown = f"{day} {MONTHS[value.month - 1]} {value.year}"
    if with_time and moment is not None:
        shown += f" à {moment.hour}{NBSP}h{NBSP}{moment.minute:02d}"
    return shown


def is_plural(count) -> bool:
    """French grammar: 0 and 1 take the singular (« 0 établissement », « 1 ligne »), 2 and more the plural.
    Django's ``pluralize`` and the fallback of ``ngettext`` follow English (every count but 1 is plural)."""
    try:
        return abs(count) >= 2
    except TypeError:
        return len(count) >= 2


def ngettext(singular, plural, count):
    """``django.utils.translation.ngettext`` with the French rule of ``is_plural``: the one to use."""
    return django_ngettext(singular, plural, 2 if is_plural(count) else 1)
