"""Reconstructed compositions of the Île-de-France GHT, for the demonstration.

No public list of GHT members could be obtained (the DGOS list is not in the
open data we have), so the demo builds one by a documented rule, from real
data, and marks every such membership "reconstituée". Importing the official
list (``import_ght``) replaces it GHT by GHT.

The rule:
1. Candidates are the public legal entities of région 11, except the AP-HP
   and the State's military hospitals, which the law does not require to
   join a GHT (art. L6132-1 CSP).
2. Each GHT covers the départements its name gives (table below). An entity
   is "psychiatric" if one of its sites is a CHS (category 292) and none is
   a CH, CHR or former local hospital (355, 101, 106), or if it is listed in
   PSYCHIATRIC_ENTITIES (registered as a CH in the SAE); a psychiatric entity
   joins a psychiatric GHT of its département when there is one, any entity
   otherwise joins a general GHT of its département.
3. Where several GHT share a département, the entity joins the one whose
   direction (north, south, east, west, from its name) points from the
   département's centre (mean position of its candidates) towards the
   entity's sites (Eurostat coordinates); without coordinates, the first
   GHT by code.
4. The support establishment is the member with the most MCO beds (SAE
   2023); with no MCO beds, the member with the most sites, then the lowest
   FINESS.
"""

import math
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Avg, Count, Q, Sum

from cooperations.models import (
    CompositionSource,
    CooperationStructure,
    LegalEntity,
    MemberRole,
    Membership,
    Sector,
    StructureKind,
)

REGION = "11"
EXCLUDED_STATUS = {"01"}  # l'État: hôpitaux d'instruction des armées
EXCLUDED_ENTITIES = {"750712184"}  # AP-HP
PSYCHIATRIC_CATEGORIES = {"292"}
# Psychiatric entities whose sites the SAE registers as CH (355): the GHU
# Paris psychiatrie et neurosciences (Sainte-Anne, Maison-Blanche…).
PSYCHIATRIC_ENTITIES = {"750062036"}
GENERAL_CATEGORIES = {"355", "101", "106"}

# GHT code -> (départements, direction, psychiatric); from the GHT names.
IDF_GHT_RULES = {
    "11101": (("77",), "N", False),  # 77 NORD
    "11102": (("77",), "S", False),  # 77 SUD
    "11116": (("77",), "E", False),  # PROVINS EST SEINE-ET-MARNE
    "11103": (("78",), "N", False),  # YVELINES NORD
    "11104": (("78",), "S", False),  # YVELINES SUD
    "11105": (("91",), "N", False),  # NORD ESSONNE
    "11106": (("91",), "S", False),  # ILE DE FRANCE SUD
    "11107": (("92",), "S", False),  # HAUTS-DE-SEINE
    "11113": (("95", "92"), "S", False),  # SUD VAL D'OISE NORD HAUTS-DE-SEINE (north of 92)
    "11108": (("93", "95"), "W", False),  # 93/95
    "11109": (("93",), "E", False),  # 93 EST
    "11210": (("94",), "N", False),  # 94 NORD
    "11111": (("94",), "E", False),  # 94 EST
    "11114": (("95",), "W", False),  # NORD OUEST VAL D'OISE
    "11212": (("94", "92"), "S", True),  # PSY SUD PARIS
    "11115": (("75",), "N", True),  # PARIS PSYCHIATRIE ET NEUROSCIENCES
}
# 11113 lies north in the Hauts-de-Seine and south in the Val-d'Oise; 11108
# lies west in Seine-Saint-Denis and east in the Val-d'Oise.
DIRECTION_OVERRIDES = {("11113", "92"): "N", ("11108", "95"): "E"}
VECTORS = {"N": (1.0, 0.0), "S": (-1.0, 0.0), "E": (0.0, 1.0), "W": (0.0, -1.0)}


@dataclass
class Candidate:
    entity_id: int
    finess: str
    department: str
    psychiatric: bool
    lat: float | None
    lon: float | None
    mco_beds: int
    sites: int


def _candidates():
    entities = (
        LegalEntity.objects.filter(region_id=REGION, legal_status__sector=Sector.PUBLIC, closed_on__isnull=True)
        .exclude(finess__in=EXCLUDED_ENTITIES)
        .exclude(legal_status_id__in=EXCLUDED_STATUS)
        .annotate(
            lat=Avg("establishments__latitude"),
            lon=Avg("establishments__longitude"),
            beds=Sum("establishments__mco_beds"),
            sites=Count("establishments"),
            psy_sites=Count("establishments", filter=Q(establishments__category_id__in=PSYCHIATRIC_CATEGORIES)),
            general_sites=Count("establishments", filter=Q(establishments__category_id__in=GENERAL_CATEGORIES)),
        )
        .values("id", "finess", "department_id", "lat", "lon", "beds", "sites", "psy_sites", "general_sites")
    )
    for row in entities:
        yield Candidate(
            entity_id=row["id"],
            finess=row["finess"],
            department=row["department_id"],
            psychiatric=row["finess"] in PSYCHIATRIC_ENTITIES or (row["psy_sites"] > 0 and row["general_sites"] == 0),
            lat=float(row["lat"]) if row["lat"] is not None else None,
            lon=float(row["lon"]) if row["lon"] is not None else None,
            mco_beds=row["beds"] or 0,
            sites=row["sites"],
        )


