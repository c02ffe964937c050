"""What a territory page reads: the territory itself (a région, a
département or a GHT) and who may see it, its establishments, one measure per
département, and its cooperation network. Each in a fixed number of queries
whatever the size of the territory; every row through the models'
``visible_to`` and the scope predicates."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q, Subquery, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.scopes import is_admin, reads_region, signed_in
from cooperations.models import (
    CooperationStructure,
    Department,
    Establishment,
    LegalEntity,
    MemberRole,
    Membership,
    Region,
    Sector,
    StructureKind,
)
from core.urls import object_url
from cpom.models import Commitment, Theme
from indicators.follow_up import entity_rows
from indicators.models import ActivityRecord, Campaign, HospitalStay
from territories.peers import formatted


def may_see_territories(user):
    """ARS users and admins: a territory page names every establishment of the
    territory, which the establishments' side never sees."""
    return signed_in(user) and (is_admin(user) or user.is_regional)


class Measure:
    STRUCTURES = "structures"
    COMMITMENTS = "engagements"
    LEAKAGE = "fuite"
    CAMPAIGN = "campagne"

    CHOICES = (
        (STRUCTURES, _("Structures de coopération actives")),
        (COMMITMENTS, _("Engagements du volet 3")),
        (LEAKAGE, _("Taux de fuite des séjours")),
        (CAMPAIGN, _("Complétude de la campagne de suivi")),
    )
    UNITS = {STRUCTURES: "", COMMITMENTS: "", LEAKAGE: "%", CAMPAIGN: "%"}


class PointSize:
    BEDS = "lits"
    ACTIVITY = "activite"
    CHOICES = ((BEDS, _("Lits MCO (SAE 2023)")), (ACTIVITY, _("Séjours MCO (ScanSanté)")))


class PointColour:
    CATEGORY = "categorie"
    SECTOR = "statut"
    CHOICES = ((CATEGORY, _("Catégorie")), (SECTOR, _("Statut juridique")))


class StructureStatus:
    ACTIVE = "active"
    ENDED = "terminee"
    CHOICES = ((ACTIVE, _("En cours")), (ENDED, _("Terminée")))


@dataclass
class Territory:
    kind: str  # "regions", "departements" or "ght" (the URL's word)
    code: str
    name: str
    region: Region | None
    departments: list  # the départements drawn
    focus: set  # the départements of the territory itself
    ght: CooperationStructure | None = None

    @property
    def url(self):
        view = {"regions": "region", "departements": "department", "ght": "ght"}[self.kind]
        return object_url("territories:" + view, self.code)

    @property
    def kind_label(self):
        return {"regions": _("Région"), "departements": _("Département"), "ght": _("GHT")}[self.kind]


def find_territory(user, kind, code):
    """The territory ``kind``/``code`` as ``user`` may see it: 403 for a role
    that sees no territory, 404 for one outside his région or unknown."""
    if not may_see_territories(user):
        raise PermissionDenied(_("Les pages des territoires sont réservées aux agents des ARS."))
    if kind == "regions":
        region = Region.objects.filter(code=code).first()
        if region is None or not reads_region(user, region.code):
            raise Http404(_("Région inconnue ou hors de votre périmètre."))
        departments = list(Department.objects.filter(region=region).order_by("code"))
        return Territory(kind, code, region.name, region, departments, {d.code for d in departments})
    if kind == "departements":
        department = Department.objects.select_related("region").filter(code=code).first()
        if department is None or not reads_region(user, department.region_id):
            raise Http404(_("Département inconnu ou hors de votre périmètre."))
        departments = list(Department.objects.filter(region_id=department.region_id).order_by("code"))
        return Territory(kind, code, str(department), department.region, departments, {department.code})
    if kind == "ght":
        ght = (
            CooperationStructure.objects.visible_to(user)
            .filter(kind=StructureKind.GHT, code=code)
            .select_related("region")
            .first()
        )
        if ght is None or not code:
            raise Http404(_("GHT inconnu ou hors de votre périmètre."))
        member_departments = set(
            Establishment.objects.filter(legal_entity__memberships__structure=ght)
            .exclude(department__isnull=True)
            .values_list("department_id", flat=True)
        )
        region_id = ght.region_id
        departments = list(
            Department.objects.filter(Q(region_id=region_id) | Q(code__in=member_departments)).order_by("code")
        )
        return Territory(kind, code, str(ght), ght.region, departments, member_departments, ght=ght)
    raise Http404()


# --- Establishments ---------------------------------------------------------------------------------


@dataclass
class Site:
    pk: int
    finess: str
    name: str
    commune: str
    department_id: str
    legal_entity_id: int
    category: str
    sector: str
    sector_label: str
    latitude: object
    longitude: object
    beds: int | None
    stays: int | None = None
    stays_year: int | None = None

    @property
    def has_coordinates(self):
        return self.latitude is not None and self.longitude is not None

    @property
    def url(self):
        return object_url("cooperations:establishment_detail", self.finess)

    @property
    def comparison_url(self):
        return object_url("territories:comparison", self.finess)


