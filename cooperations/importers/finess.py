"""Layouts of the establishment register files.

- DREES SAE identification table (``ID_2023r.csv``: ``fi;…;fi_ej;…``);
- the standard FINESS extract that ARS download from data.gouv.fr
  (``finess;etalab;…`` first line, then ``structureet;…`` rows);
- Eurostat GISCO hospitals (``id,hospital_name,…,lat,lon``): coordinates;
- DREES SAE MCO table (``BOR;AN;FI;…;LIT_MCO``): MCO beds.
"""

from decimal import Decimal, InvalidOperation

from django.db import reset_queries
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cooperations.finess import finess_error, normalize_finess
from cooperations.importers.base import Layout, RowError, diff_fields
from cooperations.models import Category, Department, Establishment, LegalEntity, LegalStatus, NameSource

# FINESS writes the overseas départements 9A…9F; INSEE writes 971…976.
OVERSEAS_DEPARTMENTS = {"9A": "971", "9B": "972", "9C": "973", "9D": "974", "9E": "975", "9F": "976"}
SECTOR_BY_SAE_CODE = {"1": "public", "2": "prive_lucratif", "3": "prive_non_lucratif"}

ENTITY = gettext_lazy("Entités juridiques")
SITE = gettext_lazy("Établissements")


def department_code(raw: str) -> str:
    raw = (raw or "").strip().upper()
    if raw in OVERSEAS_DEPARTMENTS:
        return OVERSEAS_DEPARTMENTS[raw]
    if raw.isdigit() and len(raw) == 1:
        return "0" + raw
    return raw


def check_code(raw: str, label) -> str:
    """A FINESS nomenclature code: 1 to 4 ASCII digits (or empty)."""
    if raw and not (raw.isascii() and raw.isdigit() and len(raw) <= 4):
        raise RowError(
            _("%(label)s « %(code)s » invalide (code de 1 à 4 chiffres attendu)") % {"label": label, "code": raw[:40]}
        )
    return raw


def checked_finess(raw: str, label: str) -> str:
    number = normalize_finess(raw)
    error = finess_error(number)
    if error:
        raise RowError(f"{label} : {error}")
    return number


