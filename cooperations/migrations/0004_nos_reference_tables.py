from django.db import migrations


def load(apps, schema_editor):
    from cooperations.reference_data import load_reference_lists

    load_reference_lists(
        apps.get_model("cooperations", "Region"),
        apps.get_model("cooperations", "Department"),
        apps.get_model("cooperations", "Category"),
        apps.get_model("cooperations", "LegalStatus"),
    )


class Migration(migrations.Migration):
    """Labels and sectors from the official NOS tables TRE-R397 and TRE-R400."""

    dependencies = [("cooperations", "0003_finessplus")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