def territory_sites(user, territory):
    """The open sites of the territory, with their MCO beds and their latest
    ScanSanté stays: two queries."""
    sites = Establishment.objects.visible_to(user).filter(closed_on__isnull=True)
    if territory.kind == "regions":
        sites = sites.filter(region=territory.region)
    elif territory.kind == "departements":
        sites = sites.filter(department_id=territory.code)
    else:
        sites = sites.filter(
            legal_entity_id__in=Membership.objects.filter(structure=territory.ght).values("legal_entity_id")
        )
    rows = sites.order_by("name", "pk").values_list(
        "pk", "finess", "name", "commune_name", "department_id", "legal_entity_id", "category__label",
        "legal_entity__legal_status__sector", "latitude", "longitude", "mco_beds",
    )  # fmt: skip
    # Translated once for the page, not once a site (a région has some 500).
    sector_labels = {code: str(label) for code, label in Sector.choices}
    unknown_sector = gettext("Non renseigné")
    result = [
        Site(
            pk,
            finess,
            name,
            commune,
            dep or "",
            entity,
            category or "",
            sector or "",
            sector_labels.get(sector, unknown_sector),
            lat,
            lon,
            beds,
        )  # fmt: skip
        for pk, finess, name, commune, dep, entity, category, sector, lat, lon, beds in rows
    ]
    activity = {}
    for finess, year, stays in (
        ActivityRecord.objects.filter(finess__in=sites.values("finess"))
        .order_by("finess", "year")
        .values_list("finess", "year", "stays")
    ):
        activity[finess] = (year, stays)  # the latest year wins
    for site in result:
        if site.finess in activity:
            site.stays_year, site.stays = activity[site.finess]
    return result


# --- One measure per département --------------------------------------------------------------------


@dataclass
class DepartmentMeasure:
    code: str
    name: str
    value: Decimal | None
    detail: str = ""
    in_focus: bool = True
    unit: str = ""

    @property
    def shown(self):
        if self.value is None:
            return gettext("pas de donnée")
        return formatted(self.value, percentage=self.unit == "%")


def _active(today):
    return Q(end_date__isnull=True) | Q(end_date__gte=today)


def _rate(part, whole):
    return (Decimal(100) * part / whole).quantize(Decimal("0.1")) if whole else None


def department_measures(user, territory, measure, theme=""):
    """``measure`` for each département drawn: one or two queries."""
    codes = [department.code for department in territory.departments]
    values, details = {}, {}
    today = timezone.localdate()
    if measure == Measure.STRUCTURES:
        structures = CooperationStructure.objects.visible_to(user).filter(_active(today))
        values = dict(
            Membership.objects.filter(structure__in=structures, legal_entity__department_id__in=codes)
            .values("legal_entity__department_id")
            .annotate(n=Count("structure", distinct=True))
            .values_list("legal_entity__department_id", "n")
        )
    elif measure == Measure.COMMITMENTS:
        commitments = Commitment.objects.visible_to(user).filter(cpom__legal_entity__department_id__in=codes)
        if theme:
            commitments = commitments.filter(theme=theme)
        values = dict(
            commitments.values("cpom__legal_entity__department_id")
            .annotate(n=Count("pk"))
            .values_list("cpom__legal_entity__department_id", "n")
        )
    elif measure == Measure.LEAKAGE and territory.region is not None:
        stays = HospitalStay.objects.readable_for(territory.region.code).filter(home_department__in=codes)
        latest = stays.order_by("-year").values("year")[:1]
        for code, total, outside, year in (
            stays.filter(year=Subquery(latest))
            .values("home_department")
            .annotate(total=Sum("stays"), outside=Sum("stays", filter=~Q(site_department=F("home_department"))))
            .values_list("home_department", "total", "outside", "year")
        ):
            values[code] = _rate(outside or 0, total)
            details[code] = _("%(outside)s séjours hors du département sur %(total)s (%(year)s)") % {
                "outside": outside or 0, "total": total, "year": year,
            }  # fmt: skip
    elif measure == Measure.CAMPAIGN and territory.region is not None:
        campaign = (
            Campaign.objects.visible_to(user).filter(region=territory.region).order_by("-year", "-opens_on").first()
        )
        if campaign is not None:
            rows = entity_rows(campaign)
            departments = dict(
                LegalEntity.objects.filter(pk__in=[row.legal_entity_id for row in rows]).values_list(
                    "pk", "department_id"
                )
            )
            due, answered = defaultdict(int), defaultdict(int)
            for row in rows:
                code = departments.get(row.legal_entity_id)
                due[code] += row.due
                answered[code] += row.answered
            for code in due:
                values[code] = _rate(answered[code], due[code])
                details[code] = _("%(answered)s valeurs soumises ou validées sur %(due)s (campagne %(year)s)") % {
                    "answered": answered[code], "due": due[code], "year": campaign.year,
                }  # fmt: skip
    return [
        DepartmentMeasure(
            department.code,
            department.name,
            None if values.get(department.code) is None else Decimal(values[department.code]),
            details.get(department.code, ""),
            department.code in territory.focus,
            Measure.UNITS.get(measure, ""),
        )
        for department in territory.departments
    ]


