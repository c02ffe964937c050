"""Reference lists loaded by a data migration: INSEE régions and
départements (COG 2024, in data/reference/), FINESS categories and legal
statuses (cooperations/reference/). Idempotent: running it again updates
labels and creates nothing twice."""

import csv
from pathlib import Path

from django.conf import settings

HERE = Path(__file__).resolve().parent / "reference"


def _rows(path: Path):
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def load_reference_lists(Region, Department, Category, LegalStatus):  # noqa: N803 - historical models
    data_dir = Path(settings.BASE_DIR) / "data" / "reference"
    for row in _rows(data_dir / "cog2024_regions.csv"):
        Region.objects.update_or_create(code=row["REG"], defaults={"name": row["LIBELLE"]})
    for row in _rows(data_dir / "cog2024_departements.csv"):
        Department.objects.update_or_create(code=row["DEP"], defaults={"name": row["LIBELLE"], "region_id": row["REG"]})
    for row in _rows(HERE / "categories.csv"):
        Category.objects.update_or_create(code=row["code"], defaults={"label": row["label"]})
    for row in _rows(HERE / "legal_statuses.csv"):
        LegalStatus.objects.update_or_create(
            code=row["code"], defaults={"label": row["label"], "sector": row["sector"]}
        )
