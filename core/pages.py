"""Page helpers of the kit: breadcrumbs, a filtered and paginated table."""

import datetime
import html
import inspect
import re
from dataclasses import dataclass
from functools import cached_property

from django.template.defaultfilters import date as date_filter
from django.template.loader import get_template
from django.utils.formats import localize
from django.utils.functional import Promise
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django_tables2 import Column, DateColumn, DateTimeColumn, RequestConfig, TemplateColumn
from django_tables2.utils import Accessor, AttributeDict

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100


def crumbs(current, *links):
    return {"links": [{"url": url, "title": title} for title, url in links], "current": current}


def bounded_int(raw, default, minimum, maximum):
    """A number read from a request: ``default`` if it is not one, else kept within bounds."""
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return default
    return min(max(value, minimum), maximum)


class BoundedRequestConfig(RequestConfig):
    """django-tables2's request configuration with a page size the request
    cannot make negative, zero or unbounded (it was a 500, or every row)."""

    def configure(self, table):
        name = table.prefixed_per_page_field
        if name in self.request.GET and self.paginate:
            default = (
                self.paginate.get("per_page", DEFAULT_PER_PAGE) if hasattr(self.paginate, "items") else DEFAULT_PER_PAGE
            )
            query = self.request.GET.copy()
            query[name] = str(bounded_int(query.get(name), default, 1, MAX_PER_PAGE))
            self.request.GET = query
        return super().configure(table)


def configure_table(request, table, **paginate):
    BoundedRequestConfig(request, paginate=paginate or True).configure(table)
    return table


def filtered_table(request, filterset_class, table_class, queryset):
    """A list page's filters and its sortable, paginated table."""
    filterset = filterset_class(request.GET or None, queryset=queryset, user=request.user)
    table = table_class(filterset.qs)
    configure_table(request, table)
    return filterset, table


# --- Table rows without django-tables2's per-cell machinery -------------------------------------------
#
# django-tables2 renders each cell through ``BoundRow.get_cell``: an accessor parsed again, the model
# field looked up again, ``inspect.signature`` of the render method and of the link callable, the
# column's attributes computed again, and a template compiled per cell for a ``DateColumn``: 60-80 % of
# a list page (issue 19). ``FastRowsMixin`` plans each column once per page (how to reach the value,
# which arguments its ``render_<name>`` takes, its link and its ``<td>`` attributes) and the row template
# reads the prepared cells. Ordering, pagination and exports stay django-tables2's; a column this plan
# does not know (``bound_row`` arguments, callable attributes…) keeps the library's own path.

_DATE_FORMAT = re.compile(r'date:"([^"]*)"')
_OPTIONAL_ARGUMENTS = frozenset({"value", "record", "column", "bound_column", "table"})


@dataclass
class _Cell:
    """How to render one column's cells (computed once per page)."""

    bound_column: object
    td_attrs: str
    bits: tuple = ()
    choices: bool = False
    render: object = None  # callable(record, value) -> content, or None: the value itself
    link: object = None  # callable(record, value) -> url, or None
    link_attrs: str = ""
    fallback: bool = False
    empty_values: tuple = ()
    default: object = None

    def value(self, record):
        current = record
        if isinstance(record, dict) and self.bound_column.accessor in record:
            return record[self.bound_column.accessor]
        bits = self.bits
        last = len(bits) - 1
        for index, bit in enumerate(bits):
            if self.choices and index == last:
                return getattr(current, f"get_{bit}_display")()
            if isinstance(current, dict):
                current = current.get(bit)
            else:
                current = getattr(current, bit, None)
            if callable(current) and not getattr(current, "do_not_call_in_templates", False):
                current = current()
            if current is None:
                return None
        return current


def _keyword_caller(function, fixed):
    """``function`` called with only the keyword arguments it declares (its signature read once)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind == p.VAR_KEYWORD for p in parameters):
        names = set(_OPTIONAL_ARGUMENTS)
    else:
        names = {p.name for p in parameters}
        if not names <= _OPTIONAL_ARGUMENTS | {"self"}:
            return None  # bound_row or an unknown argument: the library's path
    wanted_fixed = {k: v for k, v in fixed.items() if k in names}
    wants_record, wants_value = "record" in names, "value" in names

    def call(record, value):
        kwargs = dict(wanted_fixed)
        if wants_record:
            kwargs["record"] = record
        if wants_value:
            kwargs["value"] = value
        return function(**kwargs)

    return call


_ROW_CLASSES = (format_html(' class="{}"', "even"), format_html(' class="{}"', "odd"))


# The codes of Django's date format that are numbers, with the same padding (django.utils.dateformat).
_NUMERIC_DATE_CODES = {"d": "%(d)02d", "j": "%(d)d", "m": "%(m)02d", "n": "%(m)d", "Y": "%(Y)04d"}


def _numeric_date_format(fmt):
    """``fmt`` as a %-format of day, month and year when it holds only those numeric codes and
    separators (« d/m/Y »): written without the date filter's locale lookups. None otherwise."""
    parts = []
    for char in fmt:
        if char in _NUMERIC_DATE_CODES:
            parts.append(_NUMERIC_DATE_CODES[char])
        elif char in "/.- ":
            parts.append(char)
        else:
            return None
    return "".join(parts)