class SiteRegisterLayout(Layout):
    """Common apply step for the layouts that describe sites and their
    legal entities."""

    kinds = (str(ENTITY), str(SITE))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.departments = dict(Department.objects.values_list("code", "region_id"))
        self.categories = set(Category.objects.values_list("code", flat=True))
        self.statuses = set(LegalStatus.objects.values_list("code", flat=True))
        # Entities already counted in this run (a multi-site entity spans chunks).
        self.counted_entities: set[str] = set()

    def check_department(self, code: str) -> str:
        if code not in self.departments:
            raise RowError(_("département « %(code)s » inconnu du Code officiel géographique") % {"code": code})
        return code

    def ensure_codes(self, rows):
        """Unknown category or status codes are created with a provisional
        label (the register evolves faster than our tables), and said."""
        for _line, row in rows:
            code = row.get("category")
            if code and code not in self.categories:
                Category.objects.create(
                    code=code, label=_("Catégorie FINESS %(code)s (libellé à compléter)") % {"code": code}
                )
                self.categories.add(code)
                self.report.notes.append(_("Nouvelle catégorie FINESS créée : %(code)s") % {"code": code})
            code = row.get("legal_status")
            if code and code not in self.statuses:
                LegalStatus.objects.create(
                    code=code,
                    label=_("Statut juridique FINESS %(code)s (libellé à compléter)") % {"code": code},
                    sector=row.get("sector") or "public",
                )
                self.statuses.add(code)
                self.report.notes.append(_("Nouveau statut juridique FINESS créé : %(code)s") % {"code": code})

    def apply(self, rows):
        self.ensure_codes(rows)
        entities = {e.finess: e for e in LegalEntity.objects.filter(finess__in={r["entity"] for _l, r in rows})}
        new_entities, changed_entities = {}, {}
        for _line, row in rows:
            number = row["entity"]
            own_site = row["site"] == number
            entity = entities.get(number) or new_entities.get(number)
            if entity is None:
                entity = LegalEntity(
                    finess=number,
                    name=row["name"],
                    name_is_provisional=True,
                    name_source=NameSource.SITES,
                    legal_status_id=row.get("legal_status") or None,
                    department_id=row["department"],
                    region_id=self.departments[row["department"]],
                    siren=row.get("siren", ""),
                )
                new_entities[number] = entity
                continue
            # Fixed point: the first site seen fills blanks, the entity's own
            # site (same FINESS) has the last word, so a rerun changes nothing.
            values = {}
            if own_site or entity.department_id is None:
                values["department_id"] = row["department"]
                values["region_id"] = self.departments[row["department"]]
            if row.get("legal_status") and (own_site or entity.legal_status_id is None):
                values["legal_status_id"] = row["legal_status"]
            if row.get("siren") and (own_site or not entity.siren):
                values["siren"] = row["siren"]
            if diff_fields(entity, values) and entity.pk:
                changed_entities[number] = entity
        LegalEntity.objects.bulk_create(new_entities.values())
        if changed_entities:
            LegalEntity.objects.bulk_update(
                changed_entities.values(), ["department_id", "region_id", "legal_status_id", "siren"]
            )
        first_seen = {r["entity"] for _l, r in rows} - self.counted_entities
        self.counted_entities |= first_seen
        self.report.count(str(ENTITY), "created", len(new_entities.keys() & first_seen))
        self.report.count(str(ENTITY), "updated", len(changed_entities.keys() & first_seen))
        self.report.count(str(ENTITY), "unchanged", len(first_seen - new_entities.keys() - changed_entities.keys()))
        entity_ids = dict(
            LegalEntity.objects.filter(finess__in={r["entity"] for _l, r in rows}).values_list("finess", "id")
        )

        sites = {s.finess: s for s in Establishment.objects.filter(finess__in={r["site"] for _l, r in rows})}
        new_sites, changed_sites, unchanged = {}, {}, 0
        fields = [
            "name",
            "legal_entity_id",
            "category_id",
            "department_id",
            "region_id",
            "commune_code",
            "commune_name",
            "address",
            "postcode",
            "siret",
        ]
        for _line, row in rows:
            values = {
                "name": row["name"],
                "legal_entity_id": entity_ids[row["entity"]],
                "category_id": row.get("category") or None,
                "department_id": row["department"],
                "region_id": self.departments[row["department"]],
                "commune_code": row.get("commune_code", ""),
                "commune_name": row.get("commune_name", ""),
                "address": row.get("address", ""),
                "postcode": row.get("postcode", ""),
                "siret": row.get("siret", ""),
            }
            site = sites.get(row["site"]) or new_sites.get(row["site"])
            if site is None:
                new_sites[row["site"]] = Establishment(finess=row["site"], **values)
            elif diff_fields(site, values):
                if site.pk:
                    changed_sites[row["site"]] = site
            elif site.pk and row["site"] not in changed_sites:
                unchanged += 1
        Establishment.objects.bulk_create(new_sites.values())
        if changed_sites:
            Establishment.objects.bulk_update(changed_sites.values(), fields)
        self.report.count(str(SITE), "created", len(new_sites))
        self.report.count(str(SITE), "updated", len(changed_sites))
        self.report.count(str(SITE), "unchanged", unchanged)

    def finish(self):
        refresh_provisional_entity_names(self.report)


def refresh_provisional_entity_names(report=None):
    """Name the entities that no source named, from their sites: the name of
    their own site (same FINESS) when there is one, else of their only
    site, else ``Entité juridique <FINESS> (n sites, dont <first>)``.
    Two plain queries per chunk of entities: linear in the register's size."""
    last_pk = 0
    while True:
        chunk = list(
            LegalEntity.objects.filter(name_is_provisional=True, pk__gt=last_pk)
            .order_by("pk")
            .only("pk", "finess", "name")[:2000]
        )
        if not chunk:
            break
        last_pk = chunk[-1].pk
        sites = {}
        for entity_id, finess, name in (
            Establishment.objects.filter(legal_entity_id__in=[e.pk for e in chunk])
            .order_by("finess")
            .values_list("legal_entity_id", "finess", "name")
        ):
            sites.setdefault(entity_id, []).append((finess, name))
        changed = []
        for entity in chunk:
            own = sites.get(entity.pk, [])
            if not own:
                continue
            own_name = next((name for finess, name in own if finess == entity.finess), None)
            if own_name:
                name = own_name
            elif len(own) == 1:
                name = own[0][1]
            else:
                name = _("Entité juridique %(finess)s (%(count)s sites, dont %(first)s)") % {
                    "finess": entity.finess,
                    "count": len(own),
                    "first": own[0][1],
                }
            name = name[:255]
            if name != entity.name:
                entity.name = name
                changed.append(entity)
        LegalEntity.objects.bulk_update(changed, ["name"], batch_size=500)
        reset_queries()


