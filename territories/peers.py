"""An establishment beside similar ones: its Hospi Diag 2022 figures against
the percentiles of its category in its région and in France, and, for a CPOM
indicator built from a library template, the distribution of the year's
validated values of the same template elsewhere.

The rule (issue 22): a director sees only aggregates of at least
``MIN_PEERS`` establishments and never another establishment's name or
value; an ARS user (and an admin) also sees the named list of his région.
Reading other establishments' figures to aggregate them is the point of
this module: what leaves it is an aggregate, or a named list for a reader of
that région (``accounts.scopes.reads_region``)."""

import csv
import io
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.db.models import Avg, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.scopes import is_admin, reads_region
from cooperations.models import Department, Establishment, LegalEntity
from core.values import french_number, to_decimal
from indicators.models import Declaration, DeclarationStatus
from territories.models import HospiDiagFigure, PeerPercentiles, TemplatePeerMeans

HOSPIDIAG_YEAR = 2022
HOSPIDIAG_FILE = Path(__file__).resolve().parent / "data" / "hospidiag2022_indicateurs.csv"
MIN_PEERS = 5
QUANTILES = (10, 25, 50, 75, 90)

CATEGORIES = {
    "CH": _("Centres hospitaliers"),
    "CHR": _("Centres hospitaliers régionaux et universitaires"),
    "CLI": _("Cliniques privées"),
    "EBNL": _("Établissements privés non lucratifs"),
    "CLCC": _("Centres de lutte contre le cancer"),
}


@dataclass(frozen=True)
class PeerIndicator:
    code: str
    label: str
    percentage: bool = False


# The Hospi Diag indicators compared (labels from the ATIH Hospi Diag guide; the code is shown beside them).
INDICATORS = (
    PeerIndicator("P1", _("IP-DMS en médecine")),
    PeerIndicator("P2", _("IP-DMS en chirurgie")),
    PeerIndicator("P3", _("IP-DMS en obstétrique")),
    PeerIndicator("P10", _("Taux de césariennes"), percentage=True),
    PeerIndicator("P11", _("Taux de péridurales"), percentage=True),
    PeerIndicator("P12", _("Taux de chirurgie ambulatoire"), percentage=True),
)
INDICATOR_CODES = [indicator.code for indicator in INDICATORS]


def percentile(ordered, q):
    """The ``q``-th percentile of sorted values, by linear interpolation
    (PostgreSQL's ``percentile_cont``)."""
    if not ordered:
        return None
    position = (len(ordered) - 1) * Decimal(q) / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _number(raw):
    raw = (raw or "").strip()
    if not raw or raw.startswith("."):
        return None
    value = to_decimal(raw)
    return value if value is not None and value.is_finite() else None


def _department_code(finess):
    if finess[:2] == "97":
        return finess[:3]
    return finess[:2]


@transaction.atomic
def load_hospidiag(data: bytes, year=HOSPIDIAG_YEAR) -> dict:
    """Load the Hospi Diag indicators file (replacing that year) and
    precompute its percentiles. The région of each FINESS is the register's
    (a site's or a legal entity's), else its département's from the FINESS."""
    text = data.decode("utf-8-sig")
    lines = list(csv.DictReader(io.StringIO(text)))
    finesses = {line["finess"].strip() for line in lines}
    regions = dict(LegalEntity.objects.filter(finess__in=finesses).values_list("finess", "region_id"))
    regions.update(Establishment.objects.filter(finess__in=finesses).values_list("finess", "region_id"))
    by_department = dict(Department.objects.values_list("code", "region_id"))
    figures = []
    for line in lines:
        finess = line["finess"].strip()
        category = line["cat"].strip()
        if len(finess) != 9 or category not in CATEGORIES:
            continue
        region_id = regions.get(finess) or by_department.get(_department_code(finess))
        for code in INDICATOR_CODES:
            value = _number(line.get(code))
            if value is not None:
                figures.append(
                    HospiDiagFigure(
                        year=year, finess=finess, name=line["rs"].strip()[:255], category=category,
                        region_id=region_id, indicator=code, value=value,
                    )
                )  # fmt: skip
    HospiDiagFigure.objects.filter(year=year).delete()
    PeerPercentiles.objects.filter(year=year).delete()
    HospiDiagFigure.objects.bulk_create(figures, batch_size=5000)
    groups = defaultdict(list)
    for figure in figures:
        if figure.region_id is not None:
            groups[(figure.indicator, figure.category, figure.region_id)].append(figure.value)
        groups[(figure.indicator, figure.category, None)].append(figure.value)
    percentiles = []
    for (indicator, category, region_id), values in groups.items():
        ordered = sorted(values)
        quantiles = {f"p{q}": percentile(ordered, q).quantize(Decimal("0.0001")) for q in QUANTILES}
        percentiles.append(
            PeerPercentiles(
                year=year, indicator=indicator, category=category, region_id=region_id, count=len(ordered),
                **quantiles,
            )
        )  # fmt: skip
    PeerPercentiles.objects.bulk_create(percentiles, batch_size=5000)
    return {"figures": len(figures), "percentiles": len(percentiles)}


