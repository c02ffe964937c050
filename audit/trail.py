"""The audit trail: every change of every domain object, read across the
history tables that django-simple-history keeps for each audited model.

One page costs a constant number of queries whatever the size of the
history: one UNION over the history tables picks the page's entries (date
and id only), then, per model present on the page, one query for its
entries, one for the versions before them and one per foreign key shown."""

import datetime
import functools
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection
from django.db.models import CharField, F, IntegerField, OuterRef, Q, Subquery, Value
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import registered_models

from core import choices

AUDITED_APPS = ("accounts", "cooperations", "cpom", "indicators", "diagnostics", "reviews")
# Fields a search on the object's name looks in, where the model has them.
SEARCHED_FIELDS = ("name", "title", "label", "reference", "finess", "username", "text", "reason", "original_name")
ACTIONS = {"+": _("Création"), "~": _("Modification"), "-": _("Suppression")}
PAGE_SIZE = 50


@functools.cache
def audited_models():
    """Every model of the domain apps whose changes are kept, by label (fixed once the apps are loaded)."""
    found = {}
    for model in apps.get_models():
        if model._meta.app_label in AUDITED_APPS and model in registered_models.values():
            found[model._meta.label_lower] = model
    return dict(sorted(found.items(), key=lambda item: str(item[1]._meta.verbose_name)))


@dataclass
class Change:
    field: str
    before: str
    after: str


@dataclass
class Entry:
    date: datetime.datetime
    action: str
    model_name: str
    object_id: object
    label: str
    user: object
    reason: str
    changes: list[Change] = field(default_factory=list)

    @property
    def action_label(self):
        return ACTIONS[self.action]


@dataclass
class Search:
    model: str = ""
    user: str = ""
    q: str = ""
    action: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    before: "Cursor | None" = None


@dataclass(frozen=True)
class Cursor:
    """Where a page ends, in the trail's order (date, model, history id, all
    descending): the next page starts strictly after it, even among entries
    of the same instant (a bulk generation writes thousands of them)."""

    date: datetime.datetime
    audited: str
    hid: int

    def __str__(self):
        return f"{self.date.isoformat()}|{self.audited}|{self.hid}"

    @classmethod
    def parse(cls, text):
        """The cursor of a page link, or None if it was tampered with."""
        try:
            date, audited, hid = text.split("|")
            return cls(datetime.datetime.fromisoformat(date), audited, int(hid))
        except (ValueError, TypeError):
            return None

    def after(self, label):
        """The condition, for the history table of ``label``, of coming after this cursor."""
        older = Q(history_date__lt=self.date)
        if label < self.audited:
            return older | Q(history_date=self.date)
        if label == self.audited:
            return older | Q(history_date=self.date, history_id__lt=self.hid)
        return older


def _filtered(history_model, model, label, search: Search):
    qs = history_model.objects.all()
    if search.user:
        qs = qs.filter(
            Q(history_user__username__icontains=search.user)
            | Q(history_user__last_name__icontains=search.user)
            | Q(history_user__first_name__icontains=search.user)
        )
    if search.action:
        qs = qs.filter(history_type=search.action)
    if search.date_from:
        qs = qs.filter(history_date__date__gte=search.date_from)
    if search.date_to:
        qs = qs.filter(history_date__date__lte=search.date_to)
    if search.before:
        qs = qs.filter(search.before.after(label))
    if search.q:
        names = {f.name for f in model._meta.concrete_fields}
        condition = Q(history_change_reason__icontains=search.q)
        for name in SEARCHED_FIELDS:
            if name in names:
                condition |= Q(**{f"{name}__icontains": search.q})
        if (
            search.q.isascii()
            and search.q.isdigit()
            and model._meta.pk.get_internal_type() in ("AutoField", "BigAutoField")
        ):
            condition |= Q(**{model._meta.pk.attname: int(search.q)})
        qs = qs.filter(condition)
    return qs


