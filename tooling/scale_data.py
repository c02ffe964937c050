"""A national data set for the benchmarks, built on top of the real FINESS
register (``load_reference_data``): the legal entities and sites are real and
no FINESS number is invented; the users, CPOMs, commitments, indicators,
targets, campaigns and declarations are generated.

At full size (``factor=1``): 3,000 CPOMs, 15,000 commitments, 50,000
indicators with their targets, and the declarations the follow-up rules allow
(see ``Sizes``). The data set is deterministic: the same seed (and day) gives
the same references, values and statuses. Everything it creates is marked —
CPOM references start with ``SCALE_REFERENCE_PREFIX``, user names with
``SCALE_USERNAME_PREFIX`` (the campaigns it opens are created by those users)
— and a new run first removes the previous one.

The result follows the rules the pages rely on: one CPOM per entity and
period, without overlap; signed CPOMs have every target of their period and a
signed version holding their content (``versions.snapshot``); campaigns (one
per région and year) follow only signed CPOMs of their région in force that
year; a declaration is an indicator's value for the year of its campaign,
with a status reached through the state machine of ``models`` and one
``DeclarationEvent`` per step."""

import copy
import datetime
import hashlib
import io
import json
import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, partial

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import DateField, DecimalField, Exists, JSONField, Max, OuterRef
from django.utils import timezone

from accounts.models import EntityMembership, Role, User
from cooperations.models import (
    CooperationStructure,
    Establishment,
    ExternalKind,
    LegalEntity,
    Membership,
    StructureKind,
)
from core.values import ValueType, format_value, scale_levels
from cpom.models import (
    ActionKind,
    ChangeProposal,
    Comment,
    Commitment,
    CommitmentPartner,
    CommitmentStatus,
    Cpom,
    CpomStatus,
    CpomVersion,
    Indicator,
    IndicatorKind,
    IndicatorTemplate,
    TargetValue,
    Theme,
)
from cpom.versions import COMMITMENT_LABELS, INDICATOR_LABELS, format_date, target_label
from diagnostics.models import Diagnostic
from indicators.models import (
    Campaign,
    CampaignPhase,
    ComputedValue,
    Declaration,
    DeclarationEvent,
    DeclarationNote,
    DeclarationStatus,
)
from reviews.models import AnnualReview
from territories.peers import forget_template_means

SCALE_REFERENCE_PREFIX = "ECHELLE-"
SCALE_USERNAME_PREFIX = "echelle-"
DEFAULT_PASSWORD = "echelle-cpom-2026"  # nosec B105 - the generated benchmark accounts' known password
DEFAULT_SEED = 2026
NEGOTIATORS_PER_REGION = 2
BATCH = 2000
# CPOMs generated (and inserted) together: memory stays flat whatever the factor.
CPOM_CHUNK = 100


@dataclass(frozen=True)
class Sizes:
    """What a factor asks for. ``declarations`` is an aim, not a promise: a
    declaration is one value of one indicator for one year of its CPOM, so an
    indicator has five at most (its five years, all followed by a campaign
    that is open or closed); CPOMs in negotiation, computed indicators, years
    not yet followed and values never declared have none."""

    cpoms: int
    commitments: int
    indicators: int
    declarations: int

    @classmethod
    def for_factor(cls, factor):
        cpoms = max(1, round(3000 * factor))
        commitments = max(cpoms, round(15000 * factor))
        indicators = max(commitments, round(50000 * factor))
        return cls(cpoms, commitments, indicators, round(250_000 * factor))


# Shares of the CPOMs: the entity's current contract (signed), the one before it
# (signed, over), the next one (in negotiation).
CURRENT_SHARE, NEXT_SHARE = 0.7, 0.1
NEXT_STATUSES = [(CpomStatus.PREPARATION, 40), (CpomStatus.CONCERTATION, 40), (CpomStatus.TO_SIGN, 20)]
# A draft in negotiation is smaller: it gets half the commitments of a signed contract.
NEXT_WEIGHT = 0.5
AMENDED_SHARE, AMENDMENT_OPEN_SHARE = 0.06, 0.02
AUTOMATABLE_SHARE = 0.03

# What becomes of a due value, by phase of its campaign: (outcome, weight). The
# outcome is the path through the state machine; None: never declared.
D, S, V, B = (
    DeclarationStatus.DRAFT,
    DeclarationStatus.SUBMITTED,
    DeclarationStatus.VALIDATED,
    DeclarationStatus.SENT_BACK,
)
OUTCOMES = {
    CampaignPhase.CLOSED: [((D, S, V), 90), ((D, S, B, S, V), 3), ((D, S), 2), ((D,), 1), ((D, S, B), 1), (None, 3)],
    CampaignPhase.CORRECTION: [((D, S, V), 70), ((D, S), 12), ((D, S, B), 6), ((D, S, B, S), 4), ((D,), 3), (None, 5)],
    CampaignPhase.DECLARATION: [
        ((D, S, V), 22),
        ((D, S), 30),
        ((D,), 15),
        ((D, S, B), 5),
        ((D, S, B, S), 3),
        (None, 25),
    ],
}

DECLARATION_COLUMNS = ["id", "indicator_id", "campaign_id", "year", "value", "text", "comment", "evidence",
                       "evidence_name", "status", "submitted_at", "decided_at", "updated_at", "updated_by_id"]  # fmt: skip
EVENT_COLUMNS = ["declaration_id", "previous_status", "status", "user_id", "at", "reason"]
SEND_BACK_REASON = "Valeur à justifier : merci de joindre le compte rendu du comité de suivi."

