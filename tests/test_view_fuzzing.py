"""Every view, fuzzed: hostile query strings on each page, hostile values in
each field of each form a page shows, for the users who may reach it. No
answer is a 5xx, a refused POST changes no row, and what a page says back
is French.

- The URLs come from the resolver: a new one is fuzzed without anyone adding
  it here. Their path arguments come from the role table of
  tests/cooperations/test_access.py, which must hold a row for each URL
  (``test_every_named_url_is_in_the_table`` there), and so do the roles that
  reach each one.
- The query parameters a view reads are found in its source: ``request.GET``
  and the filter sets, tables and forms it gives the request to, through the
  project's helpers it calls (``read_parameters``); the page adds what it
  offers (its filter forms' options, its sorting and paging links).
- The POST fields are those of the forms the pages show, as a browser sends
  them, with one to three of them tampered with (hidden ones included: ids,
  edit tokens, formset counts), removed, repeated, or replaced by a file of
  random bytes.

Reproducible: the examples derive from a fixed seed (``derandomize``). With
``VIEW_FUZZING=deep`` the search is random and fifty times longer.
"""

import ast
import html
import inspect
import os
import re
import textwrap
import time
import traceback
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import django_filters
import django_tables2
import pytest
from django import forms
from django.apps import apps
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import NoReverseMatch, Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.cooperations.test_access import POST_ONLY, ROLES, TABLE
from tests.hostile import PROPERTY, SWEEP, english_errors, rolled_back, tampered_scalar
from tests.html_forms import FormDetail, FormReader

pytestmark = pytest.mark.django_db

