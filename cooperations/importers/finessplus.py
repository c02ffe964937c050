"""Import of the national FINESS+ "structures" flux (JSON, plain or gzipped).

The file is hundreds of MB: it is parsed as a stream (ijson, C backend) and
never loaded whole. Legal entities (``pmej``) and their sites (``ege``) are
applied in batches as they come; the groups (``gcc``: GHT, ``gco``: GCS…),
a few thousand at most, are kept until the end since their members refer to
entities by their FINESS+ id. Everything runs in one transaction.

Each element is checked whole before anything of it is saved: a faulty one
is reported with its path (``pmej[12].ege[0].numFinessEge``) and the reason,
and nothing of it is saved. A file that is not JSON, or is cut short, is
refused whole. Key names that differ between the published schema and the
real files (``informationsGeneralesPmej`` / ``informationsGeneralesPMEJ``,
``pm_smsseId`` / ``pmSmsseId``…) are compared without case or underscores.
Codes are mapped through the NOS tables kept in ``cooperations/reference``.
"""

import datetime
import functools
import gzip
import os
import zlib
from collections import Counter
from decimal import Decimal, InvalidOperation

import ijson
from django.db import reset_queries, transaction
from django.utils.translation import gettext as _

from cooperations.finess import finess_error, normalize_finess
from cooperations.importers.base import ImportRefusedError, ImportReport, RowError
from cooperations.importers.ght import ght_code
from cooperations.models import (
    Category,
    CompositionSource,
    CooperationStructure,
    Department,
    Establishment,
    LegalEntity,
    LegalStatus,
    MemberRole,
    Membership,
    NameSource,
    Region,
    RegisterEngagement,
    StructureKind,
)
from core.values import format_size, ngettext

BATCH = 500
# The fields of an entity's name, left as they are where the ARS set the name.
NAME_FIELDS = ("name", "name_is_provisional", "name_source")
BOM = b"\xef\xbb\xbf"
COLLECTIONS = ("pmej", "gcc", "gco")
# Bounds of the reader, so that a small hostile file cannot exhaust the memory.
# The real flux nests 8 levels (root, pmej[], an entity, ege[], a site, adresse[],
# an address, coordonneesGeographique): 20 more are room for its evolution.
EXPECTED_DEPTH = 8
MAX_DEPTH = EXPECTED_DEPTH + 20
# No value of the flux is longer than a few hundred characters (the sample's longest: 43):
# the parser holding a megabyte without producing a value is reading no FINESS+ data.
MAX_VALUE_BYTES = 1 << 20
# The largest element is a legal entity with all its sites (the largest, ~600 sites,
# is ~2 Mo of JSON; the sample's largest is 6 Ko): one above 16 Mio is rejected
# unbuilt, as a faulty element is (reported, nothing of it saved).
MAX_ELEMENT_BYTES = 16 << 20
# The raw flux is ~750 Mo: a gzip inflating past 4 Gio is not a FINESS+ flux.
MAX_INFLATED_BYTES = 4 << 30
ID_MAX_LENGTH = 20  # the FINESS+ identifiers' columns
CLOSED_STATES = {"I", "F"}  # inactif, fermé (TRE-R386 macro-état)
GCC_KINDS = {"001": StructureKind.GHT, "002": StructureKind.GHT}  # TRE-R371: GHT généraliste, psychiatrie
GCO_KINDS = {  # TRE-R372
    "001": StructureKind.CPTS,
    "002": StructureKind.GCS_HEALTH_ESTABLISHMENT,
    "003": StructureKind.GCS_MEANS,
    "004": StructureKind.GCS_AUTHORISATIONS,
}
GROUP_ROLES = {"S": MemberRole.SUPPORT, "M": MemberRole.MEMBER}
ENTITY, SITE, ENGAGEMENT, GROUP, MEMBER = (
    "Entités juridiques",
    "Établissements",
    "Engagements (CPOM…)",
    "Groupements",
    "Membres de groupements",
)


