"""Input data of the computed indicators: hospital stays by home area and
support-function costs. One import function serves the upload page (through
an import run in the worker) and the ``import_inputs`` command.

A file is read as a stream: line by line from its binary file, checked and
inserted in chunks, so that memory holds a chunk whatever the file's size
(the national stays of a year are millions of lines). Everything runs in one
transaction: a file with a single bad line is refused whole, with each line's
reason, and nothing of it stays; a good file replaces the rows of the same
source and year."""

import hashlib
import io
import itertools
import logging
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import connection, reset_queries, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cooperations.finess import finess_error, normalize_finess
from cooperations.importers.base import ImportRefusedError, chunked
from cooperations.models import Department, Establishment, ImportRun, LegalEntity
from core.tabular import READ_BLOCK, FileRefusedError, csv_records, fraction_reporter, sniff_delimiter, text_lines
from core.values import ngettext, to_decimal
from cpom.models import ActivityField, SupportFunction
from indicators import permissions
from indicators.models import HospitalStay, InputImport, InputKind, SupportCost

logger = logging.getLogger(__name__)

MAX_REPORTED_ERRORS = 100
# Lines checked and inserted together: memory holds one chunk (~1.5 Mo) whatever the file.
CHUNK = 1000
MAX_STAYS = 2**31  # the column is an integer

# Accepted headers (lower case, without accents) for each column.
STAY_COLUMNS = {
    "year": ("annee", "year"),
    "finess": ("finess_et", "finess", "finess_site"),
    "home_area": ("code_geo", "code_geographique", "residence", "commune", "departement_residence"),
    "field": ("champ", "champ_activite", "activite"),
    "stays": ("sejours", "nb_sejours", "nombre_sejours"),
}
COST_COLUMNS = {
    "year": ("annee", "year"),
    "finess": ("finess", "finess_ej", "finess_et"),
    "function": ("fonction", "fonction_support"),
    "cost": ("cout", "cout_total", "montant"),
    "units": ("unites", "unites_produites", "unites_oeuvre"),
    "unit_label": ("unite", "unite_oeuvre", "libelle_unite"),
}
FIELD_ALIASES = {"SMR": "SSR", "PSYCHIATRIE": "PSY"}
ACTIVITY_FIELDS = frozenset(ActivityField.values)
CENTS = Decimal("0.01")  # the decimal places of the cost and units columns
# Named in the reasons only: translated when a reason is written, not at every line.
STAYS_LABEL = gettext_lazy("nombre de séjours")
COST_LABEL = gettext_lazy("coût")
UNITS_LABEL = gettext_lazy("unités produites")


class InputError(Exception):
    """A file that cannot be read at all (empty, header, a line the csv
    module cannot read); ``line``: where."""

    def __init__(self, message, line=1):
        super().__init__(message)
        self.line = line


def _plain(text):
    """Lower case, no accents, underscores: « Année » → « annee »."""
    text = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in text if not unicodedata.combining(c)).replace(" ", "_").replace("-", "_")


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) or, failing that, Windows-1252 (what
    « Latin-1 » means in French exports from Excel: ’, œ and € included),
    or strict Latin-1 for the five bytes Windows-1252 leaves undefined.
    For a small text read whole; an input file is decoded line by line, by
    the same rule (core.tabular.decode_line)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _reader(lines, columns):
    """(records, positions of the columns) from decoded lines (each with its
    end of line: a lone carriage return ends one too, as in old Mac exports)."""
    lines = iter(lines)
    first = next(lines, None)
    if first is None or not first.strip():
        raise InputError(_("Le fichier est vide."))
    records = csv_records(itertools.chain([first], lines), sniff_delimiter(first))
    header = next(records, (1, None))[1]
    if not header:
        raise InputError(_("Le fichier est vide."))
    names = [_plain(name) for name in header]
    positions = {}
    for column, aliases in columns.items():
        found = next((names.index(alias) for alias in aliases if alias in names), None)
        if found is None and column != "unit_label":
            raise InputError(
                _("Colonne « %(name)s » absente de l’en-tête (colonnes attendues : %(all)s).")
                % {"name": aliases[0], "all": ", ".join(a[0] for a in columns.values())}
            )
        positions[column] = found
    return records, positions


