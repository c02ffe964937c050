"""Prove a migration keeps every row: count the rows of every table of a
database, migrate it with this code, count again and compare, following the
tables the contract's move to ``cpom`` renamed.

    DATABASE_URL=sqlite:////path/to/copy.sqlite3 python scripts/compare_row_counts.py

Run it on a copy of a database made by the previous release (make demo): it
prints each table whose count changed, and exits 1 if any row was lost."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from cpom.migrations import MOVED_TABLES  # noqa: E402

GROWING = {"django_migrations", "django_content_type", "auth_permission"}


def counts():
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        result = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # nosec B608 - introspected names
            result[table] = cursor.fetchone()[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT app_label, model, id FROM django_content_type")
        content_types = {(app, model): pk for app, model, pk in cursor.fetchall()}
    return result, content_types


def main():
    before, types_before = counts()
    call_command("migrate", verbosity=0, interactive=False)
    after, types_after = counts()
    lost = 0
    for table, rows in sorted(before.items()):
        new_table = MOVED_TABLES.get(table, table)
        now = after.get(new_table)
        # New migrations, models and their permissions are recorded: those registries may only grow.
        if now != rows and not (table in GROWING and now is not None and now > rows):
            lost += 1
            print(f"{'PERDU' if now is None or now < rows else 'CHANGÉ'} {table} → {new_table} : {rows} → {now}")
    for (app, model), pk in types_before.items():
        new_app = "cpom" if MOVED_TABLES.get(f"{app}_{model}", "").startswith("cpom_") else app
        if types_after.get((new_app, model)) != pk:
            lost += 1
            print(f"TYPE DE CONTENU {app}.{model} (id {pk}) → {new_app}.{model} : {types_after.get((new_app, model))}")
    moved = sum(1 for t in before if t in MOVED_TABLES)
    print(
        f"{len(before)} tables, {sum(before.values())} lignes avant ; {moved} tables renommées ; "
        f"{sum(after.get(MOVED_TABLES.get(t, t), 0) for t in before)} lignes retrouvées ; "
        f"{len(types_before)} types de contenu ; {'AUCUNE PERTE' if not lost else f'{lost} ÉCARTS'}"
    )
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