class _BoundedReader:
    """The stream as ijson reads it, counted: the bytes read in all (for the
    size of an element and the inflated total), and since the parser last
    produced an event (what a single value, or a run of blanks, costs)."""

    def __init__(self, stream):
        self._stream = stream
        self.total = 0
        self.since_event = 0

    def read(self, size=-1):
        data = self._stream.read(size)
        self.total += len(data)
        self.since_event += len(data)
        if self.since_event > MAX_VALUE_BYTES:
            raise ImportRefusedError(
                _(
                    "Le fichier contient une valeur de plus de %(size)s (vers l’octet %(pos)s) : ce n’est pas "
                    "un flux FINESS+. Rien n’a été enregistré."
                )
                % {"size": format_size(MAX_VALUE_BYTES), "pos": self.total}
            )
        if self.total > MAX_INFLATED_BYTES:
            raise ImportRefusedError(
                _(
                    "Une fois décompressé, le fichier dépasse %(size)s : ce n’est pas un flux FINESS+. Rien n’a été enregistré."
                )
                % {"size": format_size(MAX_INFLATED_BYTES)}
            )
        return data


class ElementError(Exception):
    def __init__(self, path, reason):
        super().__init__(f"{path} : {reason}")
        self.path = path
        self.reason = reason


@functools.lru_cache(maxsize=4096)
def _norm(key: str) -> str:
    return key.replace("_", "").lower()


def field(obj, *names):
    """Value of the first key matching one of ``names``, ignoring case and underscores."""
    wanted = {_norm(n) for n in names}
    for key, value in obj.items():
        if _norm(key) in wanted:
            return value
    return None


def key_in(obj, name):
    """The key as the file spells it (for the paths in the report)."""
    wanted = _norm(name)
    return next((key for key in obj if _norm(key) == wanted), name)


def text(obj, name, path, required=False):
    value = field(obj, name)
    if value is None or value == "":
        if required:
            raise ElementError(f"{path}.{key_in(obj, name)}", _("valeur obligatoire absente"))
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        raise ElementError(
            f"{path}.{key_in(obj, name)}", _("chaîne de caractères attendue, nombre trouvé (%(v)s)") % {"v": value}
        )
    if not isinstance(value, str):
        raise ElementError(f"{path}.{key_in(obj, name)}", _("chaîne de caractères attendue"))
    return value.strip()


def code(obj, name, path):
    """A NOS code, given as a string or as a ``{"code": …, "system": …}`` coding."""
    value = field(obj, name)
    if isinstance(value, dict):
        value = field(value, "code")
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise ElementError(f"{path}.{key_in(obj, name)}", _("code attendu sous forme de chaîne"))
    return value.strip()


def items(obj, name, path):
    value = field(obj, name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ElementError(f"{path}.{key_in(obj, name)}", _("liste attendue"))
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise ElementError(f"{path}.{key_in(obj, name)}[{i}]", _("objet attendu"))
    return value


def identifier(obj, name, path, required=False, room=ID_MAX_LENGTH):
    """A FINESS+ identifier (pmSmsseId, egeId, engagementId…): short text."""
    value = text(obj, name, path, required=required)
    if len(value) > room:
        raise ElementError(
            f"{path}.{key_in(obj, name)}",
            _("identifiant de %(n)s caractères : %(max)s au plus") % {"n": len(value), "max": room},
        )
    return value


def date(obj, name, path):
    raw = text(obj, name, path)
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw[:10])
    except ValueError as error:
        raise ElementError(
            f"{path}.{key_in(obj, name)}", _("date « %(raw)s » invalide (AAAA-MM-JJ attendu)") % {"raw": raw}
        ) from error


def finess(obj, name, path):
    number = normalize_finess(text(obj, name, path, required=True))
    error = finess_error(number)
    if error:
        raise ElementError(f"{path}.{key_in(obj, name)}", error)
    return number


def department_of_commune(commune: str) -> str:
    if commune.startswith("97"):
        return commune[:3]
    return commune[:2]


def department_of_finess(number: str) -> str:
    return number[:2] + number[2] if number.startswith("97") else number[:2]