def _cell(row, position):
    if position is None or position >= len(row):
        return ""
    return row[position].strip()


def _year(raw):
    if not (raw.isascii() and raw.isdigit()) or not 2000 <= int(raw) <= 2100:
        raise ValueError(_("année « %(raw)s » invalide") % {"raw": raw[:40]})
    return int(raw)


def _decimal(raw, label):
    value = to_decimal(raw)
    if value is None:
        raise ValueError(_("%(label)s « %(raw)s » n’est pas un nombre") % {"label": label, "raw": raw[:40]})
    if not value.is_finite() or value < 0 or value >= Decimal("1e12"):
        raise ValueError(_("%(label)s « %(raw)s » hors des valeurs admises") % {"label": label, "raw": raw[:40]})
    return value


def _finess(raw):
    finess = normalize_finess(raw)
    problem = finess_error(finess)
    if problem:
        raise ValueError(problem)
    return finess


def home_department(code):
    """The département of a home area: a PMSI geographic code (postal
    based: 20000–20199 Corse-du-Sud, 20200–20999 Haute-Corse), a commune code
    (2A004) or a département code (2A, 78, 971)."""
    code = code.strip().upper()
    if code in ("2A", "2B") or code[:2] in ("2A", "2B"):
        return code[:2]
    if code.startswith("97"):
        return code[:3]
    if code.startswith("20") and len(code) == 5 and code.isdigit():
        return "2A" if int(code) < 20200 else "2B"
    return code[:2]


def site_department(finess):
    """A site's département from its FINESS number, when the register does not know it."""
    if finess.startswith("97"):
        return finess[:3]
    return finess[:2]


@dataclass
class Errors:
    """The reasons of the refused lines: all counted, the first ones kept."""

    errors: list = field(default_factory=list)
    count: int = 0

    def fail(self, line, message):
        self.count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"line": line, "reason": str(message)})


def stay_rows(lines, region=None):
    """Yield (line number, values of STAY_FIELDS, None) or (line number,
    None, French reason) for each data line, a chunk at a time.

    With a région (a négociateur's import), every row must be of it: a site
    in the région, or patients living there (the région's own residents,
    wherever treated, are what its leakage rates count). Either way, the
    computations of another région never read such an import."""
    reader, at = _reader(lines, STAY_COLUMNS)
    departments = set(Department.objects.values_list("code", flat=True))
    allowed = set(region.departments.values_list("code", flat=True)) if region is not None else None
    for chunk in chunked(reader, CHUNK):
        lines = []
        for line, row in chunk:
            if not any(cell.strip() for cell in row):
                continue
            try:
                lines.append((line, *_stay(row, at, departments)))
            except ValueError as error:
                yield line, None, str(error)
        known = dict(
            Establishment.objects.filter(finess__in={line[2] for line in lines}).values_list("finess", "department_id")
        )
        for line, year, finess, area, home, activity, stays in lines:
            department = known.get(finess) or site_department(finess)
            if allowed is not None and department not in allowed and home not in allowed:
                yield line, None, _outside_region(finess, department, home)
                continue
            yield line, (year, finess, department, area, home, activity, stays), None


