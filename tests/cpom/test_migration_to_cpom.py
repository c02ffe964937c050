"""The contract's move from ``cooperations`` and ``indicators`` to ``cpom``
keeps every row: a database at the previous release's migrations, filled
with one row of each moved model (and of what points to them), migrates with
its rows, history, relations and content types intact.

The same check on a real demo database of the previous release is
``scripts/compare_row_counts.py`` (README, « Mettre à jour une base »)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection

from cpom.migrations import MOVED_TABLES

PREVIOUS_RELEASE = [
    ("accounts", "0003_history_of_users"),
    ("cooperations", "0010_history_of_register_and_proposals"),
    ("indicators", "0009_declaration_campaign_status_index"),
    ("diagnostics", "0003_history"),
]
THIS_RELEASE = [
    ("cpom", "0002_tables_and_content_types"),
    ("cooperations", "0011_contract_moves_to_cpom"),
    ("indicators", "0010_contract_moves_to_cpom"),
    ("diagnostics", "0004_axis_commitment_in_cpom"),
]


def apply_previous_release(migrator):
    """The previous release's schema and nothing more. ``apply_initial_migration`` applies the whole
    project's plan up to the last target, which, as later migrations of any app depend on ones of
    this release, can already hold the move; here only the targets' own ancestors are applied."""
    from django.core.management.color import no_style
    from django_test_migrations import sql

    sql.drop_models_tables(migrator._database, no_style())
    sql.flush_django_migrations_table(migrator._database, no_style())
    migrator._executor.loader.build_graph()
    plan = migrator._executor.migration_plan(PREVIOUS_RELEASE, clean_start=True)
    return migrator._migrate(PREVIOUS_RELEASE, plan=plan)


def table_counts():
    with connection.cursor() as cursor:
        names = connection.introspection.table_names(cursor)
        counts = {}
        for name in names:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(name)}")
            counts[name] = cursor.fetchone()[0]
    return counts


def fill_previous_release(apps):
    """One row of every moved model and of what refers to them, written with the models as they were."""
    User = apps.get_model("accounts", "User")
    Region = apps.get_model("cooperations", "Region")
    Department = apps.get_model("cooperations", "Department")
    LegalEntity = apps.get_model("cooperations", "LegalEntity")
    Cpom = apps.get_model("cooperations", "Cpom")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")

    region = Region.objects.create(code="98", name="Région de test")
    user = User.objects.create(username="ancien", role="negociateur", region=region)
    department = Department.objects.create(code="981", name="Département de test", region=region)
    entity = LegalEntity.objects.create(finess="980000001", name="CH de test", department=department, region=region)
    cpom = Cpom.objects.create(
        legal_entity=entity, region=region, first_year=2024, last_year=2028, reference="ANCIEN-1", created_by=user
    )
    version = apps.get_model("cooperations", "CpomVersion").objects.create(cpom=cpom, number=0, opened_by=user)
    commitment = apps.get_model("cooperations", "Commitment").objects.create(
        cpom=cpom, title="Filière gériatrique", action_kind="filieres", theme="medicales", objective="Objectif"
    )
    apps.get_model("cooperations", "CommitmentPartner").objects.create(commitment=commitment, external_name="EHPAD")
    apps.get_model("cooperations", "Comment").objects.create(cpom=cpom, commitment=commitment, author=user, body="Vu")
    apps.get_model("cooperations", "ChangeProposal").objects.create(
        commitment=commitment, target="title", target_label="Intitulé", proposed_value="Autre", author=user
    )
    apps.get_model("cooperations", "AnnexFile").objects.create(
        cpom=cpom, version=version, file="annexes/1/a.pdf", sha256="0" * 64, size=1
    )
    apps.get_model("cooperations", "AnnexArchive").objects.create(
        label="Région", region=region, cpom_ids=[cpom.pk], expires_at=datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
    )
    template = apps.get_model("indicators", "IndicatorTemplate").objects.order_by("pk").first()
    indicator = apps.get_model("indicators", "Indicator").objects.create(
        commitment=commitment, template=template, label="Taux", kind="declaratif", value_type="pourcentage"
    )
    apps.get_model("indicators", "TargetValue").objects.create(indicator=indicator, year=2025, value=Decimal("12.5"))
    campaign = apps.get_model("indicators", "Campaign").objects.create(
        region=region,
        year=2024,
        opens_on=datetime.date(2025, 1, 1),
        closes_on=datetime.date(2025, 3, 1),
        corrections_until=datetime.date(2025, 4, 1),
    )
    campaign.cpoms.add(cpom)
    apps.get_model("indicators", "Declaration").objects.create(
        indicator=indicator, campaign=campaign, year=2024, value=Decimal("10"), status="validee"
    )
    diagnostic = apps.get_model("diagnostics", "Diagnostic").objects.create(
        region=region, scope="departement", department=department, title="Diagnostic", created_by=user
    )
    apps.get_model("diagnostics", "Axis").objects.create(
        diagnostic=diagnostic, title="Axe", theme="medicales", commitment=commitment
    )
    # What the history kept of them, as simple-history writes it.
    apps.get_model("cooperations", "HistoricalCpom").objects.create(
        id=cpom.pk,
        legal_entity=entity,
        region=region,
        first_year=2024,
        last_year=2028,
        status="preparation",
        concertation_round=0,
        shared_with_director=False,
        created_at=cpom.created_at,
        history_date=cpom.created_at,
        history_type="+",
        history_user=user,
    )
    apps.get_model("indicators", "HistoricalIndicator").objects.create(
        id=indicator.pk,
        commitment=commitment,
        label="Taux",
        kind="declaratif",
        value_type="pourcentage",
        unit="",
        direction="hausse",
        position=0,
        history_date=cpom.created_at,
        history_type="+",
        history_user=user,
    )
    # Permissions (and admin log entries) hang on content types: they must follow the models, same ids.
    cpom_type = ContentType.objects.get_or_create(app_label="cooperations", model="cpom")[0]
    indicator_type = ContentType.objects.get_or_create(app_label="indicators", model="indicator")[0]
    Permission.objects.get_or_create(content_type=cpom_type, codename="view_cpom", defaults={"name": "Can view"})
    return {"cpom": cpom.pk, "indicator": indicator.pk, "cpom_type": cpom_type.pk, "indicator_type": indicator_type.pk}