class SaeIdentificationLayout(SiteRegisterLayout):
    name = gettext_lazy("table d’identification SAE (DREES)")

    @classmethod
    def matches(cls, header):
        names = {h.strip().lower() for h in header}
        return {"fi", "fi_ej", "rs", "cat", "stj"} <= names

    def parse(self, fields):
        site = checked_finess(self.value(fields, "fi"), _("FINESS ET"))
        entity = checked_finess(self.value(fields, "fi_ej"), _("FINESS EJ"))
        name = self.value(fields, "rs")
        if not name:
            raise RowError(_("raison sociale absente"))
        department = self.check_department(department_code(self.value(fields, "dep")))
        category = check_code(self.value(fields, "cat"), _("catégorie"))
        status = check_code(self.value(fields, "stj"), _("statut juridique"))
        siret = self.value(fields, "sir")
        address = " ".join(
            part
            for part in (self.value(fields, "NUMVOI"), self.value(fields, "TYPVOI"), self.value(fields, "NOMVOI"))
            if part
        )
        return {
            "site": site,
            "entity": entity,
            "name": name[:255],
            "department": department,
            "category": category,
            "legal_status": status,
            "sector": SECTOR_BY_SAE_CODE.get(self.value(fields, "stjr"), ""),
            "commune_code": self.value(fields, "COMINSEE")[:5],
            "commune_name": (self.value(fields, "NOMCOM") or self.value(fields, "LIBCOM"))[:100],
            "address": address[:255],
            "postcode": self.value(fields, "CPO")[:5],
            "siret": siret if len(siret) == 14 and siret.isdigit() else "",
            "siren": siret[:9] if len(siret) in (9, 14) and siret.isdigit() else "",
        }


ETALAB_COLUMNS = [
    "section", "nofinesset", "nofinessej", "rs", "rslongue", "complrs", "compldistrib", "numvoie", "typvoie",
    "voie", "compvoie", "lieuditbp", "commune", "departement", "libdepartement", "ligneacheminement",
    "telephone", "telecopie", "categetab", "libcategetab", "categagretab", "libcategagretab", "siret",
    "codeape", "codemft", "libmft", "codesph", "libsph", "dateouv", "dateautor", "datemaj", "numuai",
]  # fmt: skip


class FinessExtractLayout(SiteRegisterLayout):
    """The FINESS establishments extract: a first line ``finess;etalab;…``
    and positional rows; or the same columns under a named header."""

    name = gettext_lazy("extraction FINESS des établissements (data.gouv.fr)")

    @classmethod
    def matches(cls, header):
        lowered = [h.strip().lower() for h in header]
        positional = len(lowered) >= 2 and lowered[0] == "finess" and lowered[1] == "etalab"
        named = "nofinesset" in lowered and "nofinessej" in lowered
        return positional or named

    def __init__(self, header, report, options=None):
        lowered = [h.strip().lower() for h in header]
        if "nofinesset" not in lowered:
            header = ETALAB_COLUMNS
        super().__init__(header, report, options)
        self.geolocation_rows = 0

    def parse(self, fields):
        section = self.value(fields, "section").lower()
        if section == "geolocalisation":
            # Lambert-93 coordinates; sites get theirs from the Eurostat file.
            self.geolocation_rows += 1
            return None
        if section and section != "structureet":
            raise RowError(_("type de ligne « %(section)s » inconnu") % {"section": section})
        site = checked_finess(self.value(fields, "nofinesset"), _("FINESS ET"))
        entity = checked_finess(self.value(fields, "nofinessej"), _("FINESS EJ"))
        name = self.value(fields, "rslongue") or self.value(fields, "rs")
        if not name:
            raise RowError(_("raison sociale absente"))
        raw_department = self.value(fields, "departement").upper()
        department = self.check_department(department_code(raw_department))
        commune = self.value(fields, "commune")
        prefix = "97" if raw_department in OVERSEAS_DEPARTMENTS else raw_department.zfill(2)
        routing = self.value(fields, "ligneacheminement")
        postcode, _sep, city = routing.partition(" ")
        address = " ".join(
            p for p in (self.value(fields, "numvoie"), self.value(fields, "typvoie"), self.value(fields, "voie")) if p
        )
        siret = self.value(fields, "siret")
        category = check_code(self.value(fields, "categetab"), _("catégorie"))
        if category and category not in self.categories and self.value(fields, "libcategetab"):
            Category.objects.get_or_create(code=category, defaults={"label": self.value(fields, "libcategetab")[:200]})
            self.categories.add(category)
        return {
            "site": site,
            "entity": entity,
            "name": name[:255],
            "department": department,
            "category": category,
            "commune_code": (prefix + commune)[:5] if commune else "",
            "commune_name": city.strip()[:100],
            "address": address[:255],
            "postcode": postcode[:5] if postcode.isdigit() else "",
            "siret": siret if len(siret) == 14 and siret.isdigit() else "",
        }

    def finish(self):
        super().finish()
        if self.geolocation_rows:
            self.report.notes.append(
                _("%(n)s lignes de géolocalisation (Lambert 93) ignorées.") % {"n": self.geolocation_rows}
            )


