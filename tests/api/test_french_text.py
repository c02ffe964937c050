"""The API's and the open data's French text reads as written (the policy of
tests/test_french_text.py, on these two apps)."""

import pytest
from django.utils import translation

from tests import test_french_text


@pytest.mark.parametrize("app", ["api", "opendata"])
def test_every_marked_string_reads_as_written(app, monkeypatch):
    monkeypatch.setattr(test_french_text, "APPS", (app,))
    collisions = []
    with translation.override("fr"):
        for where, func, text in test_french_text.marked_strings():
            if not func.startswith(("ngettext", "pgettext")) and translation.gettext(text) != text:
                collisions.append(f"{where}: « {text} » → « {translation.gettext(text)} »")
    assert not collisions, "\n".join(collisions)


@pytest.mark.parametrize("app", ["api", "opendata"])
def test_templates_hold_their_french_text_directly(app):
    test_french_text.test_templates_hold_their_french_text_directly(app)