COMMITMENTS = {
    ActionKind.PATHWAYS: (Theme.MEDICAL, [
        "Filière gériatrique territoriale", "Filière AVC du territoire", "Parcours de l’insuffisant cardiaque",
        "Filière de soins palliatifs", "Parcours périnatal gradué", "Filière de cancérologie digestive",
    ]),
    ActionKind.COMMUNICATION: (Theme.MEDICAL, [
        "Faire connaître les filières aux médecins adresseurs", "Annuaire commun des consultations avancées",
        "Site web unique des filières du territoire",
    ]),
    ActionKind.ACTIVITY_TRANSFER: (Theme.AUTHORISATIONS, [
        "Regroupement de la chirurgie ambulatoire", "Transfert de la maternité vers le site pivot",
        "Regroupement des soins critiques",
    ]),
    ActionKind.STAFF_POOLING: (Theme.MANAGEMENT, [
        "Équipe territoriale d’imagerie", "Équipe médicale partagée des urgences", "Postes d’assistants partagés",
        "Direction commune des soins",
    ]),
    ActionKind.SUPPORT_POOLING: (Theme.LOGISTICS, [
        "Blanchisserie inter-hospitalière", "Cuisine centrale commune", "Laboratoire de biologie médicale commun",
        "Pharmacie à usage intérieur mutualisée", "Stérilisation centrale",
    ]),
    ActionKind.SHARED_EQUIPMENT: (Theme.TECHNICAL_PLATFORMS, [
        "IRM partagée", "Co-utilisation du bloc opératoire", "Plateau de consultations avancées partagé",
    ]),
}  # fmt: skip
EXTERNAL_PARTNERS = [
    ("Médecins généralistes du territoire (CPTS)", ExternalKind.CITY_MEDICINE),
    ("EHPAD du bassin de vie", ExternalKind.MEDICO_SOCIAL),
    ("Conseil départemental", ExternalKind.LOCAL_AUTHORITY),
    ("Dispositif d’appui à la coordination", ExternalKind.OTHER),
]
# Declarative indicators beyond the library's, so that every value type is followed.
EXTRA_DEFINITIONS = [
    {"label": "Part des examens réalisés sur le plateau commun", "kind": IndicatorKind.DECLARATIVE,
     "value_type": ValueType.PERCENTAGE, "unit": "%", "direction": "hausse",
     "data_source": "Déclaration de l’établissement", "computation": "", "scale_levels": ""},
    {"label": "Bilan qualitatif de la coopération", "kind": IndicatorKind.DECLARATIVE,
     "value_type": ValueType.TEXT, "unit": "", "direction": "atteinte",
     "data_source": "Déclaration de l’établissement", "computation": "", "scale_levels": ""},
]  # fmt: skip
# Computed indicators generated: those whose real public figures are loaded with the register.
AUTOMATABLE_COMPUTATIONS = ("fuite_hospidiag", "activite_mco")


@dataclass
class EntityRow:
    pk: int
    finess: str
    name: str
    region_id: str
    ght_id: int | None = None


@dataclass
class CpomPlan:
    index: int
    entity: EntityRow
    generation: str  # "previous", "current" or "next"
    first_year: int
    status: str
    signed_on: datetime.date | None = None
    amendment: str = ""  # "", "signed" or "open"
    commitment_count: int = 0
    indicator_counts: list = field(default_factory=list)

    @property
    def last_year(self):
        return self.first_year + 4

    @property
    def reference(self):
        return f"{SCALE_REFERENCE_PREFIX}{self.first_year}-{self.entity.finess}"


@dataclass
class ScaleReport:
    factor: float
    seed: int
    sizes: Sizes
    password: str
    counts: dict = field(default_factory=dict)
    negotiators: dict = field(default_factory=dict)  # région code → user names
    observers: dict = field(default_factory=dict)
    directors: int = 0
    seconds: float = 0.0


class NotEnoughEntitiesError(Exception):
    pass


def _weighted(rng, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _spread(rng, total, weights):
    """``total`` items over len(weights) bins, at least one each, the rest
    drawn with those weights."""
    counts = [1] * len(weights)
    extra = total - len(weights)
    if extra > 0:
        for index in rng.choices(range(len(weights)), weights=weights, k=extra):
            counts[index] += 1
    return counts


@cache
def _choices(model, name):
    return {value: str(label) for value, label in model._meta.get_field(name).flatchoices}


def _label(model, name, value):
    """``get_<name>_display()``, without a translation lookup per object."""
    return _choices(model, name).get(value, value)


def _as_json(value):
    return None if value is None else json.dumps(value)


def _csv_field(value):
    if value is None:
        return "\\N"
    return '"' + str(value).replace('"', '""') + '"'


class RowWriter:
    """Inserts rows given as tuples of attribute values: by COPY on
    PostgreSQL, by batched executemany elsewhere. The hundreds of thousands
    of targets, declarations, status changes and history records go in
    several times faster than through model instances. Ids are reserved
    first, so that children point at their parents without reading them back."""

    def __init__(self):
        raw = connection.cursor().cursor
        self.copy = connection.vendor == "postgresql" and hasattr(raw, "copy_expert")
        self.next_ids = {}

    def reserve(self, model, count):
        if not count:
            return []
        table, column = model._meta.db_table, model._meta.pk.column
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count]
                )
                return [row[0] for row in cursor.fetchall()]
            # Elsewhere (SQLite) the transaction holds the write lock: ids above the highest ever used are free.
            if model not in self.next_ids:
                top = model.objects.aggregate(top=Max("pk"))["top"] or 0
                if connection.vendor == "sqlite":
                    cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
                    row = cursor.fetchone()
                    top = max(top, row[0] if row else 0)
                self.next_ids[model] = top + 1
        start = self.next_ids[model]
        self.next_ids[model] += count
        return list(range(start, start + count))

    def _preparers(self, fields):
        """How each value is made ready for the database: COPY reads the text
        of plain values; executemany needs dates and decimals adapted."""
        preparers = []
        for f in fields:
            if isinstance(f, JSONField) and self.copy:
                preparers.append(_as_json)
            elif isinstance(f, JSONField) or (not self.copy and isinstance(f, DateField | DecimalField)):
                preparers.append(partial(f.get_db_prep_save, connection=connection))
            else:
                preparers.append(None)
        return preparers

    def insert(self, model, columns, rows):
        if not rows:
            return
        fields = [model._meta.get_field(column) for column in columns]
        # The columns not given take their field's default, as a model instance would:
        # a field added later (with its default) needs no change here.
        given = {f.attname for f in fields}
        defaults = [
            f
            for f in model._meta.concrete_fields
            if f.attname not in given and not f.primary_key and not f.null and f.get_default() is not None
        ]
        if defaults:
            fields += defaults
            rows = [[*row, *(f.get_default() for f in defaults)] for row in rows]
        preparers = self._preparers(fields)
        if any(preparers):
            rows = [[v if p is None else p(v) for p, v in zip(preparers, row, strict=True)] for row in rows]
        quote = connection.ops.quote_name
        table, names = quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
        with connection.cursor() as cursor:
            if self.copy:
                buffer = io.StringIO()
                for row in rows:
                    buffer.write(",".join(_csv_field(v) for v in row))
                    buffer.write("\n")
                buffer.seek(0)
                cursor.cursor.copy_expert(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer)
                return
            # Identifiers come from the models' metadata; every value is a parameter.
            sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(fields))})"  # nosec B608
            for start in range(0, len(rows), BATCH):
                cursor.executemany(sql, rows[start : start + BATCH])

    def history(self, model, objects, user_of, when):
        """The creation records django-simple-history writes on save, for
        objects saved in bulk (``objects``: instances, or (id, values) rows
        given as dicts of attribute values)."""
        history = getattr(model, "history", None)
        if history is None or not objects:
            return
        tracked = [f.attname for f in history.model.tracked_fields]
        columns = [*tracked, "history_date", "history_change_reason", "history_type", "history_user_id"]
        rows = []
        for obj in objects:
            get = obj.get if isinstance(obj, dict) else obj.__dict__.get
            rows.append((*(get(name) for name in tracked), when, None, "+", user_of(obj)))
        self.insert(history.model, columns, rows)


