"""The computed (automatable) indicators. Each computation is an aggregate
in the database (never a loop over the input rows in Python) and returns the
value with its numerator, denominator and the inputs it used; a value that
cannot be computed comes back empty with its reason, never as 0.

A computation reads only the imports it is entitled to: the national ones
and those of the territory's own région (``InputRowQuerySet.readable_for``),
and the value records which imports it read.

Storing is idempotent: the inputs' checksum (the imports read, the
parameters, the territory) is kept with the value, and a rerun on the same
inputs writes nothing."""

import hashlib
import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cooperations.models import CooperationStructure, Department, Establishment, MemberRole, StructureKind
from cpom.models import (
    ActivityField,
    CommitmentStatus,
    Computation,
    CountKind,
    Cpom,
    Indicator,
    IndicatorKind,
    MarketActivity,
    TerritoryKind,
)
from indicators.models import (
    ActivityRecord,
    ComputedValue,
    HospitalStay,
    InputImport,
    InputKind,
    MarketShare,
    SupportCost,
)

HUNDRED = Decimal(100)


@dataclass
class Result:
    value: Decimal | None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    reason: str = ""
    inputs: dict = field(default_factory=dict)
    imports: list = field(default_factory=list)  # ids of the InputImport whose rows were read


def _imports(*rows):
    """The ids of the imports those rows come from."""
    ids = set()
    for queryset in rows:
        ids.update(queryset.order_by().values_list("batch_id", flat=True).distinct())
    return sorted(ids)


