"""The engine shared by the reference-data importers (the reading of the
files themselves is core.tabular's, shared with the input files).

A file is read as a stream of lines (memory stays flat whatever its size),
its layout is recognised from its header, each line is parsed into a plain
dict or rejected with its line number and a French reason, and parsed rows
are applied in chunks by the layout, all inside one transaction. In strict
mode the first rejected line refuses the whole file.
"""

import io
import itertools
import os
import sys
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import reset_queries, transaction
from django.utils.translation import gettext as _

from core.tabular import (
    READ_BLOCK,
    ProgressFile,
    csv_records,
    fraction_reporter,
    sniff_delimiter,
    text_lines,
)

# The importers' name for a refused file (the kit's, raised by its reading engine too).
from core.tabular import FileRefusedError as ImportRefusedError
from core.values import format_size

CHUNK_SIZE = 1000
MAX_REPORTED_ERRORS = 200
# An XLSX is a zip: its members' declared sizes, once inflated, bound what
# openpyxl reads (the GHT member list is < 2 Mo inflated).
MAX_XLSX_INFLATED = 50 << 20


def upload_limit(kind: str) -> int:
    """The largest file accepted for that kind of import (settings.IMPORT_UPLOAD_LIMITS)."""
    return min(settings.IMPORT_UPLOAD_LIMITS[kind], settings.IMPORT_MAX_UPLOAD_SIZE)


def oversize_error(kind: str, size: int) -> str | None:
    """The French refusal of a file above the limit of its kind, checked on
    its size before a byte of it is read; None when it fits."""
    limit = upload_limit(kind)
    if size <= limit:
        return None
    return _(
        "Le fichier dépasse la taille maximale autorisée (%(limit)s) pour ce type d’import : il pèse %(size)s. "
        "Rien n’a été importé."
    ) % {"limit": format_size(limit), "size": format_size(size)}


class RowError(Exception):
    """A line that cannot be imported; the message says why, in French."""


@dataclass
class ImportReport:
    layout: str = ""
    rows: int = 0
    counts: Counter = field(default_factory=Counter)
    # (line number, or path of the element in a JSON file; reason)
    errors: list[tuple[int | str, str]] = field(default_factory=list)
    rejected: int = 0
    notes: list[str] = field(default_factory=list)
    row_label: str = ""

    def count(self, kind: str, outcome: str, n: int = 1) -> None:
        self.counts[(kind, outcome)] += n

    def reject(self, line: int | str, reason: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append((line, reason))

    def as_dict(self) -> dict:
        return {
            "layout": self.layout,
            "rows": self.rows,
            "rejected": self.rejected,
            "counts": {f"{kind}:{outcome}": n for (kind, outcome), n in sorted(self.counts.items())},
            "errors": [{"where": where, "reason": reason} for where, reason in self.errors],
            "notes": self.notes,
        }

    def summary_lines(self) -> list[str]:
        lines = [_("Format reconnu : %(layout)s") % {"layout": self.layout}]
        lines.append(
            _("%(label)s : %(rows)s, rejets : %(rejected)s")
            % {"label": self.row_label or _("Lignes lues"), "rows": self.rows, "rejected": self.rejected}
        )
        kinds = sorted({kind for kind, _outcome in self.counts})
        labels = {
            "created": _("créés"),
            "updated": _("mis à jour"),
            "unchanged": _("inchangés"),
            "removed": _("retirés"),
            "closed": _("fermés"),
            "absent_du_repertoire": _("absents du répertoire"),
        }
        for kind in kinds:
            parts = [
                f"{label} : {self.counts[(kind, outcome)]}"
                for outcome, label in labels.items()
                if outcome in ("created", "updated", "unchanged") or self.counts[(kind, outcome)]
            ]
            lines.append(f"{kind} — " + ", ".join(parts))
        for where, reason in self.errors:
            if isinstance(where, int):
                lines.append(_("Ligne %(line)s rejetée : %(reason)s") % {"line": where, "reason": reason})
            else:
                lines.append(_("Élément %(path)s rejeté : %(reason)s") % {"path": where, "reason": reason})
        if self.rejected > len(self.errors):
            lines.append(_("… et %(n)s autres rejets.") % {"n": self.rejected - len(self.errors)})
        lines.extend(self.notes)
        return lines


def open_lines(path: Path, progress: bool = False, on_progress=None) -> Iterator[str]:
    """Yield the decoded lines of a file, streaming; ``on_progress(fraction)``
    is told how much of the file has been read."""
    bar = None
    size = os.path.getsize(path)
    if progress and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=size, unit="o", unit_scale=True, desc=Path(path).name, leave=False)
    try:
        with open(path, "rb") as raw:
            handle = io.BufferedReader(
                ProgressFile(raw, bar, fraction_reporter(on_progress, size)), buffer_size=READ_BLOCK
            )
            yield from text_lines(handle)
    finally:
        if bar is not None:
            bar.close()