def _stay(row, at, departments):
    year = _year(_cell(row, at["year"]))
    finess = _finess(_cell(row, at["finess"]))
    area = _cell(row, at["home_area"]).upper()
    if not 2 <= len(area) <= 5:
        raise ValueError(_("code de résidence « %(raw)s » invalide") % {"raw": area[:40]})
    home = home_department(area)
    if home not in departments:
        raise ValueError(_("département de résidence « %(code)s » inconnu") % {"code": home})
    activity = _cell(row, at["field"]).upper()
    activity = FIELD_ALIASES.get(activity, activity)
    if activity not in ACTIVITY_FIELDS:
        raise ValueError(_("champ « %(raw)s » inconnu (MCO, SSR, HAD ou PSY)") % {"raw": _cell(row, at["field"])[:40]})
    stays = _decimal(_cell(row, at["stays"]), STAYS_LABEL)
    if stays != stays.to_integral_value():
        raise ValueError(_("le nombre de séjours doit être entier"))
    if stays >= MAX_STAYS:
        raise ValueError(_("nombre de séjours « %(raw)s » hors des valeurs admises") % {"raw": stays})
    return year, finess, area, home, activity, int(stays)


def _outside_region(finess, department=None, home=None):
    """Why a regional import refuses a row: a négociateur imports only his région's data, and the
    computations of another région never read it."""
    if department and home:
        return _(
            "FINESS %(finess)s (département %(code)s) et patients résidant dans le %(home)s : hors de votre région"
        ) % {"finess": finess, "code": department, "home": home}
    if department:
        return _("FINESS %(finess)s hors de votre région (département %(code)s)") % {
            "finess": finess,
            "code": department,
        }
    return _("FINESS %(finess)s hors de votre région") % {"finess": finess}


def _function(raw):
    plain = _plain(raw).replace("_", "")
    for value, label in SupportFunction.choices:
        if plain in (value, _plain(str(label)).replace("_", "")):
            return value
    raise ValueError(
        _("fonction « %(raw)s » inconnue (%(known)s)") % {"raw": raw[:40], "known": ", ".join(SupportFunction.values)}
    )


def cost_rows(lines, region=None):
    """Yield (line number, values of COST_FIELDS, None) or (line number,
    None, French reason) for each data line, a chunk at a time. With a
    région, the FINESS must be of one of its establishments or sites."""
    reader, at = _reader(lines, COST_COLUMNS)
    for chunk in chunked(reader, CHUNK):
        lines = []
        for line, row in chunk:
            if not any(cell.strip() for cell in row):
                continue
            try:
                year = _year(_cell(row, at["year"]))
                finess = _finess(_cell(row, at["finess"]))
                function = _function(_cell(row, at["function"]))
                cost = _decimal(_cell(row, at["cost"]), COST_LABEL).quantize(CENTS)
                units = _decimal(_cell(row, at["units"]), UNITS_LABEL).quantize(CENTS)
            except ValueError as error:
                yield line, None, str(error)
                continue
            lines.append((line, year, finess, function, cost, units, _cell(row, at["unit_label"])[:50]))
        yield from _cost_rows(lines, region)


def _cost_rows(lines, region):
    finesses = {line[2] for line in lines}
    known_entities = LegalEntity.objects.filter(finess__in=finesses)
    known_sites = Establishment.objects.filter(finess__in=finesses)
    if region is not None:
        known_entities = known_entities.filter(region=region)
        known_sites = known_sites.filter(legal_entity__region=region)
    entities = set(known_entities.values_list("finess", flat=True))
    sites = dict(known_sites.values_list("finess", "legal_entity__finess"))
    elsewhere = set()
    if region is not None:
        outside = finesses - entities - set(sites)
        elsewhere = set(LegalEntity.objects.filter(finess__in=outside).values_list("finess", flat=True))
        elsewhere |= set(Establishment.objects.filter(finess__in=outside).values_list("finess", flat=True))
    for line, year, finess, function, cost, units, unit_label in lines:
        entity = finess if finess in entities else sites.get(finess)
        if entity is None:
            if finess in elsewhere:
                yield line, None, _outside_region(finess)
            else:
                where = _(" dans votre région") if region is not None else ""
                yield (
                    line,
                    None,
                    _("FINESS %(finess)s inconnu du répertoire%(where)s") % {"finess": finess, "where": where},
                )
            continue
        yield line, (year, finess, entity, function, cost, units, unit_label), None