# --- The cooperation network ------------------------------------------------------------------------


@dataclass
class Node:
    key: str  # "e<pk>" (legal entity) or "x<membership pk>" (an actor outside the register)
    name: str
    finess: str = ""
    department_id: str = ""
    url: str = ""
    external: bool = False
    supports: int = 0
    links: int = 0
    position: tuple | None = None


@dataclass
class Link:
    key: str
    structure_id: int
    structure_name: str
    kind: str
    kind_label: str
    source: str  # node keys
    target: str
    target_role: str
    structure_url: str
    active: bool = True


@dataclass
class Network:
    nodes: dict = field(default_factory=dict)
    links: list = field(default_factory=list)
    structures: int = 0
    lone_structures: list = field(default_factory=list)  # structures with a single member in view


def territory_network(user, territory, kind="", theme="", status=""):
    """The structures visible to ``user`` that have a member among the
    territory's legal entities, filtered by kind, by the theme of a Volet 3
    commitment they frame, and by status; their members as nodes and, per
    structure, a link from its support (else its first member) to every
    other member. Two queries."""
    today = timezone.localdate()
    if territory.kind == "ght":
        structures = CooperationStructure.objects.visible_to(user).filter(
            memberships__legal_entity__in=Membership.objects.filter(structure=territory.ght).values("legal_entity")
        )
    else:
        if territory.kind == "regions":
            entities = LegalEntity.objects.filter(region=territory.region)
        else:
            entities = LegalEntity.objects.filter(department_id=territory.code)
        structures = CooperationStructure.objects.visible_to(user).filter(memberships__legal_entity__in=entities)
    if kind:
        structures = structures.filter(kind=kind)
    if theme:
        structures = structures.filter(framed_commitments__theme=theme)
    if status == StructureStatus.ACTIVE:
        structures = structures.filter(_active(today))
    elif status == StructureStatus.ENDED:
        structures = structures.filter(end_date__lt=today)
    memberships = (
        Membership.objects.filter(structure__in=structures.values("pk"))
        .select_related("structure", "legal_entity")
        .order_by("structure__kind", "structure__name", "structure_id", "role", "pk")
    )
    kind_labels = dict(StructureKind.choices)
    network = Network()
    by_structure = defaultdict(list)
    for membership in memberships:
        by_structure[membership.structure_id].append(membership)
        if membership.legal_entity_id:
            key = f"e{membership.legal_entity_id}"
            if key not in network.nodes:
                entity = membership.legal_entity
                url = entity.get_absolute_url() if reads_region(user, entity.region_id) else ""
                network.nodes[key] = Node(key, entity.name, entity.finess, entity.department_id or "", url)
        else:
            key = f"x{membership.pk}"
            network.nodes[key] = Node(key, membership.external_name, external=True)
        membership.node_key = key
    # Supports first (the role order puts « support » first already); then the hub is the first member.
    role_rank = {MemberRole.SUPPORT: 0, MemberRole.MEMBER: 1, MemberRole.ASSOCIATE: 2, MemberRole.PARTNER: 3}
    for members in by_structure.values():
        members.sort(key=lambda m: (role_rank.get(m.role, 9), m.pk))
        structure = members[0].structure
        network.structures += 1
        hub = members[0]
        if hub.role == MemberRole.SUPPORT:
            network.nodes[hub.node_key].supports += 1
        if len(members) == 1:
            network.lone_structures.append(structure)
            continue
        active = structure.end_date is None or structure.end_date >= today
        for member in members[1:]:
            network.links.append(
                Link(
                    f"l{structure.pk}-{member.pk}", structure.pk, str(structure), structure.kind,
                    str(kind_labels.get(structure.kind, structure.kind)), hub.node_key, member.node_key,
                    member.get_role_display(), structure.get_absolute_url(), active,
                )
            )  # fmt: skip
            network.nodes[hub.node_key].links += 1
            network.nodes[member.node_key].links += 1
    return network


def theme_choices():
    return Theme.choices


def kind_choices():
    return StructureKind.choices


def ght_of_region(user, region):
    """The GHT of a région, for the territory index and the région's page: one query."""
    return list(
        CooperationStructure.objects.visible_to(user)
        .filter(kind=StructureKind.GHT, region=region)
        .exclude(code="")
        .order_by("code")
        .only("pk", "name", "code", "short_code", "kind")
    )


def regions_overview(user):
    """The régions ``user`` reads, with their counts of open sites and
    structures: two queries."""
    regions = Region.objects.order_by("name")
    if not is_admin(user):
        regions = regions.filter(code=user.region_id)
    sites = dict(
        Establishment.objects.filter(closed_on__isnull=True, region__in=regions)
        .values("region_id")
        .annotate(n=Count("pk"))
        .values_list("region_id", "n")
    )
    structures = dict(
        CooperationStructure.objects.filter(region__in=regions)
        .filter(_active(timezone.localdate()))
        .values("region_id")
        .annotate(n=Count("pk"))
        .values_list("region_id", "n")
    )
    return [(region, sites.get(region.code, 0), structures.get(region.code, 0)) for region in regions]