class FinessPlusImporter:
    def __init__(self, *, strict=False, progress=None):
        self.strict = strict
        self.progress = progress
        self.report = ImportReport(layout=_("flux FINESS+ « structures » (JSON)"), row_label=_("Éléments lus"))
        self.departments = dict(Department.objects.values_list("code", "region_id"))
        self.statuses = set(LegalStatus.objects.values_list("code", flat=True))
        self.categories = set(Category.objects.values_list("code", flat=True))
        self.generated_on = None
        self.groups = {"gcc": [], "gco": []}
        self.kept_ars_names = 0

    # Reading -----------------------------------------------------------------

    def run(self, path) -> ImportReport:
        path = str(path)
        if not os.path.exists(path):
            raise ImportRefusedError(_("Fichier introuvable : %(path)s") % {"path": path})
        total = os.path.getsize(path) or 1
        with open(path, "rb") as raw:
            gzipped = raw.read(2) == b"\x1f\x8b"
            raw.seek(0)
            stream = gzip.GzipFile(fileobj=raw) if gzipped else raw
            try:
                # A UTF-8 byte order mark (Windows tools write one) is no JSON.
                if stream.peek(3)[:3] == BOM:
                    stream.read(3)
                with transaction.atomic():
                    self._read(stream, raw, total)
                    self._apply_groups()
                    if self.strict and self.report.rejected:
                        path_, reason = self.report.errors[0]
                        raise ImportRefusedError(
                            _(
                                "%(path)s : %(reason)s — fichier refusé en entier (mode strict), rien n’a été enregistré."
                            )
                            % {"path": path_, "reason": reason}
                        )
            except (
                ijson.JSONError,
                ijson.IncompleteJSONError,
                EOFError,
                OSError,
                UnicodeDecodeError,
                zlib.error,
            ) as error:
                raise ImportRefusedError(
                    _(
                        "Le fichier n’est pas un JSON FINESS+ lisible (tronqué ou mal formé) vers l’octet %(pos)s : "
                        "%(error)s. Rien n’a été enregistré."
                    )
                    % {"pos": raw.tell(), "error": str(error).splitlines()[0] if str(error) else type(error).__name__}
                ) from error
        if self.progress:
            self.progress(1.0)
        return self.report

    def _read(self, stream, raw, total):
        """Walk the parser's events (ijson.basic_parse: no path is built, so
        memory does not grow with the nesting), build one element of pmej,
        gcc or gco at a time, and apply the entities in batches."""
        batch, counters = [], Counter()
        reader = _BoundedReader(stream)
        depth, key, collection, seen_root = 0, None, None, False
        builder, skipping, element_start = None, False, 0
        for event, value in ijson.basic_parse(reader, use_float=False):
            reader.since_event = 0
            if event in ("start_map", "start_array"):
                depth += 1
                if depth > MAX_DEPTH:
                    raise ImportRefusedError(
                        _(
                            "Le fichier imbrique plus de %(max)s niveaux de listes ou d’objets (le flux FINESS+ "
                            "en compte %(expected)s) : ce n’est pas un flux FINESS+. Rien n’a été enregistré."
                        )
                        % {"max": MAX_DEPTH, "expected": EXPECTED_DEPTH}
                    )
            elif event in ("end_map", "end_array"):
                depth -= 1
            if builder is not None or skipping:
                if builder is not None:
                    builder.event(event, value)
                    if reader.total - element_start > MAX_ELEMENT_BYTES:
                        builder, skipping = None, True
                if depth == 2:  # back in the collection's list: the element is complete
                    index = counters[collection]
                    counters[collection] += 1
                    if skipping:
                        skipping = False
                        self.report.rows += 1
                        self._reject(
                            f"{collection}[{index}]",
                            _("élément de plus de %(size)s : ignoré, rien n’en a été enregistré")
                            % {"size": format_size(MAX_ELEMENT_BYTES)},
                        )
                    else:
                        self._element(collection, index, builder.value, batch)
                        builder = None
                    if len(batch) >= BATCH:
                        self._apply_entities(batch)
                        batch = []
                        if self.progress:
                            self.progress(min(raw.tell() / total, 0.99))
                continue
            if not seen_root:
                if event != "start_map":
                    raise ImportRefusedError(_("Le fichier ne contient pas un objet JSON FINESS+ (pmej, gcc, gco)."))
                seen_root = True
            elif collection is not None:
                if depth == 3 and event in ("start_map", "start_array"):
                    builder, element_start = ijson.ObjectBuilder(), reader.total
                    builder.event(event, value)
                elif depth == 1 and event == "end_array":
                    collection = None
                elif depth == 2:  # a scalar where an object was expected
                    self._reject(f"{collection}[{counters[collection]}]", _("objet attendu"))
                    counters[collection] += 1
            elif depth == 1 and event == "map_key":
                key = value
            elif depth == 2 and event == "start_array" and key in COLLECTIONS:
                collection = key
            elif depth == 1 and key == "generatedAt" and event == "string":
                try:
                    self.generated_on = datetime.date.fromisoformat(value[:10])
                except ValueError:
                    self._reject("generatedAt", _("date de génération invalide"))
        if not seen_root:
            raise ImportRefusedError(_("Le fichier est vide."))
        if not any(counters.values()):
            self.report.notes.append(_("Aucun élément pmej, gcc ni gco dans le fichier."))
        self._apply_entities(batch)
        if self.kept_ars_names:
            self.report.notes.append(
                ngettext(
                    "%(n)s raison sociale saisie par l’ARS conservée (le flux en donne une autre ou la même).",
                    "%(n)s raisons sociales saisies par l’ARS conservées (le flux en donne d’autres ou les mêmes).",
                    self.kept_ars_names,
                )
                % {"n": self.kept_ars_names}
            )

    def _element(self, collection, index, element, batch):
        path = f"{collection}[{index}]"
        self.report.rows += 1
        if not isinstance(element, dict):
            self._reject(path, _("objet attendu"))
            return
        try:
            if collection == "pmej":
                batch.append(self._parse_entity(element, path))
            else:
                self.groups[collection].append(self._parse_group(collection, element, path))
        except ElementError as error:
            self._reject(error.path, error.reason)
        except RowError as error:
            self._reject(path, str(error))

    def _reject(self, path, reason):
        self.report.reject(path, reason)

    # Legal entities and sites ------------------------------------------------

    def _closed_on(self, obj, info, path):
        closing = date(info, "dateFermeture", path) if info is not None else None
        state = code(obj, "etatObjet", path)
        if closing:
            return closing
        if state in CLOSED_STATES:
            return date(obj, "dateDerniereMaj", path) or self.generated_on or datetime.date.today()
        return None

    def _department(self, obj, number, path):
        """(département, commune code, address) from the first address with a
        commune, else from the FINESS number; an unknown département rejects."""
        department, commune, found = department_of_finess(number), "", {}
        for address in items(obj, "adresse", path):
            value = text(address, "cogCommune", path)
            if value:
                department, commune, found = department_of_commune(value), value, address
                break
        if department not in self.departments:
            raise ElementError(f"{path}.adresse", _("département « %(d)s » inconnu") % {"d": department})
        return department, commune, found

    def _parse_entity(self, element, path):
        info = field(element, "informationsGeneralesPmej")
        info_path = f"{path}.{key_in(element, 'informationsGeneralesPmej')}"
        if not isinstance(info, dict):
            raise ElementError(info_path, _("objet absent ou mal formé"))
        number = finess(info, "numFinessPm", info_path)
        name = text(info, "denominationLonguePmSmsse", info_path) or text(info, "denominationPm", info_path)
        if not name:
            raise ElementError(f"{info_path}.denominationPm", _("raison sociale absente"))
        status = code(info, "statutJuridique", info_path)
        if status and status not in self.statuses:
            raise ElementError(
                f"{info_path}.{key_in(info, 'statutJuridique')}",
                _("statut juridique « %(code)s » inconnu de la table TRE-R400 du projet") % {"code": status},
            )
        siren = text(info, "siren", info_path)
        if siren and not (siren.isascii() and siren.isdigit() and len(siren) == 9):
            raise ElementError(f"{info_path}.siren", _("SIREN « %(v)s » invalide (9 chiffres attendus)") % {"v": siren})
        department, _commune, _address = self._department(element, number, path)
        entity = {
            "finess": number,
            "name": name[:255],
            "name_is_provisional": False,
            "name_source": NameSource.FINESS_PLUS,
            "siren": siren,
            "legal_status_id": status or None,
            "department_id": department,
            "region_id": self.departments[department],
            "closed_on": self._closed_on(element, info, path),
            "finessplus_id": identifier(info, "pmSmsseId", info_path),
        }
        raw_sites = items(element, "ege", path)
        sites = [self._parse_site(site, f"{path}.ege[{i}]") for i, site in enumerate(raw_sites)]
        engagements = self._parse_engagements(element, path, None)
        for site, raw_site in zip(sites, raw_sites, strict=True):
            engagements += self._parse_engagements(raw_site, site["path"], site["finess"])
        return {"entity": entity, "sites": sites, "engagements": engagements}

    def _parse_site(self, element, path):
        info = field(element, "informationsGeneralesEge")
        info_path = f"{path}.{key_in(element, 'informationsGeneralesEGE')}"
        if not isinstance(info, dict):
            raise ElementError(info_path, _("objet absent ou mal formé"))
        number = finess(info, "numFinessEge", info_path)
        name = text(info, "nomEgeLong", info_path) or text(info, "nomEgeCourt", info_path)
        if not name:
            raise ElementError(f"{info_path}.nomEgeLong", _("nom de l’établissement absent"))
        category = code(element, "categorieEntiteGeographiqueExercice", path)
        if category and category not in self.categories:
            raise ElementError(
                f"{path}.{key_in(element, 'categorieEntiteGeographiqueExercice')}",
                _("catégorie « %(code)s » inconnue de la table TRE-R397 du projet") % {"code": category},
            )
        department, commune, address = self._department(element, number, path)
        coordinates = field(address, "coordonneesGeographique") if address else None
        latitude = longitude = None
        if isinstance(coordinates, dict):
            latitude = self._coordinate(coordinates, "directionLatitude", f"{path}.adresse[0]", 90)
            longitude = self._coordinate(coordinates, "directionLongitude", f"{path}.adresse[0]", 180)
        street = " ".join(
            p for p in (text(address, "numeroVoie", path), text(address, "typeVoie", path), text(address, "libelleVoie", path)) if p
        ) if address else ""  # fmt: skip
        siret = text(info, "siret", info_path)
        return {
            "path": path,
            "finess": number,
            "name": name[:255],
            "category_id": category or None,
            "department_id": department,
            "region_id": self.departments[department],
            "commune_code": commune[:5],
            "commune_name": (text(address, "ligneAcheminement", path) if address else "")[:100],
            "address": street[:255],
            "postcode": (text(address, "codePostal", path) if address else "")[:5],
            "siret": siret if len(siret) == 14 and siret.isascii() and siret.isdigit() else "",
            "latitude": latitude,
            "longitude": longitude,
            "closed_on": self._closed_on(element, info, path),
            "finessplus_id": identifier(info, "egeId", info_path),
        }

    def _coordinate(self, obj, name, path, bound):
        raw = text(obj, name, path)
        if not raw:
            return None
        try:
            value = Decimal(raw.replace(",", "."))
        except InvalidOperation as error:
            raise ElementError(f"{path}.{name}", _("coordonnée « %(v)s » invalide") % {"v": raw}) from error
        if not value.is_finite() or abs(value) > bound:
            raise ElementError(f"{path}.{name}", _("coordonnée %(v)s hors bornes") % {"v": raw})
        return value.quantize(Decimal("0.000001"))

    def _parse_engagements(self, element, path, site_finess):
        result = []
        for i, raw in enumerate(items(element, "engagement", path)):
            item_path = f"{path}.engagement[{i}]"
            authorities = items(raw, "autoriteRegulationEngagement", item_path)
            result.append(
                {
                    "register_id": identifier(raw, "engagementId", item_path, required=True),
                    "site": site_finess,
                    "kind": text(raw, "typeEngagement", item_path, required=True)[:10],
                    "subtype": text(raw, "sousTypeEngagement", item_path)[:10],
                    "effective_date": date(raw, "dateEffetEngagement", item_path),
                    "signature_date": date(raw, "dateSignatureEngagement", item_path),
                    "end_date": date(raw, "dateFinEngagement", item_path),
                    "expiry_date": date(raw, "dateCaduciteEngagement", item_path),
                    "authority": (text(authorities[0], "autoriteRegulationId", item_path) if authorities else "")[:50],
                }
            )
        return result

    def _apply_entities(self, batch):
        if not batch:
            return
        entities = {b["entity"]["finess"]: b["entity"] for b in batch}
        # A raison sociale the région's ARS set or corrected (audited, with its
        # justification) has the last word over the flux: it is kept, and said.
        kept = set(
            LegalEntity.objects.filter(finess__in=entities, name_source=NameSource.ARS).values_list("finess", flat=True)
        )
        for number in kept:
            entities[number] = {k: v for k, v in entities[number].items() if k not in NAME_FIELDS}
        if kept:
            self.kept_ars_names += len(kept)
        upsert(self.report, ENTITY, LegalEntity, "finess", entities)
        entity_ids = dict(LegalEntity.objects.filter(finess__in=entities).values_list("finess", "id"))
        sites = {}
        for b in batch:
            for site in b["sites"]:
                values = {k: v for k, v in site.items() if k not in ("path", "finess")}
                values["legal_entity_id"] = entity_ids[b["entity"]["finess"]]
                sites[site["finess"]] = values
        upsert(self.report, SITE, Establishment, "finess", sites)
        site_ids = dict(Establishment.objects.filter(finess__in=sites).values_list("finess", "id"))
        engagements = {}
        for b in batch:
            for engagement in b["engagements"]:
                values = {k: v for k, v in engagement.items() if k not in ("register_id", "site")}
                values["legal_entity_id"] = entity_ids[b["entity"]["finess"]]
                values["establishment_id"] = site_ids.get(engagement["site"]) if engagement["site"] else None
                engagements[engagement["register_id"]] = values
        upsert(self.report, ENGAGEMENT, RegisterEngagement, "register_id", engagements)
        reset_queries()

    # Groups ------------------------------------------------------------------

    def _parse_group(self, collection, element, path):
        if collection == "gcc":
            group_type = text(element, "typeGcc", path, required=True)
            kind = GCC_KINDS.get(group_type)
            if kind is None:
                raise ElementError(
                    f"{path}.typeGcc",
                    _("type de groupement conventionnel « %(c)s » inconnu de la table TRE-R371") % {"c": group_type},
                )
            external = text(element, "gccIdentifiantExterne", path)
            try:
                ght = ght_code(external) if external else ""
            except RowError as error:
                raise ElementError(f"{path}.gccIdentifiantExterne", str(error)) from error
            ident = identifier(element, "gccId", path, required=True, room=ID_MAX_LENGTH - len("gcc:"))
            name = text(element, "nomGcc", path, required=True)
        else:
            group_type = text(element, "typeGco", path, required=True)
            kind = GCO_KINDS.get(group_type)
            if kind is None:
                raise ElementError(
                    f"{path}.typeGco",
                    _("type de groupement organique « %(c)s » inconnu de la table TRE-R372") % {"c": group_type},
                )
            ght = name = ""
            ident = identifier(element, "pmSmsseId", path, required=True, room=ID_MAX_LENGTH - len("gco:"))
        members = []
        for key, id_key in (
            ("pmejDu" + collection.capitalize(), "pmSmsseId"),
            ("egeDu" + collection.capitalize(), "egeId"),
        ):
            for i, member in enumerate(items(element, key, path)):
                member_path = f"{path}.{key}[{i}]"
                role_code = text(member, "typeRoleEntiteGroupe", member_path)
                if role_code and role_code not in GROUP_ROLES:
                    raise ElementError(
                        f"{member_path}.typeRoleEntiteGroupe",
                        _("rôle « %(r)s » inconnu (S ou M attendu)") % {"r": role_code},
                    )
                members.append(
                    {
                        "path": member_path,
                        "site": id_key == "egeId",
                        "id": text(member, id_key, member_path, required=True),
                        "role": GROUP_ROLES.get(role_code, MemberRole.MEMBER),
                    }
                )
        if sum(m["role"] == MemberRole.SUPPORT for m in members) > 1:
            raise ElementError(path, _("plusieurs établissements support pour un même groupement"))
        return {
            "path": path,
            "kind": kind,
            "finessplus_id": f"{collection}:{ident}",
            "code": ght,
            "name": name,
            "pm_id": ident if collection == "gco" else "",
            "end_date": self._closed_on(element, None, path),
            "members": members,
        }

    def _apply_groups(self):
        groups = self.groups["gcc"] + self.groups["gco"]
        if not groups:
            return
        entity_ids = dict(
            LegalEntity.objects.filter(
                finessplus_id__in={m["id"] for g in groups for m in g["members"] if not m["site"]}
                | {g["pm_id"] for g in groups if g["pm_id"]}
            ).values_list("finessplus_id", "id")
        )
        site_entities = dict(
            Establishment.objects.filter(
                finessplus_id__in={m["id"] for g in groups for m in g["members"] if m["site"]}
            ).values_list("finessplus_id", "legal_entity_id")
        )
        regions = set(Region.objects.values_list("code", flat=True))
        replaced = 0
        for group in groups:
            structure = self._upsert_structure(group, entity_ids, regions)
            resolved, missing = {}, []
            for member in group["members"]:
                entity_id = (site_entities if member["site"] else entity_ids).get(member["id"])
                if entity_id is None:
                    missing.append(member)
                elif member["role"] == MemberRole.SUPPORT or entity_id not in resolved:
                    resolved[entity_id] = member["role"]
            if missing:
                ids = ", ".join(m["id"] for m in missing[:10]) + (" …" if len(missing) > 10 else "")
                self._reject(
                    group["path"],
                    ngettext(
                        "%(n)s membre introuvable ni dans ce fichier ni dans le répertoire (%(ids)s) : "
                        "composition de « %(name)s » laissée inchangée",
                        "%(n)s membres introuvables ni dans ce fichier ni dans le répertoire (%(ids)s) : "
                        "composition de « %(name)s » laissée inchangée",
                        len(missing),
                    )
                    % {"n": len(missing), "ids": ids, "name": structure.name},
                )
                continue
            if resolved and self._replace_members(structure, resolved):
                replaced += 1
        if replaced:
            self.report.notes.append(
                ngettext(
                    "Composition issue de FINESS+ importée pour %(n)s groupement : elle remplace "
                    "la composition reconstituée ou importée auparavant.",
                    "Composition issue de FINESS+ importée pour %(n)s groupements : elle remplace "
                    "les compositions reconstituées ou importées auparavant.",
                    replaced,
                )
                % {"n": replaced}
            )

    def _upsert_structure(self, group, entity_ids, regions):
        structure = None
        if group["code"]:
            structure = CooperationStructure.objects.filter(kind=StructureKind.GHT, code=group["code"]).first()
        if structure is None:
            structure = CooperationStructure.objects.filter(finessplus_id=group["finessplus_id"]).first()
        own_entity_id = entity_ids.get(group["pm_id"]) if group["pm_id"] else None
        own = LegalEntity.objects.filter(pk=own_entity_id).first() if own_entity_id else None
        name = group["name"] or (own.name if own else "")
        if not name:
            name = _("%(kind)s n° %(id)s (nom non fourni par le flux)") % {
                "kind": StructureKind(group["kind"]).label,
                "id": group["pm_id"],
            }
        values = {
            "name": name[:255],
            "finessplus_id": group["finessplus_id"],
            "end_date": group["end_date"],
        }
        if own is not None:
            values.update({"legal_entity_id": own.pk, "finess": own.finess, "region_id": own.region_id})
        elif group["code"] and group["code"][:2] in regions:
            values["region_id"] = group["code"][:2]
        if structure is None:
            structure = CooperationStructure(kind=group["kind"], code=group["code"], **values)
            structure.save()
            self.report.count(GROUP, "created")
            return structure
        changed = [name for name, value in values.items() if getattr(structure, name) != value]
        if changed:
            for name in changed:
                setattr(structure, name, values[name])
            structure.save()
            self.report.count(GROUP, "closed" if "end_date" in changed and group["end_date"] else "updated")
        else:
            self.report.count(GROUP, "unchanged")
        return structure

    def _replace_members(self, structure, resolved) -> bool:
        """Make the register's composition the structure's; members entered
        by hand in the application stay. Returns True if anything changed."""
        replaceable = (CompositionSource.RECONSTRUCTED, CompositionSource.OFFICIAL, CompositionSource.FINESSPLUS)
        current = {
            m.legal_entity_id: m
            for m in structure.memberships.filter(establishment__isnull=True, source__in=replaceable)
        }
        entered = set(
            structure.memberships.filter(source=CompositionSource.ENTERED).values_list("legal_entity_id", flat=True)
        )
        removed = structure.memberships.filter(
            source__in=replaceable, legal_entity_id__in=current.keys() - resolved.keys()
        ).delete()[0]
        changed = bool(removed)
        self.report.count(MEMBER, "removed", removed)
        # Demote a former support first: one support per structure at every step.
        for entity_id, membership in current.items():
            if (
                entity_id in resolved
                and membership.role == MemberRole.SUPPORT
                and resolved[entity_id] != MemberRole.SUPPORT
            ):
                membership.role = MemberRole.MEMBER
                membership.save(update_fields=["role"])
        for entity_id, role in sorted(resolved.items(), key=lambda item: item[1] == MemberRole.SUPPORT):
            if entity_id in entered:
                continue
            membership = current.get(entity_id)
            if membership is None:
                Membership.objects.create(
                    structure=structure, legal_entity_id=entity_id, role=role, source=CompositionSource.FINESSPLUS
                )
                self.report.count(MEMBER, "created")
                changed = True
            elif membership.role != role or membership.source != CompositionSource.FINESSPLUS:
                membership.role, membership.source = role, CompositionSource.FINESSPLUS
                membership.save(update_fields=["role", "source"])
                self.report.count(MEMBER, "updated")
                changed = True
            else:
                self.report.count(MEMBER, "unchanged")
        if structure.composition_source != CompositionSource.FINESSPLUS:
            structure.composition_source = CompositionSource.FINESSPLUS
            structure.save(update_fields=["composition_source", "updated_at"])
            changed = True
        return changed