def replace_previous(model, kind, source, region, years, keep=None) -> int:
    """Delete the rows of the earlier imports of that source, région and
    those years (not those of ``keep``, the import that replaces them); an
    import left without rows is marked replaced. Returns the number of rows
    deleted."""
    replaced = model.objects.filter(batch__kind=kind, batch__source=source, batch__region=region, year__in=years)
    if keep is not None:
        replaced = replaced.exclude(batch=keep)
    batches = set(replaced.values_list("batch_id", flat=True))
    count = replaced.count()
    replaced.delete()
    InputImport.objects.filter(pk__in=batches).exclude(
        pk__in=model.objects.filter(batch_id__in=batches).values("batch_id")
    ).update(status=InputImport.Status.REPLACED)
    return count


# What each parser yields for a line: the values of these fields, in this order (the year first).
STAY_FIELDS = ("year", "site_finess", "site_department", "home_area", "home_department", "activity_field", "stays")
COST_FIELDS = ("year", "finess", "legal_entity_finess", "function", "cost", "units", "unit_label")
PARSERS = {
    InputKind.STAYS: (stay_rows, HospitalStay, STAY_FIELDS),
    InputKind.COSTS: (cost_rows, SupportCost, COST_FIELDS),
}


def insert_rows(model, fields, batch, rows) -> None:
    """Insert parsed rows (tuples of ``fields``) of the import ``batch``:
    multi-row INSERTs, without a model instance per row (they cost more
    than the rest of the import, for a national file of millions of lines).
    The values are checked and typed by the parsers."""
    ops = connection.ops
    columns = ["batch_id", *(model._meta.get_field(name).column for name in fields)]
    per_statement = min(1000, (connection.features.max_query_params or 65535) // len(columns))
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    # The table and columns are the model's own names; every value is a bound parameter.
    head = f"INSERT INTO {ops.quote_name(model._meta.db_table)} ({', '.join(map(ops.quote_name, columns))}) VALUES "  # nosec B608
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            part = rows[start : start + per_statement]
            cursor.execute(head + ", ".join([row_sql] * len(part)), [v for row in part for v in (batch.pk, *row)])


def import_region(user):
    """The région an import belongs to: a négociateur's own; an admin's (or
    the command's, with no user) is national."""
    return user.region if user is not None and user.is_authenticated and not user.is_admin else None


def import_inputs(kind, source, data, original_name, user=None) -> InputImport:
    """Import a file of stays or costs (``data``: its bytes, or a binary
    file open for reading): whole, or not at all. A négociateur's import
    belongs to his région: it replaces only that région's imports of the same
    source, and every row must concern its establishments (costs) or sites
    (stays): one row outside refuses the file."""
    handle = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    return read_inputs(kind, source, handle, original_name, user=user, region=import_region(user))


def deposit_input_file(user, kind, source, upload) -> ImportRun:
    """Record the upload of a file of stays or costs as an import run and
    hand it to the worker. The file, already on disk (core.uploads), is moved
    under MEDIA_ROOT (never served) until the run ends. With the broker
    unreachable, the run ends at once refused, saying to try again later."""
    from indicators.tasks import import_input_file

    if not permissions.can_import_inputs(user):
        raise PermissionDenied
    run = ImportRun.objects.create(
        kind=InputKind(kind),
        source=(source or "").strip()[:100],
        region=import_region(user),
        file=upload,
        original_name=getattr(upload, "original_name", upload.name)[:255],
        size=upload.size,
        created_by=user,
    )

    def queue():
        try:
            import_input_file.delay(run.pk)
        except Exception:  # noqa: BLE001 - any broker failure: the user is told at once, nothing is left behind
            logger.warning("Import %s non transmis au worker", run.pk, exc_info=True)
            ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.PENDING).update(
                status=ImportRun.Status.FAILED,
                error=_(
                    "Le service d’import est momentanément indisponible : rien n’a été importé. "
                    "Déposez le fichier de nouveau dans quelques minutes."
                ),
                finished_at=timezone.now(),
            )
            run.discard_file()

    # Queued once the row is committed, so that the worker finds it.
    transaction.on_commit(queue)
    return run


