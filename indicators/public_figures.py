"""Real public figures the computations read, shipped in data/reference/
(see its SOURCES.md): the Hospi Diag 2022 market shares by zone
d'attractivité and the ScanSanté MCO stays per establishment (2023, 2024).
Loading a file again replaces its year."""

import csv
import io
import re

from django.db import transaction

from core.values import to_decimal
from cpom.models import MarketActivity
from indicators.inputs import decode
from indicators.models import ActivityRecord, MarketShare

HOSPIDIAG_YEAR = 2022
MASKED = "1 à 10"


def _share(raw):
    """« "        15,2" » → 15.2; empty, « .c » (secret) or « .z » (absent) → None."""
    raw = raw.strip()
    if not raw or raw.startswith("."):
        return None
    return to_decimal(raw)


def _count(raw):
    """« 9 699 » → 9699; « 1 à 10 » (masked at the source) → None."""
    raw = raw.strip()
    if not raw or raw == MASKED:
        return None
    digits = re.sub(r"[\s\u202f\xa0]", "", raw)
    return int(digits) if digits.isdigit() else None


@transaction.atomic
def load_market_shares(data: bytes, year=HOSPIDIAG_YEAR) -> int:
    reader = csv.DictReader(io.StringIO(decode(data)))
    rows = []
    for line in reader:
        for activity in MarketActivity.values:
            share = _share(line.get(activity) or "")
            if share is not None:
                rows.append(
                    MarketShare(
                        year=year, zone_finess=line["zone"].strip(), finess=line["finess"].strip(),
                        activity=activity, share=share,
                    )
                )  # fmt: skip
    MarketShare.objects.filter(year=year).delete()
    MarketShare.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


@transaction.atomic
def load_activity(data: bytes, year) -> int:
    """One ScanSanté file (public or private establishments) of a year."""
    reader = csv.reader(io.StringIO(decode(data)))
    next(reader)  # header: Catégorie, Finess, Raison Sociale, Période, counts…
    rows, seen = [], set()
    for line in reader:
        # The « Total » line has no FINESS; two hospitals appear twice under two names, same figures.
        if len(line) < 8 or not line[1].strip() or line[1].strip() in seen:
            continue
        seen.add(line[1].strip())
        rows.append(
            ActivityRecord(
                year=year, finess=line[1].strip(), name=line[2].strip()[:255], category=line[0].strip()[:50],
                stays=_count(line[4]), full_stays=_count(line[5]), partial_stays=_count(line[6]),
                sessions=_count(line[7]),
            )
        )  # fmt: skip
    finesses = [row.finess for row in rows]
    ActivityRecord.objects.filter(year=year, finess__in=finesses).delete()
    ActivityRecord.objects.bulk_create(rows, batch_size=5000)
    return len(rows)
