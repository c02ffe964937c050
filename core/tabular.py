"""The one reading engine of tabular files (the register importers, the
input files of the computed indicators): a binary stream read in blocks as
decoded lines (memory holds a block and a line whatever the file), the
delimiter recognised from the header, CSV records numbered by the line
where they start, and French reasons for what cannot be read."""

import csv
import io
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

from core.values import format_size

# The widest real line (SAE's GHT table, 203 columns) is about 2 Ko: a "line" of
# a megabyte is no CSV, and reading it whole would put it in memory.
MAX_LINE_BYTES = 1 << 20
READ_BLOCK = 1 << 16


class FileRefusedError(Exception):
    """The whole file is refused (strict mode, or an unreadable file);
    ``report``: what the refused run keeps besides the reason; ``line`` and
    ``reason``: where and why, when a line is the cause."""

    def __init__(self, message="", report=None, line=None, reason=""):
        super().__init__(message)
        self.report = report
        self.line = line
        self.reason = reason


def refused_line(line, reason) -> str:
    return _("Ligne %(line)s illisible : %(reason)s. Fichier refusé, rien n’a été enregistré.") % {
        "line": line,
        "reason": reason,
    }


class LineTooLongError(FileRefusedError):
    """A line longer than MAX_LINE_BYTES: not a CSV file, refused before it is read whole."""

    def __init__(self, line: int):
        reason = _("ligne de plus de %(size)s sans fin de ligne : ce n’est pas un fichier CSV") % {
            "size": format_size(MAX_LINE_BYTES)
        }
        super().__init__(refused_line(line, reason), line=line, reason=reason)


# A carriage return not followed by a line feed ends a line too (old Mac
# exports; bytes.splitlines splits on CR LF, LF and CR alone); inside a quoted
# field the csv module keeps it in the value.


def decode_line(raw: bytes) -> str:
    """French exports come in UTF-8 (with or without BOM) or Windows-1252 /
    Latin-1; decide line by line so that a stream needs no second pass."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
    return text.lstrip("\ufeff")


def raw_lines(handle, max_line: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """Yield the lines of a binary stream (each with its end of line: CR LF,
    LF or a lone CR), reading blocks: memory holds one block and one line,
    whatever the file. A line longer than ``max_line`` refuses the file."""
    buffer, number = b"", 0
    while True:
        block = handle.read(READ_BLOCK)
        if not block:
            if buffer:
                yield buffer
            return
        lines = (buffer + block).splitlines(keepends=True)
        # The last line may go on in the next block (a CR may be the first half of CR LF).
        buffer = b"" if lines[-1].endswith(b"\n") else lines.pop()
        for line in lines:
            number += 1
            if len(line) > max_line:
                raise LineTooLongError(number)
            yield line
        if len(buffer) > max_line:
            raise LineTooLongError(number + 1)


def text_lines(handle, max_line: int = MAX_LINE_BYTES) -> Iterator[str]:
    """The decoded lines of a binary stream (see raw_lines and decode_line)."""
    for raw in raw_lines(handle, max_line):
        yield decode_line(raw)


class ProgressFile(io.RawIOBase):
    """Wraps a binary file to report the bytes read: to a progress bar, and to
    ``on_read(bytes read so far)``."""

    def __init__(self, handle, bar=None, on_read=None):
        self._handle = handle
        self._bar = bar
        self._on_read = on_read
        self.position = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = self._handle.readinto(buffer)
        if n:
            self.position += n
            if self._bar is not None:
                self._bar.update(n)
            if self._on_read is not None:
                self._on_read(self.position)
        return n


def fraction_reporter(progress, total: int):
    """``on_read`` for ProgressFile: calls ``progress(fraction)`` each time one
    more percent of ``total`` bytes is read (not at every block)."""
    if progress is None:
        return None
    total = max(total, 1)
    last = [-1]

    def on_read(position):
        percent = min(99, position * 100 // total)
        if percent > last[0]:
            last[0] = percent
            progress(percent / 100)

    return on_read


def sniff_delimiter(header: str) -> str:
    counts = {sep: header.count(sep) for sep in (";", ",", "\t", "|")}
    return max(counts, key=counts.get)


def csv_records(lines: Iterable[str], delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, fields); a quoted field spanning lines keeps the
    number of the line where its record starts."""
    numbered = _NumberedLines(lines)
    reader = csv.reader((text for _n, text in numbered), delimiter=delimiter)
    try:
        yield from ((numbered.record_start, fields) for fields in reader)
    except csv.Error as error:
        reason = unreadable_reason(error)
        raise FileRefusedError(refused_line(numbered.line_no, reason), line=numbered.line_no, reason=reason) from error


def unreadable_reason(error) -> str:
    """A French reason for what the csv module cannot read."""
    if "field larger than field limit" in str(error):
        return _("un champ dépasse %(n)s caractères") % {"n": csv.field_size_limit()}
    return _("ligne CSV mal formée (%(error)s)") % {"error": error}


class _NumberedLines:
    def __init__(self, lines):
        self._lines = iter(lines)
        self.line_no = 0
        self.record_start = 1
        self._in_record = False

    def __iter__(self):
        for text in self._lines:
            self.line_no += 1
            if not self._in_record:
                self.record_start = self.line_no
            # An odd number of quotes leaves a quoted field open.
            if text.count('"') % 2 == 1:
                self._in_record = not self._in_record
            yield self.line_no, text