def assign(candidates, rules=IDF_GHT_RULES):
    """Return {GHT code: [Candidate]} by the rule of the module docstring."""
    by_department = defaultdict(list)
    for candidate in candidates:
        by_department[candidate.department].append(candidate)
    result = defaultdict(list)
    for department, members in by_department.items():
        located = [c for c in members if c.lat is not None]
        centre = (
            (sum(c.lat for c in located) / len(located), sum(c.lon for c in located) / len(located))
            if located
            else None
        )
        general = sorted(code for code, (deps, _d, psy) in rules.items() if department in deps and not psy)
        psychiatric = sorted(code for code, (deps, _d, psy) in rules.items() if department in deps and psy)
        for candidate in members:
            options = psychiatric if candidate.psychiatric and psychiatric else general
            if not options:
                continue
            result[_closest(candidate, options, department, centre, rules)].append(candidate)
    return result


def _closest(candidate, options, department, centre, rules):
    if len(options) == 1 or centre is None or candidate.lat is None:
        return options[0]
    d_lat = candidate.lat - centre[0]
    d_lon = (candidate.lon - centre[1]) * math.cos(math.radians(centre[0]))

    def score(code):
        direction = DIRECTION_OVERRIDES.get((code, department), rules[code][1])
        v_lat, v_lon = VECTORS[direction]
        return (d_lat * v_lat + d_lon * v_lon, [-ord(ch) for ch in code])

    return max(options, key=score)


def support_of(members):
    return max(members, key=lambda c: (c.mco_beds, c.sites, [-ord(ch) for ch in c.finess]))


@transaction.atomic
def reconstruct_idf_compositions() -> dict:
    """Build (or rebuild) the reconstructed compositions; GHT whose official
    composition was imported are left alone. Idempotent."""
    structures = {
        s.code: s for s in CooperationStructure.objects.filter(kind=StructureKind.GHT, code__in=IDF_GHT_RULES)
    }
    assignment = assign(list(_candidates()))
    summary = {"ght": 0, "created": 0, "updated": 0, "removed": 0, "unchanged": 0, "skipped_official": 0}
    for code, structure in sorted(structures.items()):
        if structure.composition_source == CompositionSource.OFFICIAL:
            summary["skipped_official"] += 1
            continue
        # An entity entered by hand in this GHT keeps that membership.
        entered = set(
            structure.memberships.exclude(source=CompositionSource.RECONSTRUCTED).values_list(
                "legal_entity_id", flat=True
            )
        )
        members = [c for c in assignment.get(code, []) if c.entity_id not in entered]
        support = support_of(members) if members else None
        wanted = {c.entity_id: (MemberRole.SUPPORT if c is support else MemberRole.MEMBER) for c in members}
        existing = {
            m.legal_entity_id: m
            for m in structure.memberships.filter(source=CompositionSource.RECONSTRUCTED, establishment__isnull=True)
        }
        summary["removed"] += structure.memberships.filter(
            source=CompositionSource.RECONSTRUCTED, legal_entity_id__in=existing.keys() - wanted.keys()
        ).delete()[0]
        # Demote first so that the one-support constraint holds at every step.
        for entity_id, membership in existing.items():
            if membership.role == MemberRole.SUPPORT and wanted.get(entity_id) != MemberRole.SUPPORT:
                membership.role = MemberRole.MEMBER
                membership.save(update_fields=["role"])
                summary["updated"] += 1
        for entity_id, role in sorted(wanted.items(), key=lambda item: item[1] == MemberRole.SUPPORT):
            membership = existing.get(entity_id)
            if membership is None:
                Membership.objects.create(
                    structure=structure, legal_entity_id=entity_id, role=role, source=CompositionSource.RECONSTRUCTED
                )
                summary["created"] += 1
            elif membership.role != role:
                membership.role = role
                membership.save(update_fields=["role"])
                summary["updated"] += 1
            else:
                summary["unchanged"] += 1
        if structure.composition_source != CompositionSource.RECONSTRUCTED:
            structure.composition_source = CompositionSource.RECONSTRUCTED
            structure.save(update_fields=["composition_source", "updated_at"])
        summary["ght"] += 1
    return summary
