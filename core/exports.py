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
# ASCII digits only: « -١ » is text, not a number to leave alone.
NUMBER = re.compile(r"^[+-]?\d[\d\s.,]*%?$", re.ASCII)
# Control characters an XLSX file cannot hold (openpyxl refuses the cell).
XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.match(value):
        return "'" + value
    return value


def xlsx_safe(value):
    """``neutralise``, and without the control characters XLSX cannot store
    (which would otherwise fail the whole export)."""
    if isinstance(value, str):
        value = XLSX_ILLEGAL.sub("", value)
    return neutralise(value)


def neutralised_dataset(dataset, export_format="xlsx"):
    """A copy of a tablib Dataset with every cell made safe for the format."""
    clean = xlsx_safe if export_format == "xlsx" else neutralise
    safe = tablib.Dataset(headers=dataset.headers, title=dataset.title)
    for row in dataset:
        safe.append([clean(value) for value in row])
    return safe


def requested_export(request):
    """The format a list page is asked to export to (``?_export=``), or None."""
    export = request.GET.get("_export")
    return export if export in EXPORT_FORMATS else None


def export_response(export_format, table, name):
    """The table as a download named ``<name>-<today>.<format>``."""
    exporter = TableExport(export_format, table)
    exporter.dataset = neutralised_dataset(exporter.dataset, export_format)
    return exporter.response(f"{name}-{timezone.localdate().isoformat()}.{export_format}")