def formatted(value, percentage=False):
    if value is None:
        return ""
    value = Decimal(value)
    decimals = 0 if value == value.to_integral_value() else (1 if percentage else 2)
    shown = french_number(value.quantize(Decimal(10) ** -decimals), decimals)
    return f"{shown}\u202f%" if percentage else shown


@dataclass
class Distribution:
    """Percentiles of a group of establishments, and whether the reader may see them."""

    scope: str  # "region" or "france"
    label: str
    count: int
    values: dict  # {10: Decimal, …}
    shown: bool
    percentage: bool = False

    @property
    def cells(self):
        return [formatted(self.values[q], self.percentage) for q in QUANTILES]


@dataclass
class PeerComparison:
    """One indicator of one establishment against its peers."""

    code: str
    label: str
    percentage: bool
    own: Decimal | None
    distributions: list = field(default_factory=list)
    named: list = field(default_factory=list)  # [(name, finess, value)], for a reader of the région only

    @property
    def own_shown(self):
        return formatted(self.own, self.percentage)

    @property
    def shown_distributions(self):
        return [distribution for distribution in self.distributions if distribution.shown]


def _may_name(user, region_id):
    return region_id is not None and reads_region(user, region_id)


def _distribution(row, scope, label, user, percentage):
    values = {q: getattr(row, f"p{q}") for q in QUANTILES}
    named_reader = is_admin(user) if row.region_id is None else _may_name(user, row.region_id)
    return Distribution(scope, label, row.count, values, row.count >= MIN_PEERS or named_reader, percentage)


def establishment_peers(user, establishment, with_names=False, year=HOSPIDIAG_YEAR):
    """The Hospi Diag comparison of ``establishment`` (a site the caller has
    already found through ``Establishment.objects.visible_to(user)``).
    Two queries, three with the named list."""
    own_finesses = [establishment.finess, establishment.legal_entity.finess]
    own = {}
    category = None
    for figure in HospiDiagFigure.objects.filter(year=year, finess__in=own_finesses, indicator__in=INDICATOR_CODES):
        # The site's own line wins over its legal entity's (public hospitals are described by their EJ).
        if figure.indicator not in own or figure.finess == establishment.finess:
            own[figure.indicator] = figure
            category = figure.category
    result = {
        "establishment": establishment,
        "year": year,
        "category": category,
        "category_label": CATEGORIES.get(category, ""),
        "min_peers": MIN_PEERS,
        "comparisons": [],
        "named": with_names and _may_name(user, establishment.region_id),
    }
    if category is None:
        return result
    region_id = establishment.region_id
    rows = PeerPercentiles.objects.filter(year=year, category=category, indicator__in=INDICATOR_CODES).filter(
        Q(region_id=region_id) | Q(region__isnull=True)
    )
    by_indicator = defaultdict(dict)
    for row in rows:
        by_indicator[row.indicator]["france" if row.region_id is None else "region"] = row
    named = defaultdict(list)
    if result["named"]:
        peers = HospiDiagFigure.objects.filter(
            year=year, category=category, region_id=region_id, indicator__in=INDICATOR_CODES
        ).order_by("indicator", "value", "name")
        for figure in peers:
            named[figure.indicator].append(figure)
    region_label = establishment.region.name if establishment.region_id else ""
    for indicator in INDICATORS:
        figure = own.get(indicator.code)
        groups = by_indicator.get(indicator.code, {})
        comparison = PeerComparison(indicator.code, indicator.label, indicator.percentage, figure and figure.value)
        if "region" in groups:
            comparison.distributions.append(
                _distribution(groups["region"], "region", region_label, user, indicator.percentage)
            )
        if "france" in groups:
            comparison.distributions.append(
                _distribution(groups["france"], "france", _("France"), user, indicator.percentage)
            )
        comparison.named = [
            (peer.name, peer.finess, formatted(peer.value, indicator.percentage)) for peer in named[indicator.code]
        ]
        if figure is not None or comparison.distributions:
            result["comparisons"].append(comparison)
    return result


