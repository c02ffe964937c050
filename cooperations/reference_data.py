"""Reference lists loaded by data migrations: INSEE régions and départements
(COG 2024, in data/reference/), FINESS categories (NOS TRE-R397) and legal
statuses (NOS TRE-R400) kept in cooperations/reference/. Idempotent:
running it again updates labels and creates nothing twice."""

import csv
from pathlib import Path

from django.conf import settings

HERE = Path(__file__).resolve().parent / "reference"
# TRE-R400 top groups -> sector.
SECTOR_OF_GROUP = {"1000": "public", "2100": "prive_non_lucratif", "2200": "prive_lucratif", "3000": "etranger"}


def _rows(path: Path):
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def legal_status_sectors(rows) -> dict[str, str]:
    """Sector of every TRE-R400 code, from its ancestors."""
    parents = {row["code"]: row["parent"] for row in rows}
    sectors = {}
    for code in parents:
        node = code
        while node and node not in SECTOR_OF_GROUP:
            node = parents.get(node, "")
        if node:
            sectors[code] = SECTOR_OF_GROUP[node]
    return sectors


def load_reference_lists(Region, Department, Category, LegalStatus):  # noqa: N803 - historical models
    data_dir = Path(settings.BASE_DIR) / "data" / "reference"
    for row in _rows(data_dir / "cog2024_regions.csv"):
        Region.objects.update_or_create(code=row["REG"], defaults={"name": row["LIBELLE"]})
    for row in _rows(data_dir / "cog2024_departements.csv"):
        Department.objects.update_or_create(code=row["DEP"], defaults={"name": row["LIBELLE"], "region_id": row["REG"]})
    for name in ("nos_tre_r397_categorie.csv", "categories_supplement.csv"):
        for row in _rows(HERE / name):
            Category.objects.update_or_create(code=row["code"], defaults={"label": row["label"][:200]})
    statuses = list(_rows(HERE / "nos_tre_r400_statut_juridique.csv"))
    sectors = legal_status_sectors(statuses)
    for row in statuses:
        if row["code"] in sectors:
            LegalStatus.objects.update_or_create(
                code=row["code"], defaults={"label": row["label"][:200], "sector": sectors[row["code"]]}
            )


def reload():
    from cooperations.models import Category, Department, LegalStatus, Region

    load_reference_lists(Region, Department, Category, LegalStatus)