def parse_decimal(raw: str, low, high, label) -> Decimal:
    try:
        value = Decimal(raw.replace(",", ".").strip())
    except InvalidOperation as error:
        raise RowError(_("%(label)s « %(raw)s » n’est pas un nombre") % {"label": label, "raw": raw[:40]}) from error
    if not value.is_finite() or not (low <= value <= high):
        raise RowError(_("%(label)s %(value)s hors des bornes") % {"label": label, "value": value})
    return value.quantize(Decimal("0.000001"))


class SiteUpdateLayout(Layout):
    """Layouts that complete known sites; unknown ones are counted, not rejected."""

    kind = ""
    fields: tuple[str, ...] = ()

    def apply(self, rows):
        sites = {s.finess: s for s in Establishment.objects.filter(finess__in={r["site"] for _l, r in rows})}
        changed, unchanged, unknown = {}, 0, 0
        for _line, row in rows:
            site = sites.get(row["site"])
            if site is None:
                unknown += 1
                continue
            if diff_fields(site, {name: row[name] for name in self.fields}):
                changed[site.finess] = site
            elif site.finess not in changed:
                unchanged += 1
        Establishment.objects.bulk_update(changed.values(), list(self.fields))
        self.report.count(self.kind, "updated", len(changed))
        self.report.count(self.kind, "unchanged", unchanged)
        self.report.count(self.kind, "absent_du_repertoire", unknown)

    def finish(self):
        absent = self.report.counts[(self.kind, "absent_du_repertoire")]
        if absent:
            self.report.notes.append(
                _("%(n)s lignes concernent des établissements absents du répertoire : ignorées.") % {"n": absent}
            )


class EurostatCoordinatesLayout(SiteUpdateLayout):
    name = gettext_lazy("hôpitaux Eurostat GISCO (coordonnées)")
    kind = str(gettext_lazy("Coordonnées des établissements"))
    fields = ("latitude", "longitude")

    @classmethod
    def matches(cls, header):
        names = {h.strip().lower() for h in header}
        return {"id", "hospital_name", "lat", "lon"} <= names

    def parse(self, fields):
        site = checked_finess(self.value(fields, "id"), _("FINESS ET"))
        lat, lon = self.value(fields, "lat"), self.value(fields, "lon")
        if not lat or not lon:
            raise RowError(_("coordonnées absentes"))
        return {
            "site": site,
            "latitude": parse_decimal(lat, -90, 90, _("latitude")),
            "longitude": parse_decimal(lon, -180, 180, _("longitude")),
        }


class SaeMcoLayout(SiteUpdateLayout):
    name = gettext_lazy("table MCO SAE (DREES)")
    kind = str(gettext_lazy("Capacités MCO"))
    fields = ("mco_beds",)

    @classmethod
    def matches(cls, header):
        names = {h.strip().lower() for h in header}
        return {"fi", "fi_ej", "lit_mco"} <= names

    def parse(self, fields):
        site = checked_finess(self.value(fields, "FI"), _("FINESS ET"))
        raw = self.value(fields, "LIT_MCO")
        if raw and not (raw.isascii() and raw.isdigit() and len(raw) <= 6):
            raise RowError(_("nombre de lits MCO « %(raw)s » invalide") % {"raw": raw})
        return {"site": site, "mco_beds": int(raw) if raw else None}


FINESS_LAYOUTS = [SaeIdentificationLayout, FinessExtractLayout, EurostatCoordinatesLayout, SaeMcoLayout]
