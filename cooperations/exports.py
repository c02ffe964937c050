"""Table exports (CSV, XLSX) that a spreadsheet cannot turn against its
reader: a cell that a spreadsheet would read as a formula (« = », « + »,
« - », « @ », tab, carriage return) is written as text, behind an
apostrophe. Numbers stay numbers."""

import re

import tablib
from django.utils import timezone
from django_tables2.export import TableExport

EXPORT_FORMATS = ("csv", "xlsx")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^[+-]?\d[\d\s.,]*%?$")


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.match(value):
        return "'" + value
    return value


def requested_export(request):
    """The format a list page is asked to export to (``?_export=``), or None."""
    export = request.GET.get("_export")
    return export if export in EXPORT_FORMATS else None


def export_response(export_format, table, name):
    """The table as a download named ``<name>-<today>.<format>``."""
    exporter = TableExport(export_format, table)
    safe = tablib.Dataset(headers=exporter.dataset.headers, title=exporter.dataset.title)
    for row in exporter.dataset:
        safe.append([neutralise(value) for value in row])
    exporter.dataset = safe
    return exporter.response(f"{name}-{timezone.localdate().isoformat()}.{export_format}")