settings.register_profile("view-fuzzing", PROPERTY, max_examples=20)
settings.register_profile("view-fuzzing-deep", PROPERTY, max_examples=1000, derandomize=False)
PROFILE = settings.get_profile("view-fuzzing-deep" if os.environ.get("VIEW_FUZZING") == "deep" else "view-fuzzing")
# A view that reads no parameter only has to ignore unknown ones, and a second
# user of a page meets the same parsing as the first: a few examples.
FEW_EXAMPLES = max(3, PROFILE.max_examples // 5)
# A form also gets the sweeps (every field at once): fewer random examples.
POST_EXAMPLES = PROFILE.max_examples // 2
# A slow page (a PDF) gets fewer examples: about this many seconds per case.
SECONDS_PER_CASE = 2.0

# Namespaces left out, and why. Static and media files are not routed by the
# project's resolver (DEBUG is off), so there is nothing of them to leave out.
EXCLUDED_NAMESPACES = {
    "admin": "Django's own administration, tested by Django",
    "api": "the API, fuzzed against its OpenAPI schema per kind of token (tests/api/test_schema.py, schemathesis)",
}
# Fields never tampered with: the test client does not check the CSRF token
# (Django's middleware does, and it answers 403 by itself).
UNTAMPERED_FIELDS = {"csrfmiddlewaretoken"}
# Views whose answer to a successful POST is a page, not a redirect, and why:
# for them a refusal is an error status or a page showing an error.
ANSWER_WITH_A_PAGE = {
    "api_tokens:list": "a new token's secret is shown once, on the page answering the POST (a redirect would lose it)",
}
ERROR_MARKS = re.compile(r"fr-(error-text|alert--error|message--error|[a-z]+-group--error|fieldset--error)")
# The users who fuzz, in order of preference for a form several of them see.
FUZZ_ROLES = ["negotiator", "director", "admin", "observer", "anonymous"]
UNKNOWN_PARAMETER = "inconnu"
PROJECT_APPS = [
    app
    for app in apps.get_app_configs()
    if app.path.startswith(str(django_settings.BASE_DIR)) and ".venv" not in app.path
]
PROJECT_PACKAGES = {"config"} | {app.name.split(".")[0] for app in PROJECT_APPS}
TABLE_PARAMETERS = {"sort", "page", "per_page"}

# Failures the fuzzing found, kept as explicit examples: (method, URL name) → examples.
# An id beyond 64 bits: SQLite's OverflowError in ``pk__in`` (core.forms.ModelMultipleChoiceField).
HUGE_ID = "99999999999999999999"
REGRESSIONS = {
    ("POST", "indicators:campaign_create"): [[("cpoms", HUGE_ID)]],
    ("POST", "indicators:campaign_update"): [[("cpoms", HUGE_ID)]],
    ("POST", "diagnostics:inventory_add"): [[("members", HUGE_ID)]],
    ("POST", "diagnostics:axis_create"): [[("partners", HUGE_ID)]],
    ("POST", "diagnostics:axis_update"): [[("partners", [HUGE_ID, "1"])]],
    # A forged row count: 2,000 rows built and rendered, 47 s (core.forms.OwnRowsFormSetMixin).
    ("POST", "cpom:commitment_update"): [[("indicateurs-TOTAL_FORMS", HUGE_ID)]],
    ("POST", "cooperations:structure_update"): [[("membres-TOTAL_FORMS", "1000")]],
    # PostgreSQL only. A NUL looked up as a FINESS number (core.middleware.NulCharacterMiddleware).
    ("GET", "cpom:cpom_create"): [[("entite", "\x00")]],
    # An over-long user name, recorded by django-axes in 255 characters (accounts.forms.LoginForm).
    ("POST", "login"): [[("username", "a" * 300)]],
}


# --- The URLs --------------------------------------------------------------------------------


def url_patterns(resolver=None, namespace="", prefix=""):
    """(qualified name, or route if it has none; view) of every URL of the project but the excluded namespaces."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in EXCLUDED_NAMESPACES:
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_patterns(entry, inner, f"{prefix}{entry.pattern}")
        elif isinstance(entry, URLPattern):
            yield (f"{namespace}{entry.name}" if entry.name else f"{prefix}{entry.pattern}"), entry.callback


# An unnamed pattern cannot be reversed: its route → the path fuzzed for it
# (the API's catch-all, "api/v1/^.*/$", goes with its excluded namespace).
UNNAMED_PATHS: dict[str, str] = {}
VIEWS = dict(url_patterns())
ROWS = {}
for _name, _args, _statuses in TABLE:
    ROWS.setdefault(_name, []).append((_args, dict(zip(ROLES, _statuses, strict=True))))
for _name in POST_ONLY:  # no argument, and a GET is not allowed
    ROWS.setdefault(_name, []).append((lambda world: [], dict.fromkeys(ROLES, 405)))
for _name in UNNAMED_PATHS:  # whoever asks gets the same answer
    ROWS.setdefault(_name, []).append((lambda world: [], dict.fromkeys(ROLES, 404)))


def url_of(name, args, world):
    return UNNAMED_PATHS[name] if name in UNNAMED_PATHS else reverse(name, args=args(world))


def chosen_row(name):
    """The first row of the role table where a user who fuzzes gets the page, else its first row."""
    rows = ROWS.get(name, [])
    for args, statuses in rows:
        if any(statuses[role] == 200 for role in FUZZ_ROLES):
            return args, statuses
    return rows[0] if rows else (None, {})


def reaching_roles(name):
    """The users who get the page; if none does (a POST-only or not-yet-built
    resource), the first one not refused, to fuzz whatever answer he gets."""
    _args, statuses = chosen_row(name)
    roles = [role for role in FUZZ_ROLES if statuses.get(role) == 200]
    return roles or [next((role for role in FUZZ_ROLES if statuses.get(role, 403) != 403), "admin")]


# --- What a view reads from the request ------------------------------------------------------


REQUEST_DATA = {"GET": ("GET", "query_params"), "POST": ("POST", "FILES", "data")}


def _request_data(node, method):
    """``request.GET`` (or POST, FILES), ``self.request.GET``, a DRF view's ``request.query_params`` (or data)."""
    if not (isinstance(node, ast.Attribute) and node.attr in REQUEST_DATA[method]):
        return False
    owner = node.value
    if isinstance(owner, ast.Attribute) and owner.attr == "request":
        return True
    return isinstance(owner, ast.Name) and owner.id == "request"


def _constant(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _resolve(node, namespace, bindings):
    if isinstance(node, ast.Name):
        return bindings[node.id] if node.id in bindings else namespace.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, namespace, bindings)
        if inspect.ismodule(owner) or inspect.isclass(owner):
            return getattr(owner, node.attr, None)
    return None


def _in_project(obj):
    return (getattr(obj, "__module__", None) or "").split(".")[0] in PROJECT_PACKAGES


def _class_view_parameters(view, method, seen):
    """A class-based view (Django's login and logout, a DRF view): its redirect
    target, its form's fields, its filter set, pagination and ordering, and
    what its own methods read."""
    view_class, initkwargs = view.view_class, getattr(view, "view_initkwargs", {})
    names = {getattr(view_class, "redirect_field_name", None)}
    if method == "POST":
        form_class = initkwargs.get("authentication_form") or getattr(view_class, "form_class", None)
        names |= set(getattr(form_class, "base_fields", {}))
    else:
        names |= set(getattr(getattr(view_class, "filterset_class", None), "base_filters", {}))
        pagination = getattr(view_class, "pagination_class", None)
        for attribute in ("page_query_param", "page_size_query_param", "cursor_query_param", "limit_query_param",
                          "offset_query_param"):  # fmt: skip
            names.add(getattr(pagination, attribute, None))
        for backend in getattr(view_class, "filter_backends", ()):
            names |= {getattr(backend, "ordering_param", None), getattr(backend, "search_param", None)}
        names.add(getattr(getattr(view_class, "settings", None), "URL_FORMAT_OVERRIDE", None))
    for klass in view_class.__mro__:
        if _in_project(klass):
            for member in vars(klass).values():
                if inspect.isfunction(member):
                    names |= read_parameters(member, method, seen=seen)
    return {name for name in names if isinstance(name, str)}


def read_parameters(function, method="GET", bindings=None, seen=None) -> set[str]:
    """The names a view reads from ``request.GET`` (or POST): read directly,
    or through the filter sets, forms and tables it hands them to, or
    through the project's functions it calls with the request."""
    seen = seen if seen is not None else set()
    if hasattr(function, "view_class"):
        return _class_view_parameters(function, method, seen)
    function, bindings = inspect.unwrap(function), bindings or {}
    if function in seen:
        return set()
    seen.add(function)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return set()
    namespace, names = function.__globals__, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and _request_data(node.value, method) and _constant(node.slice):
            names.add(_constant(node.slice))
        elif isinstance(node, ast.Compare) and any(_request_data(c, method) for c in node.comparators):
            if _constant(node.left):
                names.add(_constant(node.left))
        elif isinstance(node, ast.Call):
            callee = node.func
            if (
                isinstance(callee, ast.Attribute)
                and callee.attr in ("get", "getlist")
                and _request_data(callee.value, method)
            ):
                if node.args and _constant(node.args[0]):
                    names.add(_constant(node.args[0]))
                continue
            target = _resolve(callee, namespace, bindings)
            arguments = [*node.args, *(keyword.value for keyword in node.keywords)]
            given_data = any(_request_data(inner, method) for arg in arguments for inner in ast.walk(arg))
            if inspect.isclass(target):
                if issubclass(target, django_filters.FilterSet) and given_data:
                    names |= set(target.base_filters)
                elif issubclass(target, forms.BaseForm) and given_data:
                    names |= set(target.base_fields)
                elif issubclass(target, django_tables2.RequestConfig) and method == "GET":
                    names |= TABLE_PARAMETERS
            elif callable(target) and inspect.isfunction(inspect.unwrap(target)) and _in_project(target):
                try:
                    signature = inspect.signature(target)
                    bound = signature.bind_partial(
                        *[_resolve(arg, namespace, bindings) for arg in node.args],
                        **{k.arg: _resolve(k.value, namespace, bindings) for k in node.keywords if k.arg},
                    ).arguments
                except (TypeError, ValueError):
                    continue
                if "request" in signature.parameters:
                    names |= read_parameters(target, method, {k: v for k, v in bound.items() if v is not None}, seen)
    return names


# --- What the pages show -----------------------------------------------------------------------


@dataclass
class Page:
    url: str
    status: int
    elapsed: float
    offered: dict[str, list[str]] = field(default_factory=dict)  # query parameters the page links or submits


@dataclass
class PostedForm:
    """A form a page shows, posting to ``action``, as ``role`` saw it."""

    role: str
    action: str
    detail: FormDetail
    base: list[list[str]]


def _offer(offered, name, value):
    values = offered.setdefault(name, [])
    if value not in values:
        values.append(value)


def read_page(url, response, elapsed, role, posted):
    content_type = response.get("Content-Type", "")
    page = Page(url, response.status_code, elapsed)
    if response.status_code != 200 or not content_type.startswith("text/html"):
        return page
    text = response.content.decode()
    reader = FormReader()
    reader.feed(text)
    for detail, base in zip(reader.details, reader.forms, strict=True):
        action = html.unescape(detail.action) if detail.action else url
        if detail.method == "post":
            try:
                view_name = resolve(urlsplit(action).path).view_name
            except Resolver404:
                continue
            posted.setdefault(view_name, []).append(PostedForm(role, action, detail, base))
        elif urlsplit(action).path in ("", url):
            for name in detail.names:
                for value in detail.choices.get(name) or [""]:
                    _offer(page.offered, name, value)
    for href in re.findall(r'href="([^"]*\?[^"]*)"', text):
        link = urlsplit(html.unescape(href))
        if link.path in ("", url):
            for name, value in parse_qsl(link.query, keep_blank_values=True):
                _offer(page.offered, name, value)
    return page


class Site:
    """The world of tests/conftest.py, and every page of it each user may see, read once."""

    def __init__(self, world):
        self.world, self.pages, self.posted, self.clients = world, {}, {}, {}
        for role in FUZZ_ROLES:
            self.clients[role] = Client(raise_request_exception=False)
            if role != "anonymous":
                self.clients[role].force_login(world["users"][role])
        for name in VIEWS:
            if name not in ROWS:
                continue
            chosen, _statuses = chosen_row(name)
            for args, statuses in ROWS[name]:
                # Every user on the page fuzzed; the first one only on the others (their forms).
                roles = [r for r in FUZZ_ROLES if statuses[r] == 200] if args is chosen else []
                roles = roles or [r for r in FUZZ_ROLES if statuses[r] == 200][:1]
                for role in roles:
                    self._read(name, args, role)
            for role in reaching_roles(name):
                if (name, role) not in self.pages:
                    self._read(name, chosen, role)

    def _read(self, name, args, role):
        url = url_of(name, args, self.world)
        started = time.perf_counter()
        response = self.clients[role].get(url)
        page = read_page(url, response, time.perf_counter() - started, role, self.posted)
        self.pages.setdefault((name, role), page)

    def forms_posting_to(self, name):
        """One form of each kind (by its fields) posting to the URL, the preferred user's first."""
        kinds = {}
        for form in sorted(self.posted.get(name, []), key=lambda f: FUZZ_ROLES.index(f.role)):
            kinds.setdefault(frozenset(form.detail.names), form)
        return list(kinds.values())


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction rolled back at its end;
    each example runs in a savepoint of its test's (``rolled_back``)."""
    from tests.scenarios import build_full_world

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield Site(build_full_world())
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# --- Requests and their checks ----------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """A file in a POST."""

    filename: str
    content: bytes


DROP = "<absent>"  # a tampering that removes the field
FILE_NAMES = ["fichier.csv", "fichier.xlsx", "fichier.pdf", "fichier.json", "a.exe", "../../etc/passwd", "é ;'\".csv"]
FILE_CONTENTS = [
    b"",
    b"%PDF-1.4\n%%EOF\n",
    b"PK\x03\x04" + b"\x00" * 26,
    b"annee;finess_et;code_geo;champ;sejours\n2025;x;y;z;-1\n",
    b'{"a": [',
    "é;ß\n".encode("cp1252"),
]
uploads = st.builds(
    Upload,
    st.one_of(st.sampled_from(FILE_NAMES), st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)),
    st.one_of(st.sampled_from(FILE_CONTENTS), st.binary(max_size=3000)),
)


