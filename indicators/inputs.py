"""Input data of the computed indicators: hospital stays by home area and
support-function costs. One import function serves the upload page and the
``import_inputs`` command: every line is checked first, a file with a single
bad line is refused whole with each line's reason, and a good file replaces
the rows of the same source and year."""

import csv
import hashlib
import io
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from cooperations.finess import finess_error, normalize_finess
from cooperations.models import Department, Establishment, LegalEntity
from core.values import to_decimal
from cpom.models import ActivityField, SupportFunction
from indicators.models import HospitalStay, InputImport, InputKind, SupportCost

MAX_REPORTED_ERRORS = 100
CHUNK = 5000
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


class InputError(Exception):
    """A file that cannot be read at all (encoding, header)."""


def _plain(text):
    """Lower case, no accents, underscores: « Année » → « annee »."""
    text = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in text if not unicodedata.combining(c)).replace(" ", "_").replace("-", "_")


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) or, failing that, Windows-1252 (what
    « Latin-1 » means in French exports from Excel: ’, œ and € included),
    or strict Latin-1 for the five bytes Windows-1252 leaves undefined."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _records(reader):
    """(line number, cells); what the csv module cannot read refuses the file."""
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            reason = _("un champ dépasse %(n)s caractères") % {"n": csv.field_size_limit()}
        else:
            reason = _("ligne CSV mal formée (%(error)s)") % {"error": error}
        raise InputError(
            _("Ligne %(line)s illisible : %(reason)s.") % {"line": reader.line_num + 1, "reason": reason}
        ) from error


def _reader(text, columns):
    sample = text[:4096]
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    # newline="": a lone carriage return ends a line, as in old Mac exports.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = _records(reader)
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
        raise ValueError(_("%(label)s « %(raw)s » hors des valeurs admises") % {"label": label, "raw": raw})
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
class Parsed:
    rows: list
    errors: list
    count_errors: int = 0

    def fail(self, line, message):
        self.count_errors += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"line": line, "reason": str(message)})


def parse_stays(text, region=None) -> Parsed:
    """With a région (a négociateur's import), every row must be of it: a site
    in the région, or patients living there (the région's own residents,
    wherever treated, are what its leakage rates count). Either way, the
    computations of another région never read such an import."""
    reader, at = _reader(text, STAY_COLUMNS)
    departments = set(Department.objects.values_list("code", flat=True))
    parsed = Parsed([], [])
    lines = []
    for line, row in reader:
        if not any(cell.strip() for cell in row):
            continue
        try:
            year = _year(_cell(row, at["year"]))
            finess = _finess(_cell(row, at["finess"]))
            area = _cell(row, at["home_area"]).upper()
            if not 2 <= len(area) <= 5:
                raise ValueError(_("code de résidence « %(raw)s » invalide") % {"raw": area[:40]})
            home = home_department(area)
            if home not in departments:
                raise ValueError(_("département de résidence « %(code)s » inconnu") % {"code": home})
            field = _cell(row, at["field"]).upper()
            field = FIELD_ALIASES.get(field, field)
            if field not in ActivityField.values:
                raise ValueError(
                    _("champ « %(raw)s » inconnu (MCO, SSR, HAD ou PSY)") % {"raw": _cell(row, at["field"])[:40]}
                )
            stays = _decimal(_cell(row, at["stays"]), _("nombre de séjours"))
            if stays != stays.to_integral_value():
                raise ValueError(_("le nombre de séjours doit être entier"))
            if stays >= MAX_STAYS:
                raise ValueError(_("nombre de séjours « %(raw)s » hors des valeurs admises") % {"raw": stays})
        except ValueError as error:
            parsed.fail(line, error)
            continue
        lines.append((line, year, finess, area, home, field, int(stays)))
    known = dict(
        Establishment.objects.filter(finess__in={line[2] for line in lines}).values_list("finess", "department_id")
    )
    allowed = set(region.departments.values_list("code", flat=True)) if region is not None else None
    for line, year, finess, area, home, field, stays in lines:
        department = known.get(finess) or site_department(finess)
        if allowed is not None and department not in allowed and home not in allowed:
            parsed.fail(line, _outside_region(finess, department, home))
            continue
        parsed.rows.append(
            HospitalStay(
                year=year,
                site_finess=finess,
                site_department=department,
                home_area=area,
                home_department=home,
                activity_field=field,
                stays=stays,
            )
        )
    return parsed


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


