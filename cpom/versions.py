"""What was signed, what changed between two signed versions, and the
history of every change to a CPOM's content.

A signed version keeps its content as the reader saw it (labels, formatted
values), so that a diff reads « before → after » without the code of the
day having to interpret old data. The change history comes from
django-simple-history, read in a constant number of queries per CPOM."""

import hashlib
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Prefetch
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from cooperations.models import CooperationStructure, LegalEntity
from cpom.models import Commitment, CommitmentPartner, Cpom, Indicator, TargetValue

# The labels a signed version's content is keyed by: the snapshot writes
# them, the diff compares them, the annex reads them.
COMMITMENT_LABELS = {
    "title": gettext_lazy("Intitulé"),
    "action_kind": gettext_lazy("Type d’action"),
    "theme": gettext_lazy("Thème"),
    "objective": gettext_lazy("Objectif"),
    "benefits": gettext_lazy("Bénéfices attendus"),
    "partners": gettext_lazy("Partenaires"),
    "vehicle": gettext_lazy("Support juridique"),
    "start_date": gettext_lazy("Date de début"),
    "deadline": gettext_lazy("Échéance"),
    "status": gettext_lazy("État d’avancement"),
}
INDICATOR_LABELS = {
    "label": gettext_lazy("Libellé"),
    "kind": gettext_lazy("Nature"),
    "value_type": gettext_lazy("Type de valeur"),
    "unit": gettext_lazy("Unité"),
    "direction": gettext_lazy("Sens d’amélioration"),
    "baseline": gettext_lazy("Valeur de référence"),
    "baseline_year": gettext_lazy("Année de référence"),
    "source": gettext_lazy("Source des données"),
    "computation": gettext_lazy("Calcul automatique"),
}


def target_label(year):
    return _("Cible %(year)s") % {"year": year}


def format_date(value):
    return value.strftime("%d/%m/%Y") if value else ""


def capitalized(text):
    """A verbose name as a label: first letter up, the rest as written (« ARS » stays)."""
    text = str(text)
    return text[:1].upper() + text[1:]


def commitments_with_content(cpom, pk=None):
    """The commitments of a CPOM (or only the one ``pk``) with partners,
    vehicle, indicators and targets, in a constant number of queries."""
    partners = CommitmentPartner.objects.select_related("legal_entity", "structure").order_by("pk")
    commitments = cpom.commitments.all() if pk is None else cpom.commitments.filter(pk=pk)
    return list(
        commitments.select_related("vehicle")
        .prefetch_related(
            Prefetch("partners", queryset=partners),
            Prefetch("indicators", queryset=Indicator.objects.order_by("position", "pk")),
            "indicators__targets",
        )
        .order_by("position", "pk")
    )


def snapshot(cpom) -> dict:
    """The content of a CPOM as a reader sees it, for a signed version."""
    commitments = []
    for commitment in commitments_with_content(cpom):
        indicators = []
        for indicator in commitment.indicators.all():
            values = {
                "label": indicator.label,
                "kind": indicator.get_kind_display(),
                "value_type": indicator.get_value_type_display(),
                "unit": indicator.unit,
                "direction": indicator.get_direction_display(),
                "baseline": indicator.baseline_display,
                "baseline_year": str(indicator.baseline_year or ""),
                "source": indicator.data_source,
                "computation": indicator.get_computation_display() if indicator.computation else "",
            }
            fields = {str(INDICATOR_LABELS[key]): value for key, value in values.items()}
            for target in indicator.targets.all():
                target.indicator = indicator
                fields[target_label(target.year)] = target.display
            indicators.append({"id": indicator.pk, "label": indicator.label, "fields": fields})
        commitments.append(
            {
                "id": commitment.pk,
                "title": commitment.title,
                "fields": {
                    str(COMMITMENT_LABELS[key]): value
                    for key, value in {
                        "title": commitment.title,
                        "action_kind": commitment.get_action_kind_display(),
                        "theme": commitment.get_theme_display(),
                        "objective": commitment.objective,
                        "benefits": commitment.benefits,
                        "partners": " ; ".join(p.contract_name for p in commitment.partners.all()),
                        "vehicle": str(commitment.vehicle) if commitment.vehicle else "",
                        "start_date": format_date(commitment.start_date),
                        "deadline": format_date(commitment.deadline),
                        "status": commitment.get_status_display(),
                    }.items()
                },
                "indicators": indicators,
            }
        )
    return {
        "entity": cpom.legal_entity.contract_name,
        "finess": cpom.legal_entity.finess,
        "period": cpom.period,
        "reference": cpom.reference,
        "commitments": commitments,
    }


def _field_changes(old, new):
    keys = list(old) + [k for k in new if k not in old]
    return [(k, old.get(k, ""), new.get(k, "")) for k in keys if old.get(k, "") != new.get(k, "")]