def _eligible_entities():
    """Open legal entities of a région with an open site, and no CPOM entered
    by anyone else (the generated ones must not overlap a real one)."""
    open_site = Establishment.objects.filter(legal_entity=OuterRef("pk"), closed_on__isnull=True)
    other_cpom = Cpom.objects.filter(legal_entity=OuterRef("pk")).exclude(reference__startswith=SCALE_REFERENCE_PREFIX)
    rows = (
        LegalEntity.objects.filter(closed_on__isnull=True, region__isnull=False)
        .filter(Exists(open_site))
        .exclude(Exists(other_cpom))
        .order_by("finess")
        .values_list("pk", "finess", "name", "region_id")
    )
    entities = [EntityRow(*row) for row in rows]
    ghts = dict(
        Membership.objects.filter(structure__kind=StructureKind.GHT, legal_entity__isnull=False)
        .order_by("legal_entity_id", "structure__short_code")
        .values_list("legal_entity_id", "structure_id")
    )
    for entity in entities:
        entity.ght_id = ghts.get(entity.pk)
    return entities


def plan_cpoms(rng, sizes, entities, last_year):
    """Who gets which CPOMs, for which period, at which step, with how many
    commitments and indicators. ``last_year``: the latest year a campaign
    follows (last year's: its values are declared this year)."""
    n = sizes.cpoms
    n_current = min(len(entities), math.ceil(n * CURRENT_SHARE))
    rest = n - n_current
    # Too few entities: more of them get a next contract besides the one before.
    n_next = min(rest, max(round(n * NEXT_SHARE), rest - n_current), n_current)
    n_previous = rest - n_next
    if n_current == 0 or n_previous > n_current:
        raise NotEnoughEntitiesError(
            f"{n} CPOM demandés pour {len(entities)} entités juridiques éligibles (trois CPOM au plus par entité) : "
            "chargez le répertoire (load_reference_data) ou baissez --factor."
        )
    chosen = entities[:]
    rng.shuffle(chosen)
    chosen = chosen[:n_current]
    plans = []
    # The entities with a next contract in negotiation have a current one ending last year.
    starts = [last_year - 4 if i < n_next else _weighted(rng, [(last_year - 6, 15), (last_year - 5, 25),
              (last_year - 4, 60)]) for i in range(n_current)]  # fmt: skip
    with_previous = set(rng.sample(range(n_current), n_previous))
    for i, entity in enumerate(chosen):
        first = starts[i]
        if i in with_previous:
            plans.append(_signed_plan(rng, entity, "previous", first - 5))
        current = _signed_plan(rng, entity, "current", first)
        roll = rng.random()
        if roll < AMENDED_SHARE:
            current.amendment = "signed"
        elif roll < AMENDED_SHARE + AMENDMENT_OPEN_SHARE:
            current.amendment = "open"
            current.status = CpomStatus.PREPARATION
        plans.append(current)
        if i < n_next:
            plans.append(CpomPlan(0, entity, "next", first + 5, _weighted(rng, NEXT_STATUSES)))
    plans.sort(key=lambda p: (p.entity.finess, p.first_year))
    for index, plan in enumerate(plans):
        plan.index = index
    weights = [NEXT_WEIGHT if p.generation == "next" else 1.0 for p in plans]
    commitment_counts = _spread(rng, sizes.commitments, weights)
    indicator_counts = _spread(rng, sizes.indicators, [1.0] * sizes.commitments)
    position = 0
    for plan, count in zip(plans, commitment_counts, strict=True):
        plan.commitment_count = count
        plan.indicator_counts = indicator_counts[position : position + count]
        position += count
    return plans


def _signed_plan(rng, entity, generation, first_year):
    signed_on = datetime.date(first_year - 1, 12, 1) + datetime.timedelta(days=rng.randrange(0, 45))
    return CpomPlan(0, entity, generation, first_year, CpomStatus.SIGNED, signed_on=signed_on)


def _make_users(regions, entities, password):
    encoded = make_password(password)  # hashed once: the same for every generated user
    users = []
    for code in regions:
        for k in range(1, NEGOTIATORS_PER_REGION + 1):
            users.append(User(username=f"{SCALE_USERNAME_PREFIX}negociateur-{code}-{k}", role=Role.NEGOTIATOR,
                              region_id=code, first_name="Négociateur", last_name=f"ARS {code} n° {k}"))  # fmt: skip
        users.append(User(username=f"{SCALE_USERNAME_PREFIX}observateur-{code}", role=Role.OBSERVER, region_id=code,
                          first_name="Observateur", last_name=f"ARS {code}"))  # fmt: skip
    # The national team: an administrator who sees every région (and the Django admin, for its changelists).
    users.append(User(username=f"{SCALE_USERNAME_PREFIX}admin", role=Role.ADMIN, is_staff=True, is_superuser=True,
                      first_name="Administrateur", last_name="national"))  # fmt: skip
    directors = {}
    for entity in entities:
        username = f"{SCALE_USERNAME_PREFIX}directeur-{entity.finess}"
        directors[username] = entity.pk
        users.append(User(username=username, role=Role.DIRECTOR, first_name="Directeur",
                          last_name=entity.name[:150]))  # fmt: skip
    for user in users:
        user.password = encoded
        user.email = f"{user.username}@echelle.invalid"
    User.objects.bulk_create(users, batch_size=BATCH)
    created = {u.username: u for u in User.objects.filter(username__startswith=SCALE_USERNAME_PREFIX)}
    # A director's entity is a membership (one per legal entity he works for).
    EntityMembership.objects.bulk_create(
        [EntityMembership(user=created[name], legal_entity_id=entity_id) for name, entity_id in directors.items()],
        batch_size=BATCH,
    )
    return created