def parse_costs(text, region=None) -> Parsed:
    reader, at = _reader(text, COST_COLUMNS)
    parsed = Parsed([], [])
    lines = []
    for line, row in reader:
        if not any(cell.strip() for cell in row):
            continue
        try:
            year = _year(_cell(row, at["year"]))
            finess = _finess(_cell(row, at["finess"]))
            function = _function(_cell(row, at["function"]))
            cost = _decimal(_cell(row, at["cost"]), _("coût"))
            units = _decimal(_cell(row, at["units"]), _("unités produites"))
        except ValueError as error:
            parsed.fail(line, error)
            continue
        lines.append((line, year, finess, function, cost, units, _cell(row, at["unit_label"])[:50]))
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
                parsed.fail(line, _outside_region(finess))
            else:
                where = _(" dans votre région") if region is not None else ""
                parsed.fail(
                    line, _("FINESS %(finess)s inconnu du répertoire%(where)s") % {"finess": finess, "where": where}
                )
            continue
        parsed.rows.append(
            SupportCost(
                year=year,
                finess=finess,
                legal_entity_finess=entity,
                function=function,
                cost=cost,
                units=units,
                unit_label=unit_label,
            )
        )
    return parsed


def replace_previous(model, kind, source, region, years) -> int:
    """Delete the rows of the earlier imports of that source, région and
    those years; an import left without rows is marked replaced. Returns the
    number of rows deleted."""
    replaced = model.objects.filter(batch__kind=kind, batch__source=source, batch__region=region, year__in=years)
    batches = set(replaced.values_list("batch_id", flat=True))
    count = replaced.count()
    replaced.delete()
    InputImport.objects.filter(pk__in=batches).exclude(
        pk__in=model.objects.filter(batch_id__in=batches).values("batch_id")
    ).update(status=InputImport.Status.REPLACED)
    return count


PARSERS = {InputKind.STAYS: (parse_stays, HospitalStay), InputKind.COSTS: (parse_costs, SupportCost)}


def import_inputs(kind, source, data: bytes, original_name, user=None) -> InputImport:
    """Import a file of stays or costs: whole, or not at all. A négociateur's
    import belongs to his région: it replaces only that région's imports of
    the same source, and every row must concern its establishments (costs)
    or sites (stays): one row outside refuses the file."""
    kind = InputKind(kind)
    source = (source or "").strip()[:100] or original_name[:100]
    checksum = hashlib.sha256(data).hexdigest()
    parse, model = PARSERS[kind]
    region = user.region if user is not None and user.is_authenticated and not user.is_admin else None
    record = InputImport(
        kind=kind, source=source, region=region, original_name=original_name[:255], sha256=checksum, created_by=user
    )
    try:
        text = decode(data)
        parsed = parse(text, region)
    except InputError as error:
        record.status = InputImport.Status.REFUSED
        record.report = {"errors": [{"line": 1, "reason": str(error)}], "error_count": 1}
        record.save()
        return record
    if parsed.count_errors or not parsed.rows:
        record.status = InputImport.Status.REFUSED
        if not parsed.count_errors:
            parsed.fail(2, _("aucune ligne de données"))
        errors = sorted(parsed.errors, key=lambda error: error["line"])
        record.report = {"errors": errors, "error_count": parsed.count_errors}
        record.save()
        return record
    years = sorted({row.year for row in parsed.rows})
    with transaction.atomic():
        replaced_rows = replace_previous(model, kind, source, region, years)
        record.status = InputImport.Status.DONE
        record.year = years[0] if len(years) == 1 else None
        record.rows = len(parsed.rows)
        record.report = {"years": years, "replaced_rows": replaced_rows}
        record.save()
        for row in parsed.rows:
            row.batch = record
        for start in range(0, len(parsed.rows), CHUNK):
            model.objects.bulk_create(parsed.rows[start : start + CHUNK])
    return record
