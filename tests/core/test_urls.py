"""core.urls.object_url gives what reverse gives, for every view of the project and every kind of argument."""

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse, set_script_prefix

from core.urls import object_url


def _named_views(resolver=None, namespace=""):
    """(view name, converters of its arguments in order) of every named pattern of the URLconf."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            outer = list(entry.pattern.converters.values())
            for name, converters in _named_views(entry, inner):
                yield name, outer + converters
        elif isinstance(entry, URLPattern) and entry.name:
            yield namespace + entry.name, list(entry.pattern.converters.values())


VIEWS = sorted({(name, tuple(type(c).__name__ for c in converters)) for name, converters in _named_views()})
VALUES = {
    "IntConverter": [0, 7, 2776, 123456789, -3, "12", "abc", True],
    "StringConverter": ["930000658", "2A0000001", 42, "é-é", "a b", "", "x/y", "75"],
}


@pytest.fixture
def script_prefix():
    yield
    set_script_prefix("/")


def _expected(name, args):
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return NoReverseMatch


def _actual(name, args):
    try:
        return object_url(name, *args)
    except NoReverseMatch:
        return NoReverseMatch


@pytest.mark.parametrize("prefix", ["/", "/sous-dossier/"])
def test_every_view_and_argument_gives_reverse_s_url(prefix, script_prefix):
    set_script_prefix(prefix)
    checked = 0
    for name, converters in VIEWS:
        if not converters or any(c not in VALUES for c in converters) or len(converters) > 3:
            continue
        for position, converter in enumerate(converters):
            for value in VALUES[converter]:
                args = [VALUES[c][1] for c in converters]
                args[position] = value
                assert _actual(name, args) == _expected(name, args), (name, args)
                checked += 1
    assert checked > 100  # the walk found the project's views
    assert object_url("portal:cpom_detail", 2776) == f"{prefix}cpom/2776/"


def test_views_without_arguments_and_unknown_names():
    assert object_url("cpom:cpom_list") == reverse("cpom:cpom_list")
    with pytest.raises(NoReverseMatch):
        object_url("cpom:nothing_of_that_name", 1)
    with pytest.raises(NoReverseMatch):
        object_url("portal:cpom_detail", 1, 2)


# --- {% url %}, the builtin of core/templatetags/object_urls.py ---------------------------------------


def _render_both(source, **context):
    """The template rendered by the project's engine and by Django's own ``{% url %}`` node."""
    from django.template import Context, Engine, engines

    ours = engines["django"].from_string(source).render(context)
    plain = Engine(builtins=[])  # Django's default builtins only: its own url tag
    theirs = plain.from_string(source).render(Context(context))
    return ours, theirs


@pytest.mark.parametrize(
    "source, context",
    [
        ("{% url 'portal:cpom_detail' pk %}", {"pk": 2776}),
        ("{% url 'portal:cpom_detail' pk=pk %}", {"pk": 12}),
        ("{% url 'reviews:review' pk year %}", {"pk": 3, "year": 2025}),
        ("{% url 'cooperations:establishment_detail' finess %}", {"finess": "2A0000001"}),
        ("{% url 'cooperations:establishment_detail' finess %}", {"finess": "a&b<c"}),
        ("{% url 'cpom:cpom_list' %}?page=2", {}),
        ("{% url name pk %}", {"name": "indicators:declaration_detail", "pk": 7}),
        ("{% url 'portal:cpom_detail' pk as link %}[{{ link }}]", {"pk": 9}),
        ("{% url 'nothing:here' pk as link %}[{{ link }}]", {"pk": 9}),
        (
            "{% autoescape off %}{% url 'cooperations:establishment_detail' finess %}{% endautoescape %}",
            {"finess": "a&b"},
        ),
    ],
)
def test_the_url_tag_writes_what_django_s_writes(source, context):
    ours, theirs = _render_both(source, **context)
    assert ours == theirs


def test_the_url_tag_refuses_what_django_s_refuses():
    from django.template import engines

    with pytest.raises(NoReverseMatch):
        engines["django"].from_string("{% url 'portal:cpom_detail' pk %}").render({"pk": -1})
    with pytest.raises(NoReverseMatch):
        engines["django"].from_string("{% url 'nothing:here' %}").render({})


def test_a_link_of_a_template_is_reversed_once_per_view(monkeypatch):
    """The kept pattern serves every later link: the template's literal view name (a SafeString) and
    its text arguments included."""
    from django.template import engines

    from core import urls

    urls._pattern.cache_clear()
    calls = []
    monkeypatch.setattr(urls, "reverse", lambda *a, **kw: calls.append(a[0]) or reverse(*a, **kw))
    template = engines["django"].from_string(
        "{% url 'portal:cpom_detail' pk %} {% url 'cooperations:establishment_detail' finess %} {% url 'cpom:cpom_list' %}"
    )
    first = template.render({"pk": 1, "finess": "930000658"})
    reversed_once = len(calls)
    assert template.render({"pk": 1, "finess": "930000658"}) == first
    for pk in range(2, 30):
        template.render({"pk": pk, "finess": f"93000{pk:04d}"})
    assert len(calls) == reversed_once  # none after the first rendering