def _campaign_windows(year, last_year, today):
    """Past years' campaigns are closed; the latest one is open for declarations today."""
    if year < last_year:
        opens = datetime.date(year + 1, 1, 15)
        return opens, datetime.date(year + 1, 3, 31), datetime.date(year + 1, 4, 30)
    return today - datetime.timedelta(days=14), today + datetime.timedelta(days=21), today + datetime.timedelta(days=35)


def _make_campaigns(plans, users, last_year, today):
    """One campaign per région and year followed; a région's existing campaign
    of that year (not generated) is reused."""
    years_by_region = defaultdict(set)
    for plan in plans:
        if plan.signed_on is not None:
            for year in range(plan.first_year, min(plan.last_year, last_year) + 1):
                years_by_region[plan.entity.region_id].add(year)
    existing = {(c.region_id, c.year): c for c in Campaign.objects.all()}
    created = []
    campaigns = {}
    for region in sorted(years_by_region):
        for year in sorted(years_by_region[region]):
            if (region, year) in existing:
                campaigns[region, year] = existing[region, year]
                continue
            opens, closes, corrections = _campaign_windows(year, last_year, today)
            campaign = Campaign(
                region_id=region,
                year=year,
                opens_on=opens,
                closes_on=closes,
                corrections_until=corrections,
                created_by=users[f"{SCALE_USERNAME_PREFIX}negociateur-{region}-1"],
                reminder_sent_on=closes - datetime.timedelta(days=7) if closes < today else None,
            )
            created.append(campaign)
            campaigns[region, year] = campaign
    Campaign.objects.bulk_create(created, batch_size=BATCH)
    return campaigns, len(created)


def _definitions():
    """The indicator definitions to draw from: the library and the extra ones,
    as (weight, fields, template id)."""
    declarative, automatable = [], []
    for template in IndicatorTemplate.objects.order_by("position", "pk"):
        fields = template.as_prefill()
        if template.kind == IndicatorKind.DECLARATIVE:
            declarative.append((fields, template.pk))
        elif template.computation in AUTOMATABLE_COMPUTATIONS:
            automatable.append((fields, template.pk))
    declarative += [(fields, None) for fields in EXTRA_DEFINITIONS]
    return declarative, automatable


# --- Values ---------------------------------------------------------------------------------


def _quantized(value_type, number):
    if value_type == ValueType.COUNT:
        return Decimal(max(0, round(number)))
    if value_type == ValueType.PERCENTAGE:
        return Decimal(str(round(min(100.0, max(0.0, number)), 1)))
    return Decimal(str(round(number, 2)))