def upsert(report, kind, model, key, rows: dict):
    """Create or update ``model`` rows identified by ``key`` with ``rows``
    ({key value: {field: value}}); count created / updated / unchanged, and
    "closed" when a closing date appears."""
    if not rows:
        return
    existing = {getattr(obj, key): obj for obj in model.objects.filter(**{f"{key}__in": rows.keys()})}
    new, changed = [], []
    fields = sorted({name for values in rows.values() for name in values if name != key})
    for key_value, values in rows.items():
        values = {name: value for name, value in values.items() if name != key}
        obj = existing.get(key_value)
        if obj is None:
            new.append(model(**{key: key_value}, **values))
            continue
        differs = [name for name, value in values.items() if getattr(obj, name) != value]
        if not differs:
            report.count(kind, "unchanged")
            continue
        if "closed_on" in differs and values.get("closed_on") and not obj.closed_on:
            report.count(kind, "closed")
        else:
            report.count(kind, "updated")
        for name in differs:
            setattr(obj, name, values[name])
        changed.append(obj)
    model.objects.bulk_create(new)
    report.count(kind, "created", len(new))
    report.count(kind, "closed", sum(1 for obj in new if getattr(obj, "closed_on", None)))
    if changed:
        model.objects.bulk_update(changed, fields)


def run_finessplus_import(path, *, strict=False, progress=None) -> ImportReport:
    return FinessPlusImporter(strict=strict, progress=progress).run(path)
