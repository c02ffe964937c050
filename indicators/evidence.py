"""Evidence files on disk: what no row needs any more is removed.

A declaration's evidence lives under ``justificatifs/``. Replacing or
removing it leaves the old file referenced by the declaration's history (the
audit trail shows what was attached, and when), so it is kept for
``EVIDENCE_REPLACED_RETENTION_DAYS`` after it was replaced; after that the
file is deleted and the history record says it was purged. A file that no
row references at all (an upload whose transaction rolled back, a
declaration deleted) is deleted once older than a grace period, so that an
upload still in its transaction is never taken for an orphan."""

import datetime
import logging
import os
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from indicators.models import Declaration

logger = logging.getLogger(__name__)

EVIDENCE_DIR = "justificatifs"
# An upload is written to disk before its transaction commits: a younger file may be in flight.
ORPHAN_GRACE = datetime.timedelta(hours=6)


@dataclass
class Purge:
    orphans: int = 0
    expired: int = 0
    kept: int = 0
    freed_bytes: int = 0


def _files_on_disk(root):
    base = os.path.join(root, EVIDENCE_DIR)
    for directory, _dirs, names in os.walk(base):
        for name in names:
            path = os.path.join(directory, name)
            yield os.path.relpath(path, root).replace(os.sep, "/"), path


def purge_evidence(now=None) -> Purge:
    """Delete the evidence files no row needs: idempotent, safe to run at any time."""
    now = now or timezone.now()
    retention = datetime.timedelta(days=settings.EVIDENCE_REPLACED_RETENTION_DAYS)
    current = set(Declaration.objects.exclude(evidence="").values_list("evidence", flat=True))
    history = Declaration.history.exclude(evidence="")
    # When each historical file stopped being the current one: the first later record without it.
    last_seen = {}
    for name, at in history.values_list("evidence", "history_date"):
        last_seen[name] = max(at, last_seen.get(name, at))
    replaced_at = {}
    if last_seen:
        records = (
            Declaration.history.filter(id__in=history.values("id"))
            .order_by("id", "history_date", "history_id")
            .values_list("id", "evidence", "history_date")
        )
        previous = {}
        for declaration_id, name, at in records.iterator():
            before = previous.get(declaration_id)
            if before and before != name and before not in replaced_at:
                replaced_at[before] = at
            previous[declaration_id] = name
    result = Purge()
    expired = []
    for name, path in _files_on_disk(default_storage.location):
        if name in current:
            result.kept += 1
            continue
        size = os.path.getsize(path)
        if name in last_seen:
            since = replaced_at.get(name, last_seen[name])
            if now - since < retention:
                result.kept += 1
                continue
            expired.append(name)
            result.expired += 1
        else:
            modified = datetime.datetime.fromtimestamp(os.path.getmtime(path), tz=datetime.UTC)
            if now - modified < ORPHAN_GRACE:
                result.kept += 1
                continue
            result.orphans += 1
        default_storage.delete(name)
        result.freed_bytes += size
    if expired:
        # The trail keeps the file's name (evidence_name) and loses only the bytes.
        Declaration.history.filter(evidence__in=expired).update(evidence="")
    if result.orphans or result.expired:
        logger.info(
            "evidence purge: orphans=%s expired=%s bytes_freed=%s",
            result.orphans,
            result.expired,
            result.freed_bytes,
        )
    return result