def diff_snapshots(old: dict, new: dict) -> list[dict]:
    """What an amendment changed: commitments and indicators added, removed
    or modified, each modified field with its value before and after."""
    changes = []
    old_by_id = {c["id"]: c for c in old.get("commitments", [])}
    new_ids = {c["id"] for c in new.get("commitments", [])}
    for item in new.get("commitments", []):
        before = old_by_id.get(item["id"])
        what = _("Engagement « %(title)s »") % {"title": item["title"]}
        if before is None:
            changes.append({"action": "added", "what": what, "fields": _field_changes({}, item["fields"])})
            for indicator in item["indicators"]:
                changes.append(_indicator_change("added", indicator, item, _field_changes({}, indicator["fields"])))
            continue
        fields = _field_changes(before["fields"], item["fields"])
        if fields:
            changes.append({"action": "modified", "what": what, "fields": fields})
        old_indicators = {i["id"]: i for i in before["indicators"]}
        new_indicator_ids = {i["id"] for i in item["indicators"]}
        for indicator in item["indicators"]:
            previous = old_indicators.get(indicator["id"])
            if previous is None:
                changes.append(_indicator_change("added", indicator, item, _field_changes({}, indicator["fields"])))
            else:
                fields = _field_changes(previous["fields"], indicator["fields"])
                if fields:
                    changes.append(_indicator_change("modified", indicator, item, fields))
        for indicator_id, indicator in old_indicators.items():
            if indicator_id not in new_indicator_ids:
                changes.append(_indicator_change("removed", indicator, item, []))
    for commitment_id, item in old_by_id.items():
        if commitment_id not in new_ids:
            changes.append(
                {"action": "removed", "what": _("Engagement « %(title)s »") % {"title": item["title"]}, "fields": []}
            )
    return changes


def _indicator_change(action, indicator, commitment, fields):
    what = _("Indicateur « %(label)s » (engagement « %(title)s »)") % {
        "label": indicator["label"],
        "title": commitment["title"],
    }
    return {"action": action, "what": what, "fields": fields}


def version_diffs(versions):
    """For each signed version, what it changed from the signed one before."""
    previous = None
    rows = []
    for version in versions:
        if not version.is_signed:
            rows.append({"version": version, "changes": None})
            continue
        changes = diff_snapshots(previous.content, version.content) if previous is not None else None
        rows.append({"version": version, "changes": changes})
        previous = version
    return rows


# --- Change history ------------------------------------------------------------------------

ACTIONS = {"+": _("création"), "~": _("modification"), "-": _("suppression")}
SKIPPED_FIELDS = {"id", "history_id", "history_date", "history_change_reason", "history_type", "history_user",
                  "history_user_id", "version", "updated_at", "created_at", "position", "template",
                  "created_by", "region", "updated_by"}  # fmt: skip


def _tracked_fields(model):
    return [f for f in model._meta.fields if f.name not in SKIPPED_FIELDS and f.attname not in SKIPPED_FIELDS]


def _display(record, field, names):
    value = getattr(record, field.attname)
    if value in (None, ""):
        return ""
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation:
        return names.get((field.related_model, value), f"n° {value}")
    if hasattr(value, "strftime"):
        return format_date(value)
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f").replace(".", ",")
    return str(value)


def cpom_history(cpom: Cpom, limit=None) -> list[dict]:
    """Every change to the CPOM, its commitments, partners, indicators and
    targets, newest first: who, when, what, and each field before → after.

    With ``limit`` (the CPOM page shows ten), only the latest records of each
    kind are read, with every record of the objects they belong to (for the
    « before »); when that cannot prove the entries are the latest ones (a
    kind read to its cut holds a record newer than the last entry), the whole
    history is read instead, so that both paths give the same entries.

    The limited entries are kept in the cache under the latest records of each
    kind (any change to the content adds one, so a change is a new key), for
    HISTORY_CACHE_SECONDS at most: the names of entities and structures they
    show are read again at least that often. Their authors are read from the
    database at each display (the cache holds their ids only)."""
    if not limit:
        return _history_entries(cpom, limit)[0]
    recent = HISTORY_READ_AHEAD * limit
    sources = _history_sources(cpom)
    latest = _latest_records(sources[1], recent)
    key = _history_cache_key(cpom.pk, limit, latest)
    kept = cache.get(key)
    if kept is not None:
        return _with_authors(kept)
    entries, exact = _history_entries(cpom, limit, recent=recent, sources=sources, latest=latest)
    if not exact:
        entries = _history_entries(cpom, limit, recent=None, sources=sources)[0]
    cache.set(key, _without_authors(entries), HISTORY_CACHE_SECONDS)
    return entries


HISTORY_READ_AHEAD = 3  # records of each kind read per entry shown, on the limited path
HISTORY_CACHE_SECONDS = 300


def _history_cache_key(cpom_id, limit, latest):
    state = repr((get_language(), limit, sorted((kind, rows) for kind, rows in latest.items())))
    return f"cpom-history:1:{cpom_id}:{hashlib.sha256(state.encode()).hexdigest()}"


def _without_authors(entries):
    return [{**entry, "who": entry["who"].pk if entry["who"] else None} for entry in entries]


def _with_authors(kept):
    authors = get_user_model().objects.in_bulk({entry["who"] for entry in kept if entry["who"]})
    return [{**entry, "who": authors.get(entry["who"])} for entry in kept]