# --- CPOM indicators built from the same library template -------------------------------------------


@dataclass
class TemplateDistribution:
    template_id: int
    year: int
    own: Decimal | None
    distributions: list
    named: list  # [(entity name, FINESS EJ, shown value)], for a reader of the région

    def own_shown(self):
        return formatted(self.own)


def _validated():
    return Declaration.objects.filter(status=DeclarationStatus.VALIDATED, value__isnull=False).order_by()


def grouped_template_means(template_ids):
    """For each of ``template_ids``: its latest year of validated values and,
    for that year, each legal entity's mean ({(entity id, région id): mean}),
    grouped in the database in one pass over every year of the templates'
    validated values (the latest year is chosen here)."""
    means = (
        _validated()
        .filter(indicator__template_id__in=set(template_ids))
        .values(
            "indicator__template_id",
            "year",
            "indicator__commitment__cpom__legal_entity_id",
            "indicator__commitment__cpom__region_id",
        )
        .annotate(mean=Avg("value"))
        .values_list(
            "indicator__template_id",
            "year",
            "indicator__commitment__cpom__legal_entity_id",
            "indicator__commitment__cpom__region_id",
            "mean",
        )
    )
    by_year = defaultdict(lambda: defaultdict(dict))
    for template_id, year, entity_id, region_id, mean in means:
        by_year[template_id][year][(entity_id, region_id)] = Decimal(str(mean))
    result = {}
    for template_id, years in by_year.items():
        year = max(years)
        result[template_id] = (year, years[year])
    return result


def kept_template_means(template_ids):
    """What ``grouped_template_means`` gives, read from the means kept for each
    template (``TemplatePeerMeans``) where they are current, grouped from the
    declarations for the others; a template that has no kept means yet gets
    them computed after this transaction (by a Celery task)."""
    template_ids = set(template_ids)
    result = {}
    kept = {row.template_id: row for row in TemplatePeerMeans.objects.filter(template_id__in=template_ids)}
    for template_id, row in kept.items():
        if row.is_current and row.year is not None:
            result[template_id] = (
                row.year,
                {(entity_id, region_id): Decimal(mean) for entity_id, region_id, mean in row.means},
            )
        elif row.is_current:
            result[template_id] = None  # current, and no validated value at all
    missing = template_ids - result.keys()
    if missing:
        result.update(grouped_template_means(missing))
        _refresh_after_commit(missing - kept.keys())
    return {template_id: means for template_id, means in result.items() if means}