@pytest.mark.django_db(transaction=True)
def test_moving_the_contract_to_cpom_keeps_every_row(migrator):
    old_state = apply_previous_release(migrator)
    ids = fill_previous_release(old_state.apps)
    before = table_counts()
    filled = [t for t in MOVED_TABLES if "historical" not in t] + [
        "cooperations_historicalcpom",
        "indicators_historicalindicator",
    ]
    assert all(before[table] > 0 for table in filled)

    new_state = migrator.apply_tested_migration(THIS_RELEASE)
    after = table_counts()

    for table in MOVED_TABLES:
        assert table not in after, f"{table} aurait dû être renommée"
    for table, rows in before.items():
        if table == "django_migrations":
            continue
        assert after[MOVED_TABLES.get(table, table)] == rows, table

    apps = new_state.apps
    cpom = apps.get_model("cpom", "Cpom").objects.get(pk=ids["cpom"])
    assert cpom.reference == "ANCIEN-1"
    indicator = apps.get_model("cpom", "Indicator").objects.get(pk=ids["indicator"])
    assert indicator.commitment.cpom_id == cpom.pk
    assert [t.value for t in apps.get_model("cpom", "TargetValue").objects.filter(indicator=indicator)] == [
        Decimal("12.5")
    ]
    declaration = apps.get_model("indicators", "Declaration").objects.get()
    assert declaration.indicator_id == indicator.pk and declaration.indicator.label == "Taux"
    assert list(apps.get_model("indicators", "Campaign").objects.get().cpoms.values_list("pk", flat=True)) == [cpom.pk]
    assert apps.get_model("diagnostics", "Axis").objects.get().commitment.cpom_id == cpom.pk
    assert apps.get_model("cpom", "HistoricalCpom").objects.get().history_user.username == "ancien"
    assert apps.get_model("cpom", "HistoricalIndicator").objects.filter(id=indicator.pk).count() == 1

    ContentType = apps.get_model("contenttypes", "ContentType")
    assert ContentType.objects.get(pk=ids["cpom_type"]).app_label == "cpom"
    assert ContentType.objects.get(pk=ids["indicator_type"]).app_label == "cpom"
    assert not ContentType.objects.filter(app_label="cooperations", model="cpom").exists()
    assert apps.get_model("auth", "Permission").objects.get(codename="view_cpom").content_type_id == ids["cpom_type"]

    migrator.reset()
