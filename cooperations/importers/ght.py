"""Layouts of the GHT files.

- the list of the 135 GHT (DREES SAE GHT table: ``NOM_COURT_GHT;CODE_GHT;
  NOM_COMPLET_GHT;…``);
- the official DGOS membership list, one row per member (``GHT_CODE,
  GHT_LIB, ARS_CODE, ARS_LIB, ES_FINESS, GHT_SUPPORT``), CSV or Excel.
  Importing it replaces, GHT by GHT, the reconstructed demonstration
  compositions with the official ones.
"""

import re

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cooperations.importers.base import Layout, RowError, diff_fields
from cooperations.importers.finess import checked_finess
from cooperations.models import (
    CompositionSource,
    CooperationStructure,
    Establishment,
    LegalEntity,
    MemberRole,
    Membership,
    Region,
    StructureKind,
)

GHT = gettext_lazy("GHT")
MEMBERS = gettext_lazy("Membres de GHT")
SHORT_CODE_RE = re.compile(r"^([A-Za-zÀ-ÿ]+)-(\d{1,2})$")


def ght_code(raw: str) -> str:
    """National GHT code: 5 digits, region code first (``02102``). A
    spreadsheet may have dropped the leading zero."""
    code = (raw or "").strip()
    if not code.isdigit() or not (4 <= len(code) <= 5):
        raise RowError(_("code GHT « %(code)s » invalide (5 chiffres attendus)") % {"code": raw})
    return code.zfill(5)


def ght_short_code(raw: str) -> str:
    """``ARA-01``; a spreadsheet turned ``MAR-02`` into ``mars-02``."""
    match = SHORT_CODE_RE.match((raw or "").strip())
    if not match:
        raise RowError(_("code court de GHT « %(code)s » invalide (ex. IDF-01)") % {"code": raw})
    letters, number = match.groups()
    return f"{letters[:3].upper()}-{number.zfill(2)}"


class GhtListLayout(Layout):
    name = gettext_lazy("liste des GHT (table GHT de la SAE, DREES)")

    @classmethod
    def matches(cls, header):
        names = {h.strip().upper() for h in header}
        return {"NOM_COURT_GHT", "CODE_GHT", "NOM_COMPLET_GHT"} <= names

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.regions = set(Region.objects.values_list("code", flat=True))

    def parse(self, fields):
        code = ght_code(self.value(fields, "CODE_GHT"))
        short_code = ght_short_code(self.value(fields, "NOM_COURT_GHT"))
        name = self.value(fields, "NOM_COMPLET_GHT")
        if not name:
            raise RowError(_("nom du GHT absent"))
        region = code[:2]
        if region not in self.regions:
            raise RowError(_("le code GHT %(code)s ne commence pas par un code de région connu") % {"code": code})
        return {"code": code, "short_code": short_code, "name": name[:255], "region": region}

    def apply(self, rows):
        existing = {
            s.code: s
            for s in CooperationStructure.objects.filter(kind=StructureKind.GHT, code__in={r["code"] for _l, r in rows})
        }
        for _line, row in rows:
            values = {"short_code": row["short_code"], "name": row["name"], "region_id": row["region"]}
            structure = existing.get(row["code"])
            if structure is None:
                structure = CooperationStructure(kind=StructureKind.GHT, code=row["code"], **values)
                structure.save()
                existing[row["code"]] = structure
                self.report.count(str(GHT), "created")
            elif diff_fields(structure, values):
                structure.save()
                self.report.count(str(GHT), "updated")
            else:
                self.report.count(str(GHT), "unchanged")


SUPPORT_FLAGS = {"O": True, "OUI": True, "1": True, "N": False, "NON": False, "0": False, "": False}