def values_for(options):
    single = st.one_of(tampered_scalar, st.sampled_from(options)) if options else tampered_scalar
    return st.one_of(single, st.lists(single, min_size=2, max_size=3))


def query_strings(names, offered):
    """One or two parameters, each with a hostile value, or one the page offers, or several."""
    pairs = st.sampled_from(sorted(names)).flatmap(lambda n: st.tuples(st.just(n), values_for(offered.get(n, []))))
    return st.lists(pairs, min_size=1, max_size=2, unique_by=lambda pair: pair[0])


def tamperings(detail: FormDetail, extra_names):
    """One to three fields changed: a hostile value, another offered one, several, none, or a file."""
    names = sorted((set(detail.names) | set(extra_names) | {UNKNOWN_PARAMETER}) - UNTAMPERED_FIELDS)

    def changes(name):
        options = detail.choices.get(name, [])
        if name in detail.files:
            return st.one_of(uploads, st.just(DROP), tampered_scalar)
        return st.one_of(values_for(options), st.just(DROP), uploads)

    pairs = st.sampled_from(names).flatmap(lambda n: st.tuples(st.just(n), changes(n)))
    return st.lists(pairs, min_size=1, max_size=3, unique_by=lambda pair: pair[0])


def post_data(base, buttons, changes):
    data = {}
    for name, value in base:
        data.setdefault(name, []).append(value)
    if buttons:
        name, value = buttons[0]  # the button a user clicks
        data.setdefault(name, [value])
    for name, value in changes:
        if value == DROP:
            data.pop(name, None)
        elif isinstance(value, Upload):
            data[name] = SimpleUploadedFile(value.filename or "sans-nom", value.content)
        else:
            data[name] = value if isinstance(value, list) else [value]
    return data