def chunked(iterable, size=CHUNK_SIZE):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Layout:
    """One file layout: recognises its header, parses lines, applies chunks."""

    name = ""
    kinds: tuple[str, ...] = ()

    @classmethod
    def matches(cls, header: list[str]) -> bool:
        raise NotImplementedError

    def __init__(self, header: list[str], report: ImportReport, options: dict | None = None):
        self.header = header
        self.index = {name.strip().lower(): i for i, name in enumerate(header)}
        self.report = report
        self.options = options or {}

    def value(self, fields: list[str], name: str) -> str:
        i = self.index.get(name.lower())
        if i is None or i >= len(fields):
            return ""
        return fields[i].strip()

    def parse(self, fields: list[str]) -> dict:
        raise NotImplementedError

    def apply(self, rows: list[tuple[int, dict]]) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """Work that needs the whole file (run once, before commit)."""


def run_import(path, layouts, *, strict=False, progress=False, options=None, on_progress=None) -> ImportReport:
    """Import ``path`` with the first of ``layouts`` that recognises its
    header. Raises ImportRefusedError (nothing saved) on an unknown layout or, in
    strict mode, on the first bad line. ``on_progress(fraction)`` follows the reading."""
    path = Path(path)
    if not path.exists():
        raise ImportRefusedError(_("Fichier introuvable : %(path)s") % {"path": path})
    report = ImportReport()
    header, records = read_records(path, progress, on_progress)
    layout_class = next((layout for layout in layouts if layout.matches(header)), None)
    if layout_class is None:
        raise ImportRefusedError(
            _("Format de fichier non reconnu (en-tête : « %(header)s »). Formats acceptés : %(names)s.")
            % {"header": ";".join(header)[:120], "names": ", ".join(str(layout.name) for layout in layouts)}
        )
    layout = layout_class(header, report, options)
    report.layout = str(layout.name)

    def parsed():
        for line_no, fields in records:
            if not any(f.strip() for f in fields):
                continue
            report.rows += 1
            try:
                row = layout.parse(fields)
            except RowError as error:
                if strict:
                    raise ImportRefusedError(
                        _(
                            "Ligne %(line)s : %(reason)s — fichier refusé en entier (mode strict), rien n’a été enregistré."
                        )
                        % {"line": line_no, "reason": error}
                    ) from error
                report.reject(line_no, str(error))
                continue
            if row is not None:
                yield line_no, row

    with transaction.atomic():
        for chunk in chunked(parsed()):
            layout.apply(chunk)
            # With DEBUG on, Django keeps every SQL statement: memory would grow with the file.
            reset_queries()
            if strict and report.rejected:
                line_no, reason = report.errors[0]
                raise ImportRefusedError(
                    _("Ligne %(line)s : %(reason)s — fichier refusé en entier (mode strict), rien n’a été enregistré.")
                    % {"line": line_no, "reason": reason}
                )
        layout.finish()
    return report


def is_xlsx(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


def read_records(path: Path, progress: bool, on_progress=None):
    """Return (header, iterator of (line number, fields)) for a CSV file
    (any delimiter, UTF-8 or Latin-1) or an Excel workbook (first sheet)."""
    if is_xlsx(path):
        return _xlsx_records(path)
    lines = open_lines(path, progress=progress, on_progress=on_progress)
    first = next(lines, None)
    if first is None or not first.strip():
        raise ImportRefusedError(_("Le fichier est vide."))
    records = csv_records(itertools.chain([first], lines), sniff_delimiter(first))
    return next(records)[1], records


def _xlsx_records(path: Path):
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(path) as archive:
            inflated = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError) as error:
        raise ImportRefusedError(_("Classeur Excel illisible : %(error)s") % {"error": error}) from error
    if inflated > MAX_XLSX_INFLATED:
        # A few Mo that inflate to gigabytes (a "zip bomb") would fill the memory of openpyxl.
        raise ImportRefusedError(
            _("Classeur Excel refusé : une fois décompressé, il dépasse %(size)s. Rien n’a été enregistré.")
            % {"size": format_size(MAX_XLSX_INFLATED)}
        )
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a damaged file
        raise ImportRefusedError(_("Classeur Excel illisible : %(error)s") % {"error": error}) from error
    rows = workbook.worksheets[0].iter_rows(values_only=True)
    first = next(rows, None)
    if not first:
        raise ImportRefusedError(_("Le fichier est vide."))
    header = ["" if cell is None else str(cell).strip() for cell in first]

    def records():
        try:
            for number, row in enumerate(rows, start=2):
                yield number, ["" if cell is None else _cell_text(cell) for cell in row]
        finally:
            workbook.close()

    return header, records()


def _cell_text(cell) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def diff_fields(instance, values: dict) -> list[str]:
    """Names of the fields whose value differs from ``values`` (then set)."""
    changed = []
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed
