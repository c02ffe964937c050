"""Stays by patient residence are not open data: this deterministic
generator makes realistic ones of the PMSI shape (year, site, home area,
activity field, stays) for the demo and the benchmarks, streamed in chunks
so that ten million rows fit in flat memory."""

import hashlib
import io
import math
import random
from dataclasses import dataclass

from django.db import connection, transaction

from cooperations.models import Establishment
from indicators.inputs import replace_previous
from indicators.models import HospitalStay, InputImport, InputKind

GENERATED_SOURCE = "Générateur de démonstration (séjours fictifs)"
FIELDS = [("MCO", 80), ("SSR", 10), ("PSY", 6), ("HAD", 4)]
CHUNK = 50_000


def _sites(region=None):
    sites = Establishment.objects.filter(closed_on__isnull=True, department__isnull=False)
    if region is not None:
        sites = sites.filter(department__region=region)
    by_department = {}
    rows = sites.values_list("finess", "department_id", "department__region_id", "latitude", "longitude", "mco_beds")
    for finess, department, region_code, latitude, longitude, beds in rows.order_by("finess"):
        by_department.setdefault(department, []).append(
            Site(finess, department, region_code, float(latitude or 0), float(longitude or 0), beds or 0)
        )
    return by_department


@dataclass(frozen=True)
class Site:
    finess: str
    department: str
    region: str
    latitude: float
    longitude: float
    beds: int


def _attraction(home, sites):
    """Cumulative weights of a gravity model: the bigger (MCO beds) and the
    nearer a site, the likelier; a site without MCO beds still draws some."""
    weights = []
    total = 0.0
    for site in sites:
        distance = math.hypot((site.latitude - home.latitude) * 111, (site.longitude - home.longitude) * 75)
        total += max(site.beds, 5) / (1 + distance / 4) ** 3
        weights.append(total)
    return weights


def generate_rows(count, seed, year, region=None):
    """Yield ``count`` rows. A resident lives near a site of his département
    (his home area takes that site's place); he is treated in his
    département 80 % of the time, by a gravity model (beds, distance), else
    elsewhere in his région (15 %), else anywhere (5 %). Sites without MCO
    beds receive SSR, psychiatry and HAD stays."""
    # Invented, reproducible stays: no secret is drawn from this generator.
    rng = random.Random(seed)  # nosec B311
    by_department = _sites(region)
    if not by_department:
        raise ValueError("Aucun site au répertoire : chargez les données de référence d’abord.")
    departments = sorted(by_department)
    by_region = {}
    for sites in by_department.values():
        by_region.setdefault(sites[0].region, []).extend(sites)
    everywhere = [site for sites in by_department.values() for site in sites]
    attraction = {}
    acute = [name for name, weight in FIELDS for _ in range(weight)]
    other = ["SSR"] * 6 + ["PSY"] * 3 + ["HAD"]
    for _ in range(count):
        home = rng.choice(departments)
        local = by_department[home]
        anchor_index = rng.randrange(len(local))
        anchor = local[anchor_index]
        draw = rng.random()
        if draw < 0.80:
            if anchor.finess not in attraction:
                attraction[anchor.finess] = _attraction(anchor, local)
            site = rng.choices(local, cum_weights=attraction[anchor.finess])[0]
        elif draw < 0.95:
            site = rng.choice(by_region[anchor.region])
        else:
            site = rng.choice(everywhere)
        area = f"{home}{anchor_index:03d}"[:5] if len(home) == 2 else f"{home}{anchor_index % 100:02d}"
        stays = int(rng.lognormvariate(2.5, 1.0)) + 1
        field = rng.choice(acute if site.beds else other)
        yield (year, site.finess, site.department, area, home, field, stays)


@transaction.atomic
def generate_stays(count, seed, year, region=None, source=GENERATED_SOURCE) -> InputImport:
    """Replace the generated stays of that year by ``count`` new rows."""
    replace_previous(HospitalStay, InputKind.STAYS, source, None, [year])
    checksum = hashlib.sha256(f"{count}|{seed}|{year}|{region and region.pk}".encode()).hexdigest()
    batch = InputImport.objects.create(
        kind=InputKind.STAYS,
        source=source,
        year=year,
        original_name=f"generate_stays --rows {count} --seed {seed}",
        sha256=checksum,
        rows=count,
        status=InputImport.Status.DONE,
        report={"years": [year], "generated": True},
    )
    rows = generate_rows(count, seed, year, region)
    if connection.vendor == "postgresql":
        _copy(batch, rows)
    else:
        _insert_many(batch, rows)
    return batch


COLUMNS = "batch_id, year, site_finess, site_department, home_area, home_department, activity_field, stays"


def _insert_many(batch, rows):
    """Other databases: plain INSERTs in chunks, without model instances."""
    table = HospitalStay._meta.db_table
    # The table and columns are the model's own names; every value is a bound parameter.
    sql = f"INSERT INTO {table} ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"  # nosec B608
    with connection.cursor() as cursor:
        chunk = []
        for row in rows:
            chunk.append((batch.pk, *row))
            if len(chunk) == CHUNK:
                cursor.executemany(sql, chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)


def _copy(batch, rows):
    """PostgreSQL: COPY, chunk by chunk (memory stays flat)."""
    table = HospitalStay._meta.db_table
    with connection.cursor() as cursor:
        while True:
            buffer = io.StringIO()
            written = 0
            for row in rows:
                buffer.write(f"{batch.pk}\t" + "\t".join(str(value) for value in row) + "\n")
                written += 1
                if written == CHUNK:
                    break
            if not written:
                break
            buffer.seek(0)
            cursor.cursor.copy_expert(f"COPY {table} ({COLUMNS}) FROM STDIN", buffer)
            if written < CHUNK:
                break