def project_models():
    return [model for app in PROJECT_APPS for model in app.get_models() if model._meta.managed]


def row_counts(models):
    """The number of rows of each table, in one query (a hundred of them per example otherwise)."""
    quote = connection.ops.quote_name
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(table)})" for table in tables))
        return dict(zip(tables, cursor.fetchone(), strict=True))


def ask(client, method, url, data):
    """The answer to a request, which must not be a server error."""
    try:
        response = getattr(client, method)(url, data)
    except Exception as error:  # the test client re-raised: the view let it through
        raise AssertionError(f"{method.upper()} {url} {data!r} raised {error!r}") from error
    if response.status_code >= 500:
        cause = "".join(traceback.format_exception(*response.exc_info)[-3:]) if response.exc_info else ""
        raise AssertionError(f"{method.upper()} {url} {data!r}: {response.status_code}\n{cause}")
    return response


def assert_french(response, context):
    if response.status_code < 300 and response.get("Content-Type", "").startswith("text/html"):
        english = english_errors(response.content.decode())
        assert not english, f"{context}: English on the page: {english}"


class SessionKept:
    """Each example starts signed in as the same user: a logout or a login
    an example made is undone with its savepoint, and so is its cookie."""

    def __init__(self, client):
        self.client, self.cookie = client, client.cookies.get(django_settings.SESSION_COOKIE_NAME)
        self.value = self.cookie.value if self.cookie else None

    def restore(self):
        name = django_settings.SESSION_COOKIE_NAME
        if self.value is None:
            self.client.cookies.pop(name, None)
        else:
            self.client.cookies[name] = self.value