class ValuePlan:
    """Baseline, targets and plausible declared values of one indicator."""

    def __init__(self, rng, fields, years):
        self.type = ValueType(fields["value_type"])
        self.levels = scale_levels(fields["scale_levels"])
        self.direction = fields["direction"]
        self.years = years
        if self.type == ValueType.COUNT:
            self.base = float(rng.randint(2, 400))
            self.step = self.base * rng.uniform(0.03, 0.15)
        elif self.type == ValueType.PERCENTAGE:
            self.base = rng.uniform(20, 80)
            self.step = rng.uniform(0.5, 2.5) * (-1 if self.direction == "baisse" else 1)
        elif self.type == ValueType.BOOLEAN:
            self.switch = rng.randint(1, len(years))  # the year index from which the answer must be « oui »
        elif self.type == ValueType.SCALE:
            self.switch = rng.randint(1, 2)
        else:
            self.base = 0.0

    def baseline(self):
        if self.type in (ValueType.COUNT, ValueType.PERCENTAGE):
            return _quantized(self.type, self.base), ""
        if self.type == ValueType.BOOLEAN:
            return Decimal(0), "non"
        if self.type == ValueType.SCALE:
            return Decimal(1), self.levels[0]
        return None, "Coopération à construire"

    def target(self, k):
        """The target of the k-th year of the period (k from 1)."""
        if self.type in (ValueType.COUNT, ValueType.PERCENTAGE):
            return _quantized(self.type, self.base + self.step * k), ""
        if self.type == ValueType.BOOLEAN:
            return (Decimal(1), "oui") if k >= self.switch else (Decimal(0), "non")
        if self.type == ValueType.SCALE:
            rank = min(len(self.levels), max(1, k // self.switch + 1))
            return Decimal(rank), self.levels[rank - 1]
        return None, f"Objectifs de l’année {k} du contrat atteints"

    def declared(self, rng, k):
        if self.type in (ValueType.COUNT, ValueType.PERCENTAGE):
            return _quantized(self.type, (self.base + self.step * k) * rng.uniform(0.85, 1.12)), ""
        if self.type == ValueType.BOOLEAN:
            target, _text = self.target(k)
            yes = rng.random() < (0.85 if target else 0.2)
            return (Decimal(1), "oui") if yes else (Decimal(0), "non")
        if self.type == ValueType.SCALE:
            target, _text = self.target(k)
            rank = min(len(self.levels), max(1, int(target) + rng.choice([-1, 0, 0, 0, 1])))
            return Decimal(rank), self.levels[rank - 1]
        return None, rng.choice([
            "Les réunions de suivi se sont tenues comme prévu.",
            "Mise en œuvre retardée par le recrutement ; rattrapage prévu l’an prochain.",
            "Objectifs de l’année atteints ; l’organisation commune fonctionne.",
        ])  # fmt: skip


# --- Generation -----------------------------------------------------------------------------


class Generator:
    def __init__(self, factor, seed, password, today, log):
        self.factor = factor
        self.seed = seed
        self.password = password
        self.today = today
        self.last_year = today.year - 1
        self.log = log
        self.sizes = Sizes.for_factor(factor)
        self.counts = defaultdict(int)

    def run(self) -> ScaleReport:
        started = time.perf_counter()
        report = ScaleReport(self.factor, self.seed, self.sizes, self.password)
        rng = random.Random(f"{self.seed}:plan")  # nosec B311 - reproducible fictitious data, no secret
        entities = _eligible_entities()
        self.plans = plan_cpoms(rng, self.sizes, entities, self.last_year)
        self.entity_names = {e.pk: e.name for e in entities}
        ght_ids = {e.ght_id for e in entities if e.ght_id}
        self.vehicle_names = {s.pk: str(s) for s in CooperationStructure.objects.filter(pk__in=ght_ids)}
        self.entities = {
            e.pk: e
            for e in LegalEntity.objects.filter(pk__in={p.entity.pk for p in self.plans}).only("pk", "name", "finess")
        }
        regions = sorted({p.entity.region_id for p in self.plans})
        self.partners_by_region = defaultdict(list)
        for entity in entities:
            self.partners_by_region[entity.region_id].append(entity.pk)
        owners = sorted({p.entity.pk: p.entity for p in self.plans}.values(), key=lambda e: e.finess)
        self.users = _make_users(regions, owners, self.password)
        report.negotiators = {
            code: [f"{SCALE_USERNAME_PREFIX}negociateur-{code}-{k}" for k in range(1, NEGOTIATORS_PER_REGION + 1)]
            for code in regions
        }
        report.observers = {code: f"{SCALE_USERNAME_PREFIX}observateur-{code}" for code in regions}
        report.directors = len(owners)
        self.counts["utilisateurs"] = len(self.users)
        self.campaigns, self.counts["campagnes"] = _make_campaigns(self.plans, self.users, self.last_year, self.today)
        self.phases = {key: CampaignPhase(c.phase(self.today)) for key, c in self.campaigns.items()}
        self.declarative, self.automatable = _definitions()
        self.writer = RowWriter()
        self.log(f"plan : {len(self.plans)} CPOM, {len(regions)} régions, {len(self.users)} utilisateurs, "
                 f"{self.counts['campagnes']} campagnes ({time.perf_counter() - started:.1f} s)")  # fmt: skip
        for start in range(0, len(self.plans), CPOM_CHUNK):
            self._chunk(self.plans[start : start + CPOM_CHUNK])
            done = min(start + CPOM_CHUNK, len(self.plans))
            if done % (CPOM_CHUNK * 5) == 0 or done == len(self.plans):
                self.log(f"  {done} / {len(self.plans)} CPOM, {self.counts['déclarations']} déclarations "
                         f"({time.perf_counter() - started:.1f} s)")  # fmt: skip
        report.counts = dict(self.counts)
        report.seconds = time.perf_counter() - started
        return report

    def _negotiator(self, plan, k=1):
        return self.users[f"{SCALE_USERNAME_PREFIX}negociateur-{plan.entity.region_id}-{k}"]

    def _chunk(self, plans):
        now = timezone.now()
        rngs = {plan.index: random.Random(f"{self.seed}:cpom:{plan.index}") for plan in plans}  # nosec B311
        cpoms = []
        for plan in plans:
            cpoms.append(
                Cpom(
                    legal_entity=self.entities[plan.entity.pk],
                    region_id=plan.entity.region_id,
                    reference=plan.reference,
                    first_year=plan.first_year,
                    last_year=plan.last_year,
                    status=plan.status,
                    concertation_round=0 if plan.status == CpomStatus.PREPARATION and not plan.signed_on else 1,
                    shared_with_director=plan.signed_on is not None or plan.status != CpomStatus.PREPARATION,
                    signed_on=plan.signed_on,
                    created_by=self._negotiator(plan),
                )
            )
        Cpom.objects.bulk_create(cpoms, batch_size=BATCH)
        self._author_of_content = {cpom.pk: cpom.created_by_id for cpom in cpoms}
        self.writer.history(Cpom, cpoms, lambda c: c.created_by_id, now)
        self.counts["CPOM"] += len(cpoms)
        tree = self._content(plans, cpoms, rngs, now)
        self._versions_and_threads(plans, cpoms, tree, now)
        self._follow_up(plans, cpoms, tree, rngs, now)

    def _content(self, plans, cpoms, rngs, now):
        """Commitments, partners, indicators and targets of the chunk's CPOMs;
        returns {CPOM index: [(commitment, partners, [(indicator, ValuePlan, targets)])]}."""
        commitments, partners, indicators = [], [], []
        tree = {}
        for plan, cpom in zip(plans, cpoms, strict=True):
            rng = rngs[plan.index]
            nego = self._negotiator(plan)
            years = list(range(plan.first_year, plan.last_year + 1))
            tree[plan.index] = branch = []
            for position in range(1, plan.commitment_count + 1):
                kind = rng.choice(list(COMMITMENTS))
                theme, titles = COMMITMENTS[kind]
                title = rng.choice(titles)
                commitment = Commitment(
                    cpom=cpom,
                    position=position,
                    title=title,
                    action_kind=kind,
                    theme=theme,
                    objective=f"{title} : objectif commun des partenaires sur {plan.first_year}–{plan.last_year}.",
                    benefits="Accès aux soins de proximité ; ressources médicales mieux employées.",
                    vehicle_id=plan.entity.ght_id if plan.entity.ght_id and rng.random() < 0.6 else None,
                    start_date=datetime.date(plan.first_year, rng.randint(1, 12), 1),
                    deadline=datetime.date(plan.last_year, 12, 31),
                    status=self._commitment_status(rng, plan),
                    updated_by=nego,
                )
                commitments.append(commitment)
                own_partners = self._partners(rng, plan, commitment)
                partners += own_partners
                leaves = []
                branch.append((commitment, own_partners, leaves))
                for k in range(1, plan.indicator_counts[position - 1] + 1):
                    automatable = self.automatable and rng.random() < AUTOMATABLE_SHARE
                    fields, template_id = rng.choice(self.automatable if automatable else self.declarative)
                    values = ValuePlan(rng, fields, years)
                    baseline, baseline_text = values.baseline()
                    indicator = Indicator(
                        commitment=commitment,
                        template_id=template_id,
                        position=k,
                        baseline_value=baseline,
                        baseline_text=baseline_text,
                        baseline_year=plan.first_year - 1,
                        **fields,
                    )
                    indicators.append(indicator)
                    targets = [(year, *values.target(j)) for j, year in enumerate(years, start=1)]
                    leaves.append((indicator, values, targets))
        # bulk_create sets each foreign key from its parent, saved just before.
        Commitment.objects.bulk_create(commitments, batch_size=BATCH)
        CommitmentPartner.objects.bulk_create(partners, batch_size=BATCH)
        Indicator.objects.bulk_create(indicators, batch_size=BATCH)
        author = self._author_of_content
        self.writer.history(Commitment, commitments, lambda c: c.updated_by_id, now)
        self.writer.history(CommitmentPartner, partners, lambda p: author[p.commitment.cpom_id], now)
        self.writer.history(Indicator, indicators, lambda i: author[i.commitment.cpom_id], now)
        rows = [
            (indicator.pk, year, number, text)
            for branch in tree.values()
            for _commitment, _partners, leaves in branch
            for indicator, _values, targets in leaves
            for year, number, text in targets
        ]
        ids = self.writer.reserve(TargetValue, len(rows))
        self.writer.insert(TargetValue, ["id", "indicator_id", "year", "value", "text"],
                           [(pk, *row) for pk, row in zip(ids, rows, strict=True)])  # fmt: skip
        by_indicator = {i.pk: i for i in indicators}
        self.writer.history(
            TargetValue,
            [
                {"id": pk, "indicator_id": row[0], "year": row[1], "value": row[2], "text": row[3]}
                for pk, row in zip(ids, rows, strict=True)
            ],  # fmt: skip
            lambda t: author[by_indicator[t["indicator_id"]].commitment.cpom_id],
            now,
        )
        self.counts["engagements"] += len(commitments)
        self.counts["partenaires"] += len(partners)
        self.counts["indicateurs"] += len(indicators)
        self.counts["valeurs-cibles"] += len(rows)
        return tree

    def _commitment_status(self, rng, plan):
        if plan.generation == "next":
            return CommitmentStatus.PLANNED
        if plan.generation == "previous":
            return _weighted(rng, [(CommitmentStatus.DONE, 85), (CommitmentStatus.ABANDONED, 15)])
        return _weighted(rng, [(CommitmentStatus.IN_PROGRESS, 60), (CommitmentStatus.DONE, 30),
                               (CommitmentStatus.PLANNED, 7), (CommitmentStatus.ABANDONED, 3)])  # fmt: skip

    def _partners(self, rng, plan, commitment):
        """One or two entities of the région, sometimes an actor outside the register."""
        partners = []
        candidates = self.partners_by_region[plan.entity.region_id]
        chosen = set()
        for _ in range(rng.randint(1, 2)):
            other = rng.choice(candidates)
            if other != plan.entity.pk and other not in chosen:
                chosen.add(other)
                partners.append(CommitmentPartner(commitment=commitment, legal_entity_id=other))
        if rng.random() < 0.4 or not partners:
            name, kind = rng.choice(EXTERNAL_PARTNERS)
            partners.append(CommitmentPartner(commitment=commitment, external_name=name, external_kind=kind))
        return partners

    def _versions_and_threads(self, plans, cpoms, tree, now):
        """The versions, signed ones with their content as ``services.sign``
        keeps it; the message that opened a concertation."""
        versions, comments = [], []
        for plan, cpom in zip(plans, cpoms, strict=True):
            nego = self._negotiator(plan)
            if plan.signed_on is None:
                versions.append(CpomVersion(cpom=cpom, number=0, opened_by=nego))
                if plan.status != CpomStatus.PREPARATION:
                    comments.append(Comment(cpom=cpom, author=nego, concertation_round=1,
                                            body="Voici le projet de volet 3. Merci de nous faire part de vos remarques."))  # fmt: skip
                continue
            signed = self._snapshot(cpom, tree[plan.index])
            initial = CpomVersion(cpom=cpom, number=0, opened_by=nego, signed_on=plan.signed_on, signed_by=nego,
                                  content=signed)  # fmt: skip
            versions.append(initial)
            if plan.amendment:
                amendment = CpomVersion(cpom=cpom, number=1, opened_by=nego,
                                        reason="Révision des cibles après le bilan à mi-parcours.")  # fmt: skip
                if plan.amendment == "signed":
                    amendment.signed_on = datetime.date(plan.first_year + 2, 6, 30)
                    amendment.signed_by = nego
                    amendment.content = signed
                    initial.content = _before_amendment(signed, plan.first_year + 2)
                versions.append(amendment)
        CpomVersion.objects.bulk_create(versions, batch_size=BATCH)
        self.writer.history(CpomVersion, versions, lambda v: v.opened_by_id, now)
        Comment.objects.bulk_create(comments, batch_size=BATCH)
        self.writer.history(Comment, comments, lambda c: c.author_id, now)
        self.counts["versions"] += len(versions)

    def _snapshot(self, cpom, branch):
        """``versions.snapshot(cpom)`` built from the objects in memory, not
        read back (the tests check both agree)."""
        commitments = []
        for commitment, partners, leaves in branch:
            indicators = []
            for indicator, _values, targets in leaves:
                values = {
                    "label": indicator.label,
                    "kind": _label(Indicator, "kind", indicator.kind),
                    "value_type": _label(Indicator, "value_type", indicator.value_type),
                    "unit": indicator.unit,
                    "direction": _label(Indicator, "direction", indicator.direction),
                    "baseline": indicator.baseline_display,
                    "baseline_year": str(indicator.baseline_year or ""),
                    "source": indicator.data_source,
                    "computation": _label(Indicator, "computation", indicator.computation)
                    if indicator.computation
                    else "",
                }
                fields = {str(INDICATOR_LABELS[key]): value for key, value in values.items()}
                for year, number, text in targets:
                    fields[target_label(year)] = format_value(indicator.value_type, number, text, indicator.unit)
                indicators.append({"id": indicator.pk, "label": indicator.label, "fields": fields})
            names = [
                self.entity_names[p.legal_entity_id]
                if p.legal_entity_id
                else f"{p.external_name} ({_label(CommitmentPartner, 'external_kind', p.external_kind)})"
                for p in partners
            ]
            values = {
                "title": commitment.title,
                "action_kind": _label(Commitment, "action_kind", commitment.action_kind),
                "theme": _label(Commitment, "theme", commitment.theme),
                "objective": commitment.objective,
                "benefits": commitment.benefits,
                "partners": " ; ".join(names),
                "vehicle": self.vehicle_names.get(commitment.vehicle_id, ""),
                "start_date": format_date(commitment.start_date),
                "deadline": format_date(commitment.deadline),
                "status": _label(Commitment, "status", commitment.status),
            }
            commitments.append(
                {
                    "id": commitment.pk,
                    "title": commitment.title,
                    "fields": {str(COMMITMENT_LABELS[key]): value for key, value in values.items()},
                    "indicators": indicators,
                }
            )
        return {
            "entity": cpom.legal_entity.name,
            "finess": cpom.legal_entity.finess,
            "period": cpom.period,
            "reference": cpom.reference,
            "commitments": commitments,
        }

    def _follow_up(self, plans, cpoms, tree, rngs, now):
        """The campaigns follow the chunk's signed CPOMs; the declarations of
        the due values, and the status changes of each."""
        through = Campaign.cpoms.through
        links, declarations, events = [], [], []
        for plan, cpom in zip(plans, cpoms, strict=True):
            if plan.signed_on is None:
                continue
            rng = rngs[plan.index]
            director = self.users[f"{SCALE_USERNAME_PREFIX}directeur-{plan.entity.finess}"].pk
            nego = self._negotiator(plan, 1 + plan.index % NEGOTIATORS_PER_REGION).pk
            due = [
                (indicator, values)
                for _commitment, _partners, leaves in tree[plan.index]
                for indicator, values, _targets in leaves
                if indicator.kind == IndicatorKind.DECLARATIVE
            ]
            for k, year in enumerate(range(plan.first_year, plan.last_year + 1), start=1):
                campaign = self.campaigns.get((plan.entity.region_id, year))
                if campaign is None:
                    continue
                links.append(through(campaign_id=campaign.pk, cpom_id=cpom.pk))
                phase = self.phases[plan.entity.region_id, year]
                if phase == CampaignPhase.UPCOMING:
                    continue
                for indicator, values in due:
                    path = _weighted(rng, OUTCOMES[phase])
                    if path is None:
                        continue
                    number, text = values.declared(rng, k)
                    moments = self._moments(rng, campaign, path, director, nego)
                    submitted = [at for _p, status, _u, at, _r in moments if status == DeclarationStatus.SUBMITTED]
                    decided = [at for _p, status, _u, at, _r in moments if status in (V, B)]
                    comment = "Valeur issue du tableau de bord de la coopération." if rng.random() < 0.1 else ""
                    declarations.append([
                        None, indicator.pk, campaign.pk, year, number, text, comment, "", "", path[-1],
                        submitted[-1] if submitted else None, decided[-1] if decided else None, now, moments[-1][2],
                    ])  # fmt: skip
                    events.append(moments)
        through.objects.bulk_create(links, batch_size=BATCH, ignore_conflicts=True)
        ids = self.writer.reserve(Declaration, len(declarations))
        for pk, row in zip(ids, declarations, strict=True):
            row[0] = pk
        self.writer.insert(Declaration, DECLARATION_COLUMNS, declarations)
        rows = [(pk, *moment) for pk, moments in zip(ids, events, strict=True) for moment in moments]
        self.writer.insert(DeclarationEvent, EVENT_COLUMNS, rows)
        self.counts["déclarations"] += len(declarations)
        self.counts["changements de statut"] += len(rows)

    def _moments(self, rng, campaign, path, director, nego):
        """The status changes along ``path``: (previous, status, user id, at,
        reason), within the campaign's windows and never after today."""
        start = datetime.datetime.combine(campaign.opens_on, datetime.time(8, 0))
        end_day = min(campaign.corrections_until, self.today)
        span = max(1, (end_day - campaign.opens_on).days) * 86400 - 9 * 3600  # before 23:00 the day before the end
        moments = []
        previous = ""
        for status, offset in zip(path, sorted(rng.randrange(0, span) for _ in path), strict=True):
            user = nego if status in (V, B) else director
            at = timezone.make_aware(start + datetime.timedelta(seconds=offset))
            moments.append((previous, status, user, at, SEND_BACK_REASON if status == B else ""))
            previous = status
        return moments


def _before_amendment(content, year):
    """The initial contract's content: the amendment raised one target of
    ``year`` (the first one found); before, it was the previous year's."""
    before = copy.deepcopy(content)
    label, previous = target_label(year), target_label(year - 1)
    for commitment in before["commitments"]:
        for indicator in commitment["indicators"]:
            fields = indicator["fields"]
            if fields.get(previous) and fields.get(label) != fields[previous]:
                fields[label] = fields[previous]
                return before
    return before


# --- Public functions -----------------------------------------------------------------------


def remove_scale_data(log=print) -> dict:
    """Remove everything a previous generation created, children first. Rows
    are deleted in bulk, without signals: the history of generated objects
    goes with them (their historical rows are removed too)."""
    started = time.perf_counter()
    removed = {}

    tables = set(connection.introspection.table_names())

    def wipe(label, queryset):
        removed[label] = removed.get(label, 0) + queryset._raw_delete(queryset.db)

    def wipe_history(model, queryset):
        history = getattr(model, "history", None)
        if history is not None and history.model._meta.db_table in tables:
            wipe("historique", history.model.objects.filter(id__in=queryset.values("pk")))

    cpoms = Cpom.objects.filter(reference__startswith=SCALE_REFERENCE_PREFIX)
    # What a benchmark adds on the generated set (bench_pages: a diagnostic, a yearly review), with the ORM.
    removed["revues"] = AnnualReview.objects.filter(cpom__in=cpoms).delete()[0]
    removed["diagnostics"] = Diagnostic.objects.filter(created_by__username__startswith=SCALE_USERNAME_PREFIX).delete()[
        0
    ]
    commitments = Commitment.objects.filter(cpom__in=cpoms)
    indicators = Indicator.objects.filter(commitment__in=commitments)
    declarations = Declaration.objects.filter(indicator__in=indicators)
    campaigns = Campaign.objects.filter(created_by__username__startswith=SCALE_USERNAME_PREFIX)
    wipe("changements de statut", DeclarationEvent.objects.filter(declaration__in=declarations))
    notes = DeclarationNote.objects.filter(declaration__in=declarations)
    wipe_history(DeclarationNote, notes)
    wipe("notes", notes)
    wipe_history(Declaration, declarations)
    wipe("déclarations", declarations)
    wipe("valeurs calculées", ComputedValue.objects.filter(indicator__in=indicators))
    targets = TargetValue.objects.filter(indicator__in=indicators)
    wipe_history(TargetValue, targets)
    wipe("valeurs-cibles", targets)
    wipe_history(Indicator, indicators)
    wipe("indicateurs", indicators)
    partners = CommitmentPartner.objects.filter(commitment__in=commitments)
    wipe_history(CommitmentPartner, partners)
    wipe("partenaires", partners)
    proposals = ChangeProposal.objects.filter(commitment__in=commitments)
    wipe_history(ChangeProposal, proposals)
    wipe("propositions", proposals)
    Commitment.diagnostic_axes.rel.related_model.objects.filter(commitment__in=commitments).update(commitment=None)
    comments = Comment.objects.filter(cpom__in=cpoms)
    wipe_history(Comment, comments)
    wipe("messages", comments)
    wipe_history(Commitment, commitments)
    wipe("engagements", commitments)
    annex_files = Cpom.annex_files.rel.related_model.objects.filter(cpom__in=cpoms)
    wipe("annexes", annex_files)
    versions = CpomVersion.objects.filter(cpom__in=cpoms)
    wipe_history(CpomVersion, versions)
    wipe("versions", versions)
    through = Campaign.cpoms.through
    wipe("CPOM suivis", through.objects.filter(cpom__in=cpoms))
    wipe("CPOM suivis", through.objects.filter(campaign__in=campaigns))
    if Declaration.objects.filter(campaign__in=campaigns).exists():
        raise RuntimeError("Des déclarations étrangères au jeu généré sont rattachées à ses campagnes.")
    wipe_history(Campaign, campaigns)
    wipe("campagnes", campaigns)
    wipe_history(Cpom, cpoms)
    wipe("CPOM", cpoms)
    removed["utilisateurs"] = (
        User.objects.filter(username__startswith=SCALE_USERNAME_PREFIX).delete()[1].get(User._meta.label, 0)
    )
    removed = {label: n for label, n in removed.items() if n}
    if removed:
        log(f"jeu précédent supprimé en {time.perf_counter() - started:.1f} s : "
            + ", ".join(f"{n} {label}" for label, n in removed.items()))  # fmt: skip
    forget_template_means()
    return removed


def generate_scale_data(factor=1.0, seed=DEFAULT_SEED, password=DEFAULT_PASSWORD, today=None, log=print):
    """Replace the generated data set by a new one of that size. All or nothing."""
    today = today or timezone.localdate()
    with transaction.atomic():
        remove_scale_data(log)
        report = Generator(factor, seed, password, today, log).run()
        # Written without the ORM's signals: the peer means of the templates are grouped again.
        forget_template_means()
    _analyze()
    return report


# What a generation writes to: the planner's statistics of these tables are refreshed after it.
WRITTEN = [User, Campaign, Cpom, CpomVersion, Comment, Commitment, CommitmentPartner, Indicator, TargetValue,
           Declaration, DeclarationEvent]  # fmt: skip


def _analyze():
    """Refresh the planner's statistics, as after any bulk load: on
    PostgreSQL a table filled in one go is otherwise planned as if empty
    until autovacuum passes (sequential scans where an index serves)."""
    if connection.vendor != "postgresql":
        return
    tables = [Campaign.cpoms.through._meta.db_table]
    for model in WRITTEN:
        tables.append(model._meta.db_table)
        history = getattr(model, "history", None)
        if history is not None:
            tables.append(history.model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))  # nosec B608 - names from the models


def scale_fingerprint() -> str:
    """A digest of the generated data by natural keys (references, FINESS,
    positions, years, values, statuses; never database ids or clock times):
    equal for two generations with the same seed on the same day."""
    digest = hashlib.sha256()
    prefix = SCALE_REFERENCE_PREFIX
    queries = [
        User.objects.filter(username__startswith=SCALE_USERNAME_PREFIX)
        .order_by("username")
        .values_list("username", "role", "region_id", "entity_memberships__legal_entity__finess"),
        Cpom.objects.filter(reference__startswith=prefix)
        .order_by("reference")
        .values_list("reference", "legal_entity__finess", "first_year", "last_year", "status", "signed_on"),
        Commitment.objects.filter(cpom__reference__startswith=prefix)
        .order_by("cpom__reference", "position")
        .values_list("cpom__reference", "position", "title", "action_kind", "status", "vehicle__code"),
        CommitmentPartner.objects.filter(commitment__cpom__reference__startswith=prefix)
        .order_by("commitment__cpom__reference", "commitment__position", "legal_entity__finess", "external_name")
        .values_list("commitment__cpom__reference", "commitment__position", "legal_entity__finess", "external_name"),
        TargetValue.objects.filter(indicator__commitment__cpom__reference__startswith=prefix)
        .order_by(
            "indicator__commitment__cpom__reference", "indicator__commitment__position", "indicator__position", "year"
        )  # fmt: skip
        .values_list(
            "indicator__commitment__cpom__reference",
            "indicator__commitment__position",
            "indicator__position",
            "indicator__label",
            "year",
            "value",
            "text",
        ),  # fmt: skip
        Declaration.objects.filter(indicator__commitment__cpom__reference__startswith=prefix)
        .order_by(
            "indicator__commitment__cpom__reference", "indicator__commitment__position", "indicator__position", "year"
        )  # fmt: skip
        .values_list(
            "indicator__commitment__cpom__reference",
            "indicator__commitment__position",
            "indicator__position",
            "year",
            "campaign__region_id",
            "status",
            "value",
            "text",
        ),  # fmt: skip
    ]
    for query in queries:
        for row in query.iterator(chunk_size=5000):
            digest.update(repr(row).encode())
    return digest.hexdigest()