class DgosMembershipLayout(Layout):
    name = gettext_lazy("liste officielle des membres de GHT (DGOS)")

    @classmethod
    def matches(cls, header):
        names = {h.strip().upper() for h in header}
        return {"GHT_CODE", "ES_FINESS", "GHT_SUPPORT"} <= names

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.regions = set(Region.objects.values_list("code", flat=True))
        self.seen: dict[int, set[int]] = {}
        self.supports: dict[str, int] = {}

    def parse(self, fields):
        code = ght_code(self.value(fields, "GHT_CODE"))
        finess = checked_finess(self.value(fields, "ES_FINESS"), _("FINESS"))
        flag = self.value(fields, "GHT_SUPPORT").upper()
        if flag not in SUPPORT_FLAGS:
            raise RowError(_("indicateur support « %(flag)s » invalide (O ou N attendu)") % {"flag": flag})
        return {
            "code": code,
            "finess": finess,
            "support": SUPPORT_FLAGS[flag],
            "ght_name": self.value(fields, "GHT_LIB")[:255],
        }

    def apply(self, rows):
        numbers = {r["finess"] for _l, r in rows}
        entities = dict(LegalEntity.objects.filter(finess__in=numbers).values_list("finess", "id"))
        site_entities = dict(Establishment.objects.filter(finess__in=numbers).values_list("finess", "legal_entity_id"))
        structures = {
            s.code: s
            for s in CooperationStructure.objects.filter(kind=StructureKind.GHT, code__in={r["code"] for _l, r in rows})
        }
        for line, row in rows:
            entity_id = entities.get(row["finess"]) or site_entities.get(row["finess"])
            if entity_id is None:
                self.report.reject(
                    line, _("FINESS %(finess)s inconnu du répertoire des établissements") % {"finess": row["finess"]}
                )
                continue
            structure = structures.get(row["code"])
            if structure is None:
                if row["code"][:2] not in self.regions or not row["ght_name"]:
                    self.report.reject(
                        line, _("GHT %(code)s inconnu et sans nom pour le créer") % {"code": row["code"]}
                    )
                    continue
                structure = CooperationStructure.objects.create(
                    kind=StructureKind.GHT, code=row["code"], name=row["ght_name"], region_id=row["code"][:2]
                )
                structures[row["code"]] = structure
                self.report.count(str(GHT), "created")
            if row["support"]:
                previous = self.supports.setdefault(row["code"], entity_id)
                if previous != entity_id:
                    self.report.reject(
                        line,
                        _("le GHT %(code)s a déjà un établissement support dans ce fichier") % {"code": row["code"]},
                    )
                    continue
            self._upsert(structure, entity_id, row["support"])

    def _upsert(self, structure, entity_id, is_support):
        first_time = structure.pk not in self.seen
        self.seen.setdefault(structure.pk, set()).add(entity_id)
        if first_time and structure.composition_source != CompositionSource.OFFICIAL:
            structure.composition_source = CompositionSource.OFFICIAL
            structure.save(update_fields=["composition_source", "updated_at"])
        role = MemberRole.SUPPORT if is_support else MemberRole.MEMBER
        if is_support:
            # At most one support: demote the former one before promoting.
            structure.memberships.filter(role=MemberRole.SUPPORT).exclude(
                legal_entity_id=entity_id, establishment__isnull=True
            ).update(role=MemberRole.MEMBER)
        membership = structure.memberships.filter(legal_entity_id=entity_id, establishment__isnull=True).first()
        if membership is None:
            Membership.objects.create(
                structure=structure, legal_entity_id=entity_id, role=role, source=CompositionSource.OFFICIAL
            )
            self.report.count(str(MEMBERS), "created")
        elif diff_fields(membership, {"role": role, "source": CompositionSource.OFFICIAL}):
            membership.save()
            self.report.count(str(MEMBERS), "updated")
        else:
            self.report.count(str(MEMBERS), "unchanged")

    def finish(self):
        """Members of the listed GHT that the official list no longer names
        (reconstructed or formerly imported) leave; members entered by hand
        in the application stay."""
        removed = 0
        for structure_id, entity_ids in self.seen.items():
            removed += (
                Membership.objects.filter(structure_id=structure_id)
                .filter(Q(source=CompositionSource.RECONSTRUCTED) | Q(source=CompositionSource.OFFICIAL))
                .exclude(legal_entity_id__in=entity_ids, establishment__isnull=True)
                .delete()[0]
            )
        if removed:
            self.report.count(str(MEMBERS), "removed", removed)
        if self.seen:
            self.report.notes.append(
                _(
                    "Composition officielle importée pour %(n)s GHT : elle remplace la composition "
                    "reconstituée (%(removed)s membres retirés)."
                )
                % {"n": len(self.seen), "removed": removed}
            )


GHT_LAYOUTS = [GhtListLayout, DgosMembershipLayout]