def page(search: Search, size: int | None = None):
    """The entries of one page, newest first, and the cursor of the next page (None if none follows)."""
    size = size or PAGE_SIZE
    models = audited_models()
    if search.model:
        models = {search.model: models[search.model]} if search.model in models else {}
    if not models:
        return [], False
    selects = [
        _filtered(model.history.model, model, label, search)
        .annotate(audited=Value(label, output_field=CharField()), hid=F("history_id"))
        .values("audited", "hid", "history_date")
        .order_by()
        for label, model in models.items()
    ]
    if len(selects) > 1 and connection.features.supports_slicing_ordering_in_compound:
        # Each history's own newest rows first (read from its history_date index): the page is among
        # them, and the database no longer sorts every record of every history (issue 19: 14 -> 10 ms
        # over 350,000 generated records, 250,000 of which share one date). SQLite takes no ORDER BY in
        # a compound's parts: it sorts them all.
        selects = [select.order_by("-history_date", "-hid")[: size + 1] for select in selects]
    union = selects[0].union(*selects[1:], all=True) if len(selects) > 1 else selects[0]
    picked = list(union.order_by("-history_date", "-audited", "-hid")[: size + 1])
    more = len(picked) > size
    picked = picked[:size]
    following = Cursor(picked[-1]["history_date"], picked[-1]["audited"], picked[-1]["hid"]) if more else None
    by_model = {}
    for row in picked:
        by_model.setdefault(row["audited"], []).append(row["hid"])
    records = {}
    for label, ids in by_model.items():
        records.update(_records(models[label], ids))
    return [records[(row["audited"], row["hid"])] for row in picked], following


def _records(model, history_ids):
    history_model = model.history.model
    pk_name = model._meta.pk.attname
    previous = (
        history_model.objects.filter(**{pk_name: OuterRef(pk_name)})
        .filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        )
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    rows = list(
        history_model.objects.filter(history_id__in=history_ids)
        .select_related("history_user")
        .annotate(previous_id=Subquery(previous, output_field=IntegerField()))
    )
    befores = history_model.objects.in_bulk([row.previous_id for row in rows if row.previous_id])
    fields = [f for f in history_model.instance_type._meta.concrete_fields if f.name in _tracked(history_model)]
    labels = _foreign_labels(fields, rows, befores.values())
    label = str(model._meta.verbose_name)
    entries = {}
    for row in rows:
        before = befores.get(row.previous_id)
        entries[(model._meta.label_lower, row.history_id)] = Entry(
            date=row.history_date,
            action=row.history_type,
            model_name=label,
            object_id=getattr(row, pk_name),
            label=_object_label(row, fields, pk_name),
            user=row.history_user,
            reason=row.history_change_reason or "",
            changes=_changes(fields, before, row, labels),
        )
    return entries


def _tracked(history_model):
    return {f.name for f in history_model._meta.fields} - {
        "history_id",
        "history_date",
        "history_change_reason",
        "history_type",
        "history_user",
        "history_relation",
    }


def _foreign_labels(fields, *groups):
    """The names of the objects foreign keys point to: one query per related model."""
    wanted = {}
    for f in fields:
        if f.is_relation:
            for group in groups:
                for row in group:
                    value = getattr(row, f.attname)
                    if value is not None:
                        wanted.setdefault(f.related_model, set()).add(value)
    labels = {}
    for related, ids in wanted.items():
        # Names often read their own foreign keys (a CPOM's entity): fetched in the same query.
        joined = [f.name for f in related._meta.concrete_fields if f.is_relation]
        objects = related._base_manager.select_related(*joined).in_bulk(ids)
        labels[related] = {pk: str(obj) for pk, obj in objects.items()}
    return labels


def _display(f, value, labels):
    if value is None or value == "":
        return "—"
    if f.is_relation:
        return labels.get(f.related_model, {}).get(value, f"n° {value} (supprimé)")
    if f.choices:
        return str(choices.labels(f, get_language()).get(value, value))
    if isinstance(value, bool):
        return str(_("oui") if value else _("non"))
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value) if timezone.is_aware(value) else value, "d/m/Y H:i")
    if isinstance(value, datetime.date):
        return date_format(value, "d/m/Y")
    text = str(value)
    return text if len(text) <= 300 else text[:299] + "…"


def _changes(fields, before, after, labels):
    """Before → after for every field that differs (every filled field on creation and deletion)."""
    changes = []
    for f in fields:
        if f.primary_key:
            continue
        new = getattr(after, f.attname)
        if after.history_type == "-":
            if new not in (None, ""):
                changes.append(Change(str(f.verbose_name), _display(f, new, labels), "—"))
            continue
        old = getattr(before, f.attname) if before is not None else None
        if old != new and not (before is None and new in (None, "", [], {})):
            changes.append(Change(str(f.verbose_name), _display(f, old, labels), _display(f, new, labels)))
    return changes


def _object_label(row, fields, pk_name):
    names = {f.name for f in fields}
    for name in SEARCHED_FIELDS:
        if name in names and getattr(row, name, None):
            return str(getattr(row, name))
    return f"n° {getattr(row, pk_name)}"