def _history_sources(cpom):
    """The ids of the CPOM's commitments (ever) and the historical records' querysets of each kind."""
    commitment_ids = set(Commitment.history.filter(cpom_id=cpom.pk).order_by().values_list("id", flat=True).distinct())
    querysets = {
        "cpom": Cpom.history.filter(id=cpom.pk),
        "commitment": Commitment.history.filter(cpom_id=cpom.pk),
        "partner": CommitmentPartner.history.filter(commitment_id__in=commitment_ids),
        "indicator": Indicator.history.filter(commitment_id__in=commitment_ids),
    }
    indicator_ids = set(querysets["indicator"].order_by().values_list("id", flat=True).distinct())
    querysets["target"] = TargetValue.history.filter(indicator_id__in=indicator_ids)
    return commitment_ids, querysets


def _latest_records(querysets, recent):
    """(object id, date, record id) of the ``recent`` latest records of each kind, newest first."""
    return {
        kind: list(qs.order_by("-history_date", "-history_id").values_list("id", "history_date", "history_id")[:recent])
        for kind, qs in querysets.items()
    }


def _history_entries(cpom, limit, recent=None, sources=None, latest=None):
    commitment_ids, querysets = sources or _history_sources(cpom)
    if recent is not None and latest is None:
        latest = _latest_records(querysets, recent)
    records, cuts = {}, {}
    for kind, qs in querysets.items():
        qs = qs.select_related("history_user")
        if recent is None:
            records[kind] = list(qs)
            continue
        rows = latest[kind]
        if len(rows) == recent:  # read to its cut: older records of other objects were left out
            cuts[kind] = rows[-1][1:]
        records[kind] = list(qs.filter(id__in={row[0] for row in rows})) if rows else []
    # The names the labels read: the latest title of each commitment and label of each indicator.
    commitment_titles = dict(
        Commitment.history.filter(id__in=commitment_ids)
        .order_by("history_date", "history_id")
        .values_list("id", "title")
    )
    wanted = {r.indicator_id for r in records["target"]} | {r.id for r in records["indicator"]}
    indicator_labels = dict(
        Indicator.history.filter(id__in=wanted).order_by("history_date", "history_id").values_list("id", "label")
    )
    names = {}
    entity_ids = {r.legal_entity_id for r in records["partner"] if r.legal_entity_id}
    entity_ids |= {r.legal_entity_id for r in records["cpom"]}
    structure_ids = {r.structure_id for r in records["partner"] if r.structure_id}
    structure_ids |= {r.vehicle_id for r in records["commitment"] if r.vehicle_id}
    for entity in LegalEntity.objects.filter(pk__in=entity_ids).only("name"):
        names[(LegalEntity, entity.pk)] = entity.name
    for structure in CooperationStructure.objects.filter(pk__in=structure_ids):
        names[(CooperationStructure, structure.pk)] = str(structure)

    def label(kind, record):
        if kind == "cpom":
            return _("CPOM")
        if kind == "commitment":
            return _("Engagement « %(t)s »") % {"t": record.title}
        if kind == "partner":
            title = commitment_titles.get(record.commitment_id, "")
            return _("Partenaire de « %(t)s »") % {"t": title}
        if kind == "indicator":
            return _("Indicateur « %(l)s »") % {"l": record.label}
        return _("Valeur-cible %(y)s de « %(l)s »") % {
            "y": record.year,
            "l": indicator_labels.get(record.indicator_id, ""),
        }

    # Each record with the one before it of the same object, newest first; the
    # changes are worked out only for the entries returned (the CPOM page shows ten).
    steps = []
    for kind, rows in records.items():
        if not rows:
            continue
        fields = [(field, capitalized(field.verbose_name)) for field in _tracked_fields(type(rows[0]))]
        by_object = defaultdict(list)
        for record in rows:
            by_object[record.id].append(record)
        for object_records in by_object.values():
            object_records.sort(key=lambda r: (r.history_date, r.history_id))
            previous = None
            for record in object_records:
                steps.append((record, previous, kind, fields))
                previous = record
    steps.sort(key=lambda step: (step[0].history_date, step[0].history_id), reverse=True)
    entries = []
    for record, previous, kind, fields in steps:
        changes = []
        if record.history_type == "~" and previous is not None:
            for field, name in fields:
                before, after = _display(previous, field, names), _display(record, field, names)
                if before != after:
                    changes.append((name, before, after))
            if not changes:
                continue
        elif record.history_type == "+":
            for field, name in fields:
                after = _display(record, field, names)
                if after and field.name not in ("cpom", "commitment", "indicator"):
                    changes.append((name, "", after))
        entries.append(
            {
                "when": record.history_date,
                "order": record.history_id,
                "who": record.history_user,
                "action": ACTIONS[record.history_type],
                "type": record.history_type,
                "what": label(kind, record),
                "changes": changes,
            }
        )
        if limit and len(entries) == limit:
            break
    if recent is None:
        return entries, True
    last = (entries[-1]["when"], entries[-1]["order"]) if entries else None
    exact = not cuts or (limit is not None and len(entries) == limit and all(cut <= last for cut in cuts.values()))
    return entries, exact