def fuzzing_settings(elapsed, examples):
    return settings(PROFILE, max_examples=max(2, min(examples, int(SECONDS_PER_CASE / max(elapsed, 1e-3)))))


def with_examples(test, method, name, argument, sweeps=()):
    """The failures found before, and the sweeps, always run first."""
    for known in reversed([*REGRESSIONS.get((method, name), []), *sweeps]):  # the last applied runs first
        test = example(**{argument: known})(test)
    return test


def sweeps(names, files=()):
    """Every parameter at once set to each value of ``SWEEP``, then all
    removed, then every file field given bytes of no known format."""
    names = sorted(names)
    examples = [[(name, value) for name in names] for value in SWEEP]
    examples.append([(name, DROP) for name in names])
    if files:
        examples.append([(name, Upload("données.csv", b"\xff\xfe\x00;=1+1\r\n" * 50)) for name in files])
    return examples


def signed_in(client, site, role):
    client.raise_request_exception = False
    if role != "anonymous":
        client.force_login(site.world["users"][role])
    return SessionKept(client)


# --- The tests ---------------------------------------------------------------------------------

# A URL without its row in the role table has no arguments nor users: the
# first test below names it, rather than one failure per case.
GET_CASES = []
for _name, _view in VIEWS.items():
    if _name not in ROWS:
        continue
    _reads = read_parameters(_view)
    for _role in reaching_roles(_name) if _reads else reaching_roles(_name)[:1]:
        GET_CASES.append(pytest.param(_name, _role, id=f"{_name}-{_role}"))