def _cell_text(content):
    """A cell's content as the template's ``{{ }}`` writes it (localized, escaped), with a short way
    for the contents most cells hold: marked-safe HTML and plain text need neither localization nor
    time zones."""
    kind = type(content)
    if kind is SafeString:
        return content
    if kind is str:
        return html.escape(content)  # what django.utils.html.escape does with a str
    if isinstance(content, Promise):  # a lazy translation: text once translated
        text = str(content)
        return text if isinstance(text, SafeString) else html.escape(text)
    return conditional_escape(str(localize(template_localtime(content))))


class FastRowsMixin:
    """A django-tables2 table whose page of rows is rendered from values prepared once per column
    (``prepared_rows``, read by ``templates/django_tables2/dsfr.html``)."""

    fast_rows = True

    def _cell_plan(self, bound_column, sample):
        column = bound_column.column
        td = bound_column.attrs.get("td", {})
        if any(callable(v) for v in td.values()):
            return _Cell(bound_column, "", fallback=True)
        td_html = td.as_html() if hasattr(td, "as_html") else AttributeDict(td).as_html()
        # data-label: the column's name over its value when a narrow screen shows the rows as blocks.
        cell = _Cell(
            bound_column,
            format_html('{} data-label="{}"', td_html, bound_column.header),
            empty_values=column.empty_values,
            default=bound_column.default,
        )
        accessor = Accessor(bound_column.accessor)
        cell.bits = tuple(accessor.bits)
        if sample is not None and cell.bits and hasattr(sample, "_meta"):
            field = accessor.get_field(sample)
            cell.choices = bool(field is not None and getattr(field, "choices", None) and field.name == cell.bits[-1])
        fixed = {"column": column, "bound_column": bound_column, "table": self}
        method = getattr(self, f"render_{bound_column.name}", None)
        if method is not None:
            cell.render = _keyword_caller(method, fixed)
            if cell.render is None:
                cell.fallback = True
        elif isinstance(column, DateColumn | DateTimeColumn):
            match = _DATE_FORMAT.search(getattr(column, "template_code", "") or "")
            if match is None:
                cell.fallback = True
            else:
                fmt = match.group(1)
                default = bound_column.default  # the template's ``|default:default``
                numeric = _numeric_date_format(fmt)

                def render_date(record, value, fmt=fmt, default=default, numeric=numeric):
                    if not value:
                        return default
                    value = template_localtime(value)
                    if numeric is not None and isinstance(value, datetime.date):
                        return numeric % {"d": value.day, "m": value.month, "Y": value.year}
                    return date_filter(value, fmt) or default

                cell.render = render_date
        elif isinstance(column, TemplateColumn):
            if column.template_code or column.extra_context:
                cell.fallback = True
            else:
                template = get_template(column.template_name)
                context = getattr(self, "context", None)
                base = context.flatten() if context is not None else {}

                def render_template(record, value, template=template, base=base, bound_column=bound_column):
                    return template.render(
                        {
                            **base,
                            "default": bound_column.default,
                            "column": bound_column,
                            "record": record,
                            "value": value,
                        }  # fmt: skip
                    )

                cell.render = render_template
        elif type(column) is not Column:
            cell.fallback = True
        link = bound_column.link
        if link is not None and not cell.fallback:
            if link.attrs and any(callable(v) for v in link.attrs.values()) or link.reverse_args:
                cell.fallback = True
            else:
                cell.link_attrs = AttributeDict(link.attrs or {}).as_html()
                if link.url and callable(link.url):
                    cell.link = _keyword_caller(link.url, fixed)
                    cell.fallback = cell.link is None
                else:
                    target = Accessor(link.accessor if link.accessor is not None else bound_column.name)

                    def url_of(record, value, target=target):
                        context = target.resolve(record, quiet=True)
                        if not hasattr(context, "get_absolute_url"):
                            context = record
                        return context.get_absolute_url()

                    cell.link = url_of
        return cell

    @cached_property
    def prepared_rows(self):
        """The page's rows: each a dict with ``attrs`` (of the ``<tr>``) and ``cells`` ((td attributes, content))."""
        rows = list(self.paginated_rows)
        sample = rows[0].record if rows else None
        plans = [self._cell_plan(bound_column, sample) for bound_column in self.columns]
        plain_rows = not self.row_attrs
        prepared = []
        for index, row in enumerate(rows):
            record = row.record
            cells = []
            for cell in plans:
                if cell.fallback:
                    td_html = format_html(
                        '{} data-label="{}"', cell.bound_column.attrs["td"].as_html(), cell.bound_column.header
                    )
                    cells.append((td_html, row.get_cell(cell.bound_column.name)))
                    continue
                value = cell.value(record)
                if value in cell.empty_values:
                    content = cell.default
                else:
                    content = value if cell.render is None else cell.render(record, value)
                    if cell.link is not None:
                        url = cell.link(record, value)
                        if url is not None:
                            content = format_html('<a href="{}"{}{}>{}</a>', url, " " if cell.link_attrs else "",
                                                  cell.link_attrs, content)  # fmt: skip
                cells.append((cell.td_attrs, content))
            attrs = _ROW_CLASSES[index % 2] if plain_rows else row.attrs.as_html()
            # The row's HTML in one string, as the template's {{ }} would write each cell (localized, escaped):
            # one variable for the template per row instead of two per cell.
            html = "".join(f"<td {td}>{_cell_text(content)}</td>" for td, content in cells)
            row_html = mark_safe(f"<tr{attrs}>{html}</tr>")  # noqa: S308  # nosec B308 B703 - every part escaped above
            prepared.append({"record": record, "attrs": attrs, "cells": cells, "html": row_html})
        return prepared
