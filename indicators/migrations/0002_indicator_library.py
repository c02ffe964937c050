"""Loads the indicator library (indicators/library.py)."""

from django.db import migrations

from cpom.library import load_library


def load(apps, schema_editor):
    load_library(apps.get_model("indicators", "IndicatorTemplate"))


class Migration(migrations.Migration):
    dependencies = [("indicators", "0001_indicators_targets")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