def _ratio(numerator, denominator, places="0.01"):
    return (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(Decimal(places), ROUND_HALF_UP)


# --- Leakage rate ---------------------------------------------------------------------------------


def ght_of(legal_entity_id):
    return (
        CooperationStructure.objects.filter(kind=StructureKind.GHT, memberships__legal_entity_id=legal_entity_id)
        .order_by("short_code")
        .first()
    )


ATTRACTION_SHARE = Decimal("0.8")


def territory_of(indicator):
    """(label, GHT or None, département): the GHT of the establishment, or
    its département when it has none or the indicator asks for it."""
    entity = indicator.commitment.cpom.legal_entity
    ght = ght_of(entity.pk) if indicator.territory_kind != TerritoryKind.DEPARTMENT else None
    if ght is not None:
        return f"GHT {ght.short_code or ght.name}", ght, None
    return _("département %(code)s") % {"code": entity.department_id}, None, entity.department_id


def attraction_zone(stays, sites):
    """The home areas a group of sites serves, as ATIH draws a zone
    d'attractivité: the areas its sites' stays come from, largest first,
    until they hold 80 % of those stays. Read from the aggregate per area,
    not from the rows."""
    per_area = list(
        stays.filter(site_finess__in=sites)
        .values("home_area")
        .annotate(n=Sum("stays"))
        .order_by("-n", "home_area")
        .values_list("home_area", "n")
    )
    total = sum(n for _area, n in per_area)
    zone, running = [], 0
    for area, n in per_area:
        if total and running >= ATTRACTION_SHARE * total:
            break
        zone.append(area)
        running += n
    return zone


def leakage_rate(indicator, year) -> Result:
    """Stays of the territory's residents outside its establishments ÷ all
    stays of its residents, for the year and the activity field. A GHT's
    residents are those of its zone d'attractivité; a département's, those
    living in it."""
    activity = indicator.activity_field or ActivityField.MCO
    label, ght, department = territory_of(indicator)
    return territory_leakage(label, year, activity, ght=ght, department=department)


def territory_region(ght=None, department=None):
    """The région whose imports a territory's computation may read, besides the national ones."""
    if ght is not None:
        return ght.region_id
    return Department.objects.filter(code=department).values_list("region_id", flat=True).first()


def territory_leakage(label, year, activity, ght=None, department=None) -> Result:
    inputs = {"territoire": label, "champ": activity, "année": year}
    stays = HospitalStay.objects.readable_for(territory_region(ght, department)).filter(
        year=year, activity_field=activity
    )
    read = []
    if ght is not None:
        sites = Establishment.objects.filter(legal_entity__memberships__structure=ght).values("finess")
        zone = attraction_zone(stays, sites)
        inputs["zone d’attractivité"] = _("%(n)s codes de résidence (80 %% des séjours des sites du GHT)") % {
            "n": len(zone)
        }
        residents = stays.filter(home_area__in=zone)
        outside = ~Q(site_finess__in=sites)
        read.append(stays.filter(site_finess__in=sites))  # they drew the zone
    else:
        inputs["département de résidence"] = department
        residents = stays.filter(home_department=department)
        outside = ~Q(site_department=F("home_department"))
    totals = residents.aggregate(total=Sum("stays"), outside=Sum("stays", filter=outside), lines=Count("pk"))
    inputs["lignes de séjours lues"] = totals["lines"]
    inputs["sources"] = " ; ".join(sorted(set(residents.values_list("batch__source", flat=True).distinct())))
    imports = _imports(residents, *read)
    total, leaking = totals["total"] or 0, totals["outside"] or 0
    if not total:
        return Result(
            None,
            reason=_("Aucun séjour des résidents du territoire en %(year)s (%(field)s).")
            % {"year": year, "field": activity},
            inputs=inputs,
            imports=imports,
        )
    return Result(_ratio(leaking, total), Decimal(leaking), Decimal(total), inputs=inputs, imports=imports)


def leakage_by_department(year, activity=ActivityField.MCO):
    """Every département's leakage rate at once (one GROUP BY): residents'
    stays outside their département ÷ all their stays; each from the
    national imports and those of its own région."""
    rows = (
        HospitalStay.objects.readable_for_home_region()
        .filter(year=year, activity_field=activity)
        .values("home_department")
        .annotate(total=Sum("stays"), outside=Sum("stays", filter=~Q(site_department=F("home_department"))))
        .order_by("home_department")
    )
    return {row["home_department"]: (row["outside"] or 0, row["total"]) for row in rows}


# --- Support-function unit cost -------------------------------------------------------------------


def _costs(entity, function, year):
    costs = SupportCost.objects.readable_for(entity.region_id).filter(legal_entity_finess=entity.finess, year=year)
    return costs.filter(function=function) if function else costs


def _unit_cost(entity, function, year):
    return _costs(entity, function, year).aggregate(cost=Sum("cost"), units=Sum("units"), lines=Count("pk"))


def support_cost(indicator, year) -> Result:
    """Cost ÷ units produced, for the establishment and the function (all
    functions together when none is set); with its evolution since the
    indicator's baseline year."""
    entity = indicator.commitment.cpom.legal_entity
    function = indicator.support_function
    totals = _unit_cost(entity, function, year)
    inputs = {
        "établissement": f"{entity.name} ({entity.finess})",
        "fonction": function or _("toutes"),
        "année": year,
        "lignes de coûts lues": totals["lines"],
    }
    if totals["lines"]:
        inputs["sources"] = " ; ".join(
            sorted(set(_costs(entity, function, year).values_list("batch__source", flat=True)))
        )
    read = [_costs(entity, function, year)]
    if not totals["lines"]:
        return Result(None, reason=_("Aucun coût importé pour %(year)s.") % {"year": year}, inputs=inputs)
    if not totals["units"]:
        return Result(
            None, reason=_("Aucune unité produite : coût unitaire non défini."), inputs=inputs, imports=_imports(*read)
        )
    value = (totals["cost"] / totals["units"]).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    if indicator.baseline_year and indicator.baseline_year != year:
        base = _unit_cost(entity, function, indicator.baseline_year)
        read.append(_costs(entity, function, indicator.baseline_year))
        if base["units"]:
            base_value = base["cost"] / base["units"]
            inputs["coût unitaire de l’année de référence"] = str(base_value.quantize(Decimal("0.0001")))
            if base_value:
                inputs["évolution depuis l’année de référence (%)"] = str(
                    ((value - base_value) * HUNDRED / base_value).quantize(Decimal("0.1"), ROUND_HALF_UP)
                )
    return Result(value, totals["cost"], totals["units"], inputs=inputs, imports=_imports(*read))


# --- Counts of the application's own data ---------------------------------------------------------


def application_count(indicator, year) -> Result:
    entity = indicator.commitment.cpom.legal_entity
    kind = indicator.count_kind or CountKind.ACTIVE_STRUCTURES
    if kind == CountKind.DONE_COMMITMENTS:
        count = Cpom.objects.filter(legal_entity=entity, commitments__status=CommitmentStatus.DONE).count()
    else:
        count = (
            CooperationStructure.objects.filter(memberships__legal_entity=entity)
            .filter(Q(end_date__isnull=True) | Q(end_date__year__gte=year))
            .filter(Q(start_date__isnull=True) | Q(start_date__year__lte=year))
            .distinct()
            .count()
        )
    return Result(
        Decimal(count),
        Decimal(count),
        inputs={"décompte": CountKind(kind).label, "établissement": entity.finess, "année": year},
    )


# --- Real public figures: Hospi Diag market shares, ScanSanté activity ------------------------------


def leakage_proxy(indicator, year) -> Result:
    """100 − the share held by the GHT's members in the zone d'attractivité of
    its support establishment (Hospi Diag, 2022): a public approximation of
    the leakage rate, labelled as such."""
    from indicators.public_figures import HOSPIDIAG_YEAR

    activity = indicator.market_activity or MarketActivity.A1
    entity = indicator.commitment.cpom.legal_entity
    ght = ght_of(entity.pk)
    inputs = {"activité Hospi Diag": activity, "année": year, "nature": _("approximation par les parts de marché")}
    if ght is None:
        return Result(None, reason=_("L’établissement n’est membre d’aucun GHT."), inputs=inputs)
    inputs["territoire"] = f"GHT {ght.short_code or ght.name}"
    if year != HOSPIDIAG_YEAR:
        return Result(None, reason=_("Les parts de marché Hospi Diag disponibles sont celles de 2022."), inputs=inputs)
    support = ght.memberships.filter(role=MemberRole.SUPPORT).select_related("legal_entity").first()
    if support is None or support.legal_entity is None:
        return Result(None, reason=_("Le GHT n’a pas d’établissement support connu."), inputs=inputs)
    shares = MarketShare.objects.filter(year=year, activity=activity)
    keys = [support.legal_entity.finess, *support.legal_entity.establishments.values_list("finess", flat=True)]
    zone = next((key for key in keys if shares.filter(zone_finess=key).exists()), None)
    if zone is None:
        return Result(
            None, reason=_("La zone d’attractivité de l’établissement support est absente d’Hospi Diag."), inputs=inputs
        )
    members = Establishment.objects.filter(legal_entity__memberships__structure=ght).values("finess")
    member_entities = ght.memberships.exclude(legal_entity=None).values("legal_entity__finess")
    held = shares.filter(zone_finess=zone).filter(Q(finess__in=members) | Q(finess__in=member_entities))
    part = held.aggregate(total=Sum("share"))["total"] or Decimal(0)
    inputs["zone d’attractivité de"] = f"{support.legal_entity.name} ({zone})"
    inputs["part de marché des membres du GHT (%)"] = str(Decimal(part).quantize(Decimal("0.1")))
    inputs["sources"] = "Hospi Diag 2022 (ATIH)"
    return Result((HUNDRED - part).quantize(Decimal("0.1")), inputs=inputs)


def mco_activity(indicator, year) -> Result:
    """MCO stays and sessions of the establishment in the year (ScanSanté:
    public hospitals by FINESS EJ, private ones by site), with the evolution
    since the year before."""
    entity = indicator.commitment.cpom.legal_entity
    keys = [entity.finess, *entity.establishments.values_list("finess", flat=True)]

    def totals(of_year):
        return ActivityRecord.objects.filter(year=of_year, finess__in=keys).aggregate(
            total=Sum("stays"), lines=Count("pk")
        )

    found = totals(year)
    inputs = {"établissement": entity.finess, "année": year, "sources": "ScanSanté (ATIH)", "lignes": found["lines"]}
    if not found["lines"]:
        return Result(
            None, reason=_("Pas d’activité MCO ScanSanté pour %(year)s (publiée pour 2023 et 2024).") % {"year": year},
            inputs=inputs,
        )  # fmt: skip
    if found["total"] is None:
        return Result(None, reason=_("Effectif masqué à la source (1 à 10 séjours)."), inputs=inputs)
    before = totals(year - 1)
    if before["total"]:
        inputs[f"séjours {year - 1}"] = before["total"]
        inputs["évolution (%)"] = str(_ratio(found["total"] - before["total"], before["total"], "0.1"))
    return Result(Decimal(found["total"]), Decimal(found["total"]), inputs=inputs)


COMPUTATIONS = {
    Computation.LEAKAGE_RATE: (leakage_rate, InputKind.STAYS),
    Computation.SUPPORT_COST: (support_cost, InputKind.COSTS),
    Computation.APPLICATION_COUNT: (application_count, None),
    Computation.LEAKAGE_PROXY: (leakage_proxy, None),
    Computation.MCO_ACTIVITY: (mco_activity, None),
}


def compute(indicator, year) -> Result:
    function, _kind = COMPUTATIONS[Computation(indicator.computation)]
    return function(indicator, year)


def _checksum(indicator, year, result):
    payload = {
        "computation": indicator.computation,
        "year": year,
        "parameters": [indicator.territory_kind, indicator.activity_field, indicator.support_function,
                       indicator.count_kind, indicator.market_activity, indicator.baseline_year],
        "imports": list(InputImport.objects.filter(pk__in=result.imports).order_by("pk").values_list("pk", "sha256")),
        "inputs": result.inputs,
        # The result too: a change the file hashes do not show (a GHT's members, the application's
        # own data) is still a change; the same inputs give the same result, so a rerun writes nothing.
        "result": [str(result.value), str(result.numerator), str(result.denominator), result.reason],
    }  # fmt: skip
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


@transaction.atomic
def store(indicator, year, run=None) -> tuple[ComputedValue, bool]:
    """Compute and keep the value of a year; (value, changed). Unchanged
    inputs: nothing is written."""
    result = compute(indicator, year)
    checksum = _checksum(indicator, year, result)
    current = ComputedValue.objects.select_for_update().filter(indicator=indicator, year=year).first()
    if current is not None and current.inputs_checksum == checksum:
        return current, False
    value = current or ComputedValue(indicator=indicator, year=year)
    value.value, value.numerator, value.denominator = result.value, result.numerator, result.denominator
    value.reason, value.inputs, value.inputs_checksum = result.reason, result.inputs, checksum
    value.computed_at, value.run = timezone.now(), run
    try:
        with transaction.atomic():
            value.save()
            value.imports.set(result.imports)
    except IntegrityError:
        # Another worker stored the same year a moment ago: its value stands.
        return ComputedValue.objects.get(indicator=indicator, year=year), False
    return value, True


def indicators_to_compute(year, region=None):
    """The computed indicators of the CPOMs in force that year."""
    indicators = Indicator.objects.filter(
        kind=IndicatorKind.AUTOMATABLE,
        commitment__cpom__first_year__lte=year,
        commitment__cpom__last_year__gte=year,
    ).select_related("commitment__cpom__legal_entity")
    if region is not None:
        indicators = indicators.filter(commitment__cpom__region=region)
    return indicators.order_by("pk")
