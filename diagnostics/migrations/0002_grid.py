"""Loads the reference grid (diagnostics/grid.py)."""

from django.db import migrations

from diagnostics.grid import load_grid


def load(apps, schema_editor):
    load_grid(apps.get_model("diagnostics", "GridObjective"), apps.get_model("diagnostics", "GridQuestion"))


class Migration(migrations.Migration):
    dependencies = [("diagnostics", "0001_diagnostics")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