def template_distributions(user, indicators):
    """For each of ``indicators`` (CPOM indicators the caller may see) that
    comes from a library template: the distribution of the validated values
    of the latest year of that template, one value per legal entity (their
    mean when an entity follows the template twice), in the indicator's
    région and in France. A fixed number of queries for them all, whatever
    the number of declarations: the kept means of the templates
    (``kept_template_means``), the indicators' own values and, for a reader
    who may see them, the names of the région's entities."""
    indicators = [indicator for indicator in indicators if indicator.template_id]
    if not indicators:
        return {}
    by_template = kept_template_means({indicator.template_id for indicator in indicators})
    if not by_template:
        return {}
    own_values = {
        (indicator_id, year): value
        for indicator_id, year, value in _validated()
        .filter(indicator__in=indicators)
        .values_list("indicator_id", "year", "value")
    }
    named_regions = {
        indicator.commitment.cpom.region_id
        for indicator in indicators
        if indicator.template_id in by_template and _may_name(user, indicator.commitment.cpom.region_id)
    }
    named_ids = {
        entity_id
        for _year, entity_values in by_template.values()
        for entity_id, region_id in entity_values
        if region_id in named_regions
    }
    # (No query when no name may be shown: Django answers an empty « in » itself.)
    names = {
        pk: (name, finess)
        for pk, name, finess in LegalEntity.objects.filter(pk__in=named_ids)
        .order_by()
        .values_list("pk", "name", "finess")
    }
    result = {}
    for indicator in indicators:
        if indicator.template_id not in by_template:
            continue
        year, entity_values = by_template[indicator.template_id]
        region_id = indicator.commitment.cpom.region_id
        own = own_values.get((indicator.pk, year))
        if len(entity_values) < 2:
            continue
        distributions = []
        region_values = sorted(value for key, value in entity_values.items() if key[1] == region_id)
        national_values = sorted(entity_values.values())
        named_reader = region_id in named_regions
        for scope, label, values, reader in (
            ("region", indicator.commitment.cpom.region.name, region_values, named_reader),
            ("france", _("France"), national_values, is_admin(user)),
        ):
            if values:
                distributions.append(
                    Distribution(
                        scope, label, len(values), {q: percentile(values, q) for q in QUANTILES},
                        len(values) >= MIN_PEERS or reader,
                    )
                )  # fmt: skip
        named = []
        if named_reader:
            named = sorted(
                (
                    (*names[entity_id], formatted(value))
                    for (entity_id, entity_region), value in entity_values.items()
                    if entity_region == region_id and entity_id in names
                ),
                key=lambda item: item[0],
            )
        result[indicator.pk] = TemplateDistribution(indicator.template_id, year, own, distributions, named)
    return result


# --- The kept means of the templates (TemplatePeerMeans) -----------------------------------------------


def template_means_changed(template_ids):
    """Call in the transaction that changes validated values of these
    templates: their kept means stop being read (a new generation), and are
    computed again once the transaction commits."""
    template_ids = sorted({pk for pk in template_ids if pk})
    if not template_ids:
        return
    TemplatePeerMeans.objects.bulk_create(
        [TemplatePeerMeans(template_id=pk, generation=uuid.uuid4()) for pk in template_ids],
        update_conflicts=True, unique_fields=["template"], update_fields=["generation"],
    )  # fmt: skip
    _refresh_after_commit(template_ids)


def _refresh_after_commit(template_ids):
    """Queue the computation of these templates' means once the transaction
    commits. A broker that cannot be reached fails neither the page nor the
    change that asked (``robust``): the means stay stale, and are grouped
    from the values until the next change queues them again."""
    from territories.tasks import refresh_template_peer_means  # the tasks import this module

    for pk in sorted(template_ids):
        transaction.on_commit(lambda pk=pk: refresh_template_peer_means.delay(pk), robust=True)


def refresh_template_means(template_id):
    """Compute the kept means of one template again, and store them only if no
    change happened since this started (the generation they are computed
    for is still the current one). True if they were stored."""
    from cpom.models import IndicatorTemplate

    if not IndicatorTemplate.objects.filter(pk=template_id).exists():
        return False
    row, _created = TemplatePeerMeans.objects.get_or_create(
        template_id=template_id, defaults={"generation": uuid.uuid4()}
    )
    if row.is_current:
        return False  # another task of the same change came first
    generation = row.generation
    # Read after the generation: a change committed since then has a newer one, and this is not stored.
    means = grouped_template_means([template_id]).get(template_id)
    year, values = means if means else (None, {})
    return bool(
        TemplatePeerMeans.objects.filter(template_id=template_id, generation=generation).update(
            computed_generation=generation,
            year=year,
            means=[[entity_id, region_id, str(mean)] for (entity_id, region_id), mean in sorted(values.items())],
            computed_at=timezone.now(),
        )
    )


def forget_template_means():
    """After values were written without the ORM's signals (the generated
    data sets): every template's means are grouped again from the values."""
    TemplatePeerMeans.objects.all().delete()
