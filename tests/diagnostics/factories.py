"""Factories of the diagnostics, through their services."""

from diagnostics import services
from diagnostics.models import Axis


def diagnostic_of(user, structure, title, axis=None):
    """A diagnostic of a GHT opened by ``user``, with an axis titled ``axis`` if given."""
    diagnostic = services.open_diagnostic(user, "ght", structure, title)
    created = None
    if axis:
        created = services.save_axis(user, Axis(diagnostic=diagnostic, title=axis, theme="medicales"), [])
    return diagnostic, created
