"""One policy for the French text: it is written in French where it is
shown, in templates and code alike. Python marks it with gettext (Django's
own convention, and the translations of Django and django-dsfr stay on for
their French), but no catalogue of ours exists, so each of our strings must
come back from gettext unchanged. A French word that is also an English
msgid of another catalogue (« Close » became « Fermer ») fails here."""

import ast
import re
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


SHOWN = (*APPS, "notifications", "opendata", "territories", "api", "templates")
# « valeur(s) », « rejeté(s) »: a word with its plural in brackets, in a string of the code or in a template.
BRACKETED_PLURAL = re.compile(r"\w\((s|e|es)\)(?=[\s.,;:)»]|$)")


def _strings_of(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def test_plurals_are_written_not_bracketed():
    found = []
    for app in SHOWN:
        for path in (ROOT / app).rglob("*"):
            if "migrations" in path.parts or path.suffix not in (".py", ".html", ".txt"):
                continue
            lines = _strings_of(path) if path.suffix == ".py" else enumerate(path.read_text().splitlines(), 1)
            found += [
                f"{path.relative_to(ROOT)}:{n} « {text.strip()[:80]} »"
                for n, text in lines
                if BRACKETED_PLURAL.search(text)
            ]
    assert not found, "\n".join(found)


def test_the_plural_check_sees_a_bracketed_plural():
    assert BRACKETED_PLURAL.search("1 ligne(s) en cause") and BRACKETED_PLURAL.search("élément(s) rejeté(s) :")
    assert not BRACKETED_PLURAL.search("int(x) for x") and not BRACKETED_PLURAL.search("les axes (si besoin)")


@pytest.mark.parametrize("app", SHOWN)
def test_file_sizes_use_the_one_french_formatter(app):
    """core.values.format_size (« 2,0 Ko »), never Django's filesizeformat (« 2,0 Kio » in French)."""
    found = [
        str(p.relative_to(ROOT))
        for p in (ROOT / app).rglob("*")
        if p.suffix in (".py", ".html") and "filesizeformat" in p.read_text()
    ]
    assert not found, found


# French plural: 0 and 1 singular. Django's ``pluralize`` and ``ngettext`` without a catalogue follow English.
ENGLISH_PLURAL_IN_TEMPLATE = re.compile(r"\|pluralize\b")


@pytest.mark.parametrize("app", (*SHOWN, "reviews"))
def test_templates_use_the_french_plural(app):
    found = [
        str(p.relative_to(ROOT))
        for p in (ROOT / app).rglob("*")
        if p.suffix in (".html", ".txt") and ENGLISH_PLURAL_IN_TEMPLATE.search(p.read_text())
    ]
    assert not found, f"|pluralize (règle anglaise : « 0 lignes ») au lieu de |plural : {found}"


def test_code_uses_the_french_ngettext():
    found = []
    for app in (*SHOWN, "reviews", "tooling"):
        for path in (ROOT / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                    if (
                        any(alias.name.startswith("ngettext") for alias in node.names)
                        and path != ROOT / "core/values.py"
                    ):
                        found.append(str(path.relative_to(ROOT)))
    assert not found, found


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 ligne rejetée"), (1, "1 ligne rejetée"), (2, "2 lignes rejetées"), (-3, "-3 lignes rejetées")],
)
def test_the_french_plural_rule(count, expected):
    from django.template import Context, Template

    from core.values import ngettext

    assert ngettext("%(n)s ligne rejetée", "%(n)s lignes rejetées", count) % {"n": count} == expected
    rendered = Template("{% load values %}{{ n }} ligne{{ n|plural }} rejetée{{ n|plural }}").render(
        Context({"n": count})
    )
    assert rendered == expected
    assert (
        Template('{% load values %}{{ n }} hôpit{{ n|plural:"al,aux" }}')
        .render(Context({"n": count}))
        .endswith("hôpitaux" if abs(count) >= 2 else "hôpital")
    )