def test_every_url_of_the_resolver_is_fuzzed():
    missing = sorted(name for name in VIEWS if name not in ROWS)
    assert not missing, (
        f"URLs with no row in the role table of tests/cooperations/test_access.py (or, unnamed, in UNNAMED_PATHS): "
        f"{missing}"
    )
    assert {name for name, _role in (case.values for case in GET_CASES)} == set(VIEWS)
    assert {case.values[0] for case in POST_CASES} == set(VIEWS)


def test_the_parameters_a_view_reads_are_found_in_its_source():
    """The static reading is what the fuzzing relies on: it must find what the views read."""
    assert {"q", "status", "year", "region", "ght", "sort", "page", "per_page", "_export"} <= read_parameters(
        VIEWS["cpom:cpom_list"]
    )
    assert {"version", "suivi"} <= read_parameters(VIEWS["portal:annex_download"])
    assert {"before", "date_from", "date_to", "model", "action"} <= read_parameters(VIEWS["audit_log"])
    assert {"establishment", "theme", "status", "per_page"} <= read_parameters(VIEWS["indicators:validation_queue"])
    assert {"entite"} <= read_parameters(VIEWS["cpom:cpom_create"])
    assert {"next"} <= read_parameters(VIEWS["login"])
    assert {"direction"} <= read_parameters(VIEWS["cpom:commitment_move"], "POST")
    assert {"username", "password"} <= read_parameters(VIEWS["login"], "POST")
    assert read_parameters(VIEWS["portal:cpom_detail"]) == set()


@pytest.mark.parametrize(("name", "role"), GET_CASES)
def test_a_tampered_query_string_is_never_a_server_error(client, site, name, role):
    page = site.pages[(name, role)]
    names = read_parameters(VIEWS[name]) | set(page.offered) | {UNKNOWN_PARAMETER}
    first = role == reaching_roles(name)[0]
    examples = PROFILE.max_examples if first and names - {UNKNOWN_PARAMETER} else FEW_EXAMPLES
    session = signed_in(client, site, role)

    def check(query):
        data = {}
        for key, value in query:
            data.setdefault(key, []).extend(value if isinstance(value, list) else [value])
        try:
            with rolled_back():
                assert_french(ask(client, "get", page.url, data), f"GET {page.url} {data!r}")
        finally:
            session.restore()

    read = sorted(names - {UNKNOWN_PARAMETER})
    check = given(query=query_strings(names, page.offered))(check)
    check = with_examples(check, "GET", name, "query", sweeps(read)[: len(SWEEP)] if read else ())
    fuzzing_settings(page.elapsed, examples)(check)()


POST_CASES = [pytest.param(name, id=name) for name in VIEWS if name in ROWS]


