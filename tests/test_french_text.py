"""One policy for the French text: it is written in French where it is
shown, in templates and code alike. Python marks it with gettext (Django's
own convention, and the translations of Django and django-dsfr stay on for
their French), but no catalogue of ours exists, so each of our strings must
come back from gettext unchanged. A French word that is also an English
msgid of another catalogue (« Close » became « Fermer ») fails here."""

import ast
from pathlib import Path

import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "audit", "cooperations", "config", "core", "cpom", "demo", "diagnostics", "indicators", "portal")
GETTEXT = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}


def marked_strings():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in GETTEXT
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    yield f"{path.relative_to(ROOT)}:{node.lineno}", node.func.id, node.args[0].value


def test_every_marked_string_reads_as_written():
    collisions = []
    with translation.override("fr"):
        for where, func, text in marked_strings():
            if func.startswith(("ngettext", "pgettext")):
                continue
            if translation.gettext(text) != text:
                collisions.append(f"{where}: « {text} » → « {translation.gettext(text)} »")
    assert not collisions, "\n".join(collisions)


def test_the_check_sees_a_collision():
    with translation.override("fr"):
        assert translation.gettext("Close") != "Close"  # the msgid that made a closed campaign read « FERMER »


@pytest.mark.parametrize("app", (*APPS, "templates"))
def test_templates_hold_their_french_text_directly(app):
    tags = ("{% trans ", "{% translate ", "{% blocktrans", "{% blocktranslate")
    found = [
        str(p.relative_to(ROOT)) for p in (ROOT / app).rglob("*.html") if any(tag in p.read_text() for tag in tags)
    ]
    assert not found, found