def import_run_file(run, progress=None) -> dict:
    """The work of an uploaded file's run (cooperations.tasks.run_in_background):
    the import, with the run's région (set when the file was deposited);
    refused, it ends the run refused, with the import that lists the lines."""
    with run.file.open("rb") as handle:
        record = read_inputs(
            run.kind,
            run.source,
            handle,
            run.original_name,
            user=run.created_by,
            region=run.region,
            on_read=fraction_reporter(progress, run.size or run.file.size),
        )
    report = {"input_import": record.pk, "rows": record.rows, "error_count": record.report.get("error_count", 0)}
    if record.status != InputImport.Status.DONE:
        raise ImportRefusedError(
            ngettext(
                "Fichier refusé : %(n)s ligne en cause, rien n’a été importé.",
                "Fichier refusé : %(n)s lignes en cause, rien n’a été importé.",
                report["error_count"],
            )
            % {"n": report["error_count"]},
            report=report,
        )
    return report


class _RefusedError(Exception):
    """Some line was refused: the transaction is rolled back."""


class _DigestReader:
    """A binary file read through: its SHA-256 and the bytes read so far
    (``on_read(position)``) follow the reading."""

    def __init__(self, handle, on_read=None):
        self._handle = handle
        self._on_read = on_read
        self._sha = hashlib.sha256()
        self.position = 0

    def read(self, size=-1):
        data = self._handle.read(size)
        if data:
            self._sha.update(data)
            self.position += len(data)
            if self._on_read is not None:
                self._on_read(self.position)
        return data

    def hexdigest(self):
        """The file's digest, reading what the import left unread (a refused file)."""
        while self.read(READ_BLOCK):
            pass
        return self._sha.hexdigest()


def read_inputs(kind, source, handle, original_name, *, user=None, region=None, on_read=None) -> InputImport:
    """Import the file ``handle`` (binary, read as a stream) for ``region``
    (None: national): the rows are inserted a chunk at a time inside one
    transaction; at the first refused line the inserting stops and the
    checking goes on, to list every line in cause, then all is rolled back
    and a refused import keeps the reasons."""
    kind = InputKind(kind)
    source = (source or "").strip()[:100] or original_name[:100]
    rows_of, model, fields = PARSERS[kind]
    stream = _DigestReader(handle, on_read)
    errors = Errors()

    def new_record(**values):
        return InputImport(
            kind=kind, source=source, region=region, original_name=original_name[:255], created_by=user, **values
        )

    try:
        with transaction.atomic():
            record = new_record(status=InputImport.Status.DONE, sha256="")
            record.save()
            years, count = set(), 0
            for chunk in chunked(rows_of(text_lines(stream), region), CHUNK):
                batch = []
                for line, row, reason in chunk:
                    if reason is not None:
                        errors.fail(line, reason)
                    elif not errors.count:
                        batch.append(row)
                        years.add(row[0])
                if batch and not errors.count:
                    insert_rows(model, fields, record, batch)
                    count += len(batch)
                # With DEBUG on, Django keeps every SQL statement: memory would grow with the file.
                reset_queries()
            if errors.count or not count:
                raise _RefusedError
            years = sorted(years)
            record.sha256 = stream.hexdigest()
            record.year = years[0] if len(years) == 1 else None
            record.rows = count
            record.report = {
                "years": years,
                "replaced_rows": replace_previous(model, kind, source, region, years, record),
            }
            record.save()
            return record
    except InputError as error:
        errors.fail(error.line, error)
    except FileRefusedError as error:  # a line the reading engine cannot read (core.tabular)
        errors.fail(error.line, error.reason)
    except _RefusedError:
        if not errors.count:
            errors.fail(2, _("aucune ligne de données"))
    refused = new_record(
        status=InputImport.Status.REFUSED,
        sha256=stream.hexdigest(),
        report={"errors": sorted(errors.errors, key=lambda error: error["line"]), "error_count": errors.count},
    )
    refused.save()
    return refused