@pytest.mark.parametrize("name", POST_CASES)
def test_a_tampered_form_is_refused_in_french_and_changes_nothing(client, site, name):
    forms_shown = site.forms_posting_to(name)
    extra_names = read_parameters(VIEWS[name], "POST")
    if not forms_shown:
        # No page shows a form posting here (or none to these users): post what the view reads.
        role = reaching_roles(name)[0]
        page = site.pages[(name, role)]
        forms_shown = [PostedForm(role, page.url, FormDetail("post", page.url, sorted(extra_names)), [])]
        per_form = FEW_EXAMPLES
    else:
        per_form = max(FEW_EXAMPLES, POST_EXAMPLES // len(forms_shown))
    models = project_models()
    for shown in forms_shown[:4]:
        target = site.pages.get((name, shown.role))
        fields = (set(shown.detail.names) | extra_names) - UNTAMPERED_FIELDS
        check = post_check(client, site, shown, models, name in ANSWER_WITH_A_PAGE)
        check = given(changes=tamperings(shown.detail, extra_names))(check)
        check = with_examples(check, "POST", name, "changes", sweeps(fields, shown.detail.files) if fields else ())
        fuzzing_settings(target.elapsed if target else 0.05, per_form)(check)()


def refused(response, answers_with_a_page):
    if 300 <= response.status_code < 400:
        return False
    if answers_with_a_page and response.status_code < 300:
        return bool(ERROR_MARKS.search(response.content.decode(errors="replace")))
    return True


def post_check(client, site, shown, models, answers_with_a_page=False):
    session = signed_in(client, site, shown.role)

    def check(changes):
        data = post_data(shown.base, shown.detail.buttons, changes)
        context = f"POST {shown.action} as {shown.role} {changes!r}"
        try:
            with rolled_back():
                before = row_counts(models)
                response = ask(client, "post", shown.action, data)
                if refused(response, answers_with_a_page):
                    after = row_counts(models)
                    changed = {key: (before[key], after[key]) for key in before if before[key] != after[key]}
                    assert not changed, f"{context}: refused ({response.status_code}) yet rows changed: {changed}"
                assert_french(response, context)
        finally:
            session.restore()

    return check


@pytest.mark.parametrize(
    ("name", "formset", "field"),
    [
        ("cpom:commitment_update", "indicators", "indicateurs-TOTAL_FORMS"),
        ("cpom:commitment_update", "partners", "partenaires-TOTAL_FORMS"),
        ("cooperations:structure_update", "formset", "membres-TOTAL_FORMS"),
    ],
)
def test_a_forged_row_count_is_refused_before_its_rows_are_built(client, site, name, formset, field):
    from core.forms import OwnRowsFormSetMixin

    shown = site.forms_posting_to(name)[0]
    client.force_login(site.world["users"][shown.role])
    models = project_models()
    with rolled_back():
        before = row_counts(models)
        response = client.post(shown.action, post_data(shown.base, shown.detail.buttons, [(field, HUGE_ID)]))
        assert response.status_code == 200
        built = response.context[formset]
        limit = len(built.get_queryset()) + OwnRowsFormSetMixin.max_new_rows
        assert len(built.forms) <= limit
        assert f"Trop de lignes envoyées ({limit} au plus) : rien n’a été enregistré" in response.content.decode()
        assert row_counts(models) == before


def test_a_nul_in_a_path_argument_is_refused(client, site):
    """Path arguments are no query string, yet a FINESS number of a path was
    looked up as given: a NUL there was a 500 on PostgreSQL."""
    client.force_login(site.world["users"]["admin"])
    client.raise_request_exception = False
    tried = 0
    for name in VIEWS:
        args, _statuses = chosen_row(name)
        if name in UNNAMED_PATHS or args is None:
            continue
        real = args(site.world)
        for i, arg in enumerate(real):
            if isinstance(arg, str):
                try:
                    url = reverse(name, args=[*real[:i], "\x00", *real[i + 1 :]])
                except NoReverseMatch:  # a closed choice in the route (« regions|departements|ght »): no such URL
                    continue
                response = client.get(url)
                assert response.status_code == 400, (name, response.status_code)
                tried += 1
    assert tried >= 4  # the entity, the site, the declaration and the diagnostic's structure
