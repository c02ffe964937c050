"""Computed indicators on small cases computed by hand: leakage rates, unit
costs, counts; the imports they read; idempotence of a rerun."""

from decimal import Decimal
from fractions import Fraction

import pytest

from indicators import computations, services
from indicators.inputs import home_department, import_inputs
from indicators.models import ComputationRun, ComputedValue, HospitalStay, InputImport, SupportCost
from tests.cooperations.factories import EstablishmentFactory, LegalEntityFactory, department
from tests.cpom.factories import CommitmentFactory, IndicatorFactory

pytestmark = pytest.mark.usefixtures("follow_up_scenario")


def _csv(*lines):
    return ("\n".join(lines) + "\n").encode("utf-8")


def _stays(world, *rows, source="PMSI test", year=2025):
    """rows: (site FINESS, home area, field, stays)."""
    lines = ["annee;finess_et;code_geo;champ;sejours"] + [f"{year};{f};{a};{c};{n}" for f, a, c, n in rows]
    record = import_inputs("sejours", source, _csv(*lines), "sejours.csv")
    assert record.status == "termine", record.report
    return record


@pytest.fixture
def leakage(world):
    """A leakage indicator of entity A (GHT of A and B, département 78) and
    a site outside the GHT in the same département."""
    commitment = world["cpom_a_draft"].commitments.create(
        title="Réduire les fuites",
        action_kind="filieres",
        theme="medicales",
        objective="Garder les patients",
        position=1,
    )
    indicator = IndicatorFactory(
        commitment=commitment, label="Taux de fuite MCO", kind="automatisable", computation="taux_de_fuite",
        value_type="pourcentage",
    )  # fmt: skip
    outsider = EstablishmentFactory(
        legal_entity=LegalEntityFactory(department=department("78")), department=department("78")
    )
    return {"indicator": indicator, "outsider": outsider.finess, **{k: world["sites"][k].finess for k in "abc"}}


def test_leakage_rate_of_a_ght_exact(world, leakage):
    a, b, out = leakage["a"], leakage["b"], leakage["outsider"]
    _stays(
        world,
        (a, "78100", "MCO", 6),
        (b, "78200", "MCO", 3),
        (a, "78400", "MCO", 1),  # beyond 80 % of the GHT's stays: outside its zone
        (out, "78100", "MCO", 2),  # residents of the zone treated outside the GHT
        (out, "78300", "MCO", 5),  # residents of an area the GHT does not serve
        (out, "78100", "SSR", 3),
        (a, "78100", "SSR", 1),
    )
    result = computations.leakage_rate(leakage["indicator"], 2025)
    # Zone: 78100 (6) then 78200 (3) reach 9 of 10 ≥ 80 %. Residents: 6 + 2 + 3 = 11, of whom 2 outside.
    assert (result.numerator, result.denominator) == (2, 11)
    assert result.value == Decimal(str(round(float(Fraction(2, 11) * 100), 2)))  # 18.18
    ssr = leakage["indicator"]
    ssr.activity_field = "SSR"
    result = computations.leakage_rate(ssr, 2025)
    assert (result.numerator, result.denominator, result.value) == (3, 4, Decimal("75.00"))
    assert (
        result.inputs["territoire"].startswith("GHT") and "1 codes de résidence" in result.inputs["zone d’attractivité"]
    )


def test_attraction_zone_takes_the_largest_areas_up_to_80_percent(world, leakage):
    a = leakage["a"]
    _stays(world, (a, "78001", "MCO", 50), (a, "78002", "MCO", 30), (a, "78003", "MCO", 15), (a, "78004", "MCO", 5))
    sites = computations.Establishment.objects.filter(finess=a).values("finess")
    assert computations.attraction_zone(HospitalStay.objects.all(), sites) == ["78001", "78002"]


def test_leakage_rate_of_a_department(world, leakage):
    a, c = leakage["a"], leakage["c"]  # C is in the Nord (59)
    _stays(world, (a, "78100", "MCO", 6), (c, "78100", "MCO", 2), (leakage["outsider"], "78100", "MCO", 2))
    indicator = leakage["indicator"]
    indicator.territory_kind = "departement"
    result = computations.leakage_rate(indicator, 2025)
    # Only the stay in the Nord leaves the département; the outsider site is in the Yvelines.
    assert (result.numerator, result.denominator, result.value) == (2, 10, Decimal("20.00"))
    assert computations.leakage_by_department(2025)["78"] == (2, 10)


def test_leakage_without_stays_is_not_computable(world, leakage):
    _stays(world, (leakage["outsider"], "78100", "MCO", 4))  # no stay at the GHT's sites: no zone
    result = computations.leakage_rate(leakage["indicator"], 2025)
    assert result.value is None and "Aucun séjour" in result.reason
    value, _changed = computations.store(leakage["indicator"], 2025)
    assert value.value is None and value.display == "non calculable"


@pytest.fixture
def cost_indicator(world):
    commitment = world["cpom_a_draft"].commitments.create(
        title="Biologie commune",
        action_kind="fonctions_support",
        theme="plateaux_techniques",
        objective="o",
        position=2,
    )
    return IndicatorFactory(
        commitment=commitment, label="Coût du B", kind="automatisable", computation="cout_fonctions_support",
        value_type="nombre", support_function="biologie", baseline_year=2020,
    )  # fmt: skip


def _costs(*rows, source="RTC"):
    lines = ["annee;finess;fonction;cout;unites;unite"] + [";".join(str(c) for c in row) for row in rows]
    return import_inputs("couts", source, _csv(*lines), "couts.csv")


def test_unit_cost_and_its_evolution(world, cost_indicator):
    entity, site = world["entities"]["a"].finess, world["sites"]["a"].finess
    record = _costs(
        (2025, entity, "biologie", "2000", "10000", "B"),
        (2025, site, "Biologie", "1100,50", "0", "B"),  # a site of the entity, by its FINESS ET
        (2025, entity, "blanchisserie", "9999", "1", "kg"),  # another function
        (2020, entity, "biologie", "3300", "10000", "B"),
    )
    assert record.status == "termine", record.report
    result = computations.support_cost(cost_indicator, 2025)
    assert (result.numerator, result.denominator) == (Decimal("3100.50"), Decimal("10000"))
    assert result.value == Decimal("0.3101")
    assert result.inputs["évolution depuis l’année de référence (%)"] == "-6.0"
    assert computations.support_cost(cost_indicator, 2019).reason.startswith("Aucun coût importé")


def test_unit_cost_without_units_is_not_computable(world, cost_indicator):
    _costs((2025, world["entities"]["a"].finess, "biologie", "500", "0", "B"))
    result = computations.support_cost(cost_indicator, 2025)
    assert result.value is None and "Aucune unité produite" in result.reason


def test_counts_of_the_application(world):
    commitment = world["cpom_a_draft"].commitments.create(
        title="Compter", action_kind="filieres", theme="medicales", objective="o", position=3
    )
    structures = IndicatorFactory(
        commitment=commitment, kind="automatisable", computation="decompte_application", value_type="effectif"
    )
    assert computations.application_count(structures, 2025).value == 1  # the GHT
    done = IndicatorFactory(
        commitment=commitment,
        kind="automatisable",
        computation="decompte_application",
        count_kind="engagements_realises",
    )
    CommitmentFactory(cpom=world["cpom_a_draft"], status="realise")
    assert computations.application_count(done, 2025).value == 1


def test_a_rerun_on_the_same_inputs_changes_nothing(world, leakage):
    _stays(world, (leakage["a"], "78100", "MCO", 3), (leakage["outsider"], "78100", "MCO", 1))
    first, changed = computations.store(leakage["indicator"], 2025)
    assert changed and first.value == Decimal("25.00")
    again, changed = computations.store(leakage["indicator"], 2025)
    assert not changed and again.computed_at == first.computed_at
    # New inputs for the year: recomputed.
    _stays(world, (leakage["a"], "78100", "MCO", 1), (leakage["outsider"], "78100", "MCO", 1))
    updated, changed = computations.store(leakage["indicator"], 2025)
    assert changed and updated.value == Decimal("50.00")
    assert ComputedValue.objects.filter(indicator=leakage["indicator"]).count() == 1


def test_a_run_computes_the_region_and_counts(world, eager):
    _stays(world, (world["sites"]["a"].finess, "78100", "MCO", 4))
    run, queued = services.request_computation(world["users"]["negotiator"], 2025, world["campaign_idf"].region)
    assert queued
    run.refresh_from_db()
    # cpom_a_old's leakage rate (2024–2025) is the région's only computed indicator in force in 2025.
    assert (run.status, run.total, run.done, run.changed) == ("termine", 1, 1, 1)
    value = ComputedValue.objects.get(indicator__label="Taux de fuite", year=2025)
    assert value.value == Decimal("0.00") and value.denominator == 4 and value.run == run
    again = services.run_computation(run.pk)
    assert again.changed == 0


def test_only_the_ars_computes(world):
    from django.core.exceptions import PermissionDenied

    region = world["campaign_idf"].region
    for role in ("observer", "director", "negotiator_other"):
        with pytest.raises(PermissionDenied):
            services.request_computation(world["users"][role], 2025, region)
    with pytest.raises(PermissionDenied):
        services.request_computation(world["users"]["negotiator"], 2025, None)  # all régions: admins only
    assert ComputationRun.objects.count() == 1  # the world's, no new one


def test_a_broker_down_leaves_the_run_pending(world, monkeypatch):
    from indicators import tasks

    def unreachable(*args, **kwargs):
        raise ConnectionRefusedError("Redis is down")

    monkeypatch.setattr(tasks.compute_indicators, "delay", unreachable)
    run, queued = services.request_computation(world["users"]["negotiator"], 2025, world["campaign_idf"].region)
    assert not queued and run.status == "en_attente"


# --- Imports ------------------------------------------------------------------------------------


def test_bad_lines_are_reported_and_nothing_is_imported(world):
    a = world["sites"]["a"].finess
    record = import_inputs(
        "sejours",
        "PMSI",
        _csv(
            "annee;finess_et;code_geo;champ;sejours",
            f"2025;{a};78100;MCO;12",
            "2025;123;78100;MCO;12",
            f"2025;{a};99999;MCO;12",
            f"2025;{a};78100;XYZ;12",
            f"2025;{a};78100;MCO;douze",
            f"1900;{a};78100;MCO;1",
        ),
        "sejours.csv",
    )
    assert record.status == "refuse" and record.report["error_count"] == 5
    assert [e["line"] for e in record.report["errors"]] == [3, 4, 5, 6, 7]
    reasons = " | ".join(e["reason"] for e in record.report["errors"])
    assert "département de résidence « 99 » inconnu" in reasons and "champ « XYZ » inconnu" in reasons
    assert "« douze » n’est pas un nombre" in reasons and "année « 1900 » invalide" in reasons
    assert not HospitalStay.objects.filter(batch__source="PMSI").exists()


def test_a_missing_column_is_explained(world):
    record = import_inputs("couts", "RTC", _csv("annee;finess;cout", "2025;1;2"), "couts.csv")
    assert record.status == "refuse" and "Colonne « fonction » absente" in record.report["errors"][0]["reason"]


def test_reimporting_a_source_and_year_replaces_it(world):
    a = world["sites"]["a"].finess
    first = _stays(world, (a, "78100", "MCO", 5), (a, "78200", "MCO", 5))
    _stays(world, (a, "78100", "MCO", 5), source="Autre source")
    second = _stays(world, (a, "78100", "MCO", 7))
    assert HospitalStay.objects.filter(batch__source="PMSI test").count() == 1
    assert HospitalStay.objects.count() == 2  # the other source stays
    first.refresh_from_db()
    assert first.status == InputImport.Status.REPLACED and second.report["replaced_rows"] == 2


def test_latin1_and_bom_files_are_read(world):
    entity = world["entities"]["a"].finess
    latin1 = f"année;finess;fonction;coût;unités;unité\n2025;{entity};stérilisation;10;5;m³\n".encode("latin-1")
    assert import_inputs("couts", "RTC", latin1, "couts.csv").status == "termine"
    bom = b"\xef\xbb\xbf" + f"annee,finess,fonction,cout,unites\n2024,{entity},PUI,4,2\n".encode()
    assert import_inputs("couts", "RTC", bom, "couts.csv").status == "termine"
    assert set(SupportCost.objects.values_list("function", flat=True)) == {"sterilisation", "pui"}


@pytest.mark.parametrize(
    ("code", "department"),
    [
        ("78100", "78"),
        ("75011", "75"),
        ("20000", "2A"),
        ("20200", "2B"),
        ("2A004", "2A"),
        ("97411", "974"),
        ("59", "59"),
    ],
)
def test_home_department_of_an_area(code, department):
    assert home_department(code) == department


# --- Generator and commands ---------------------------------------------------------------------


def test_generated_stays_are_deterministic_and_replace_themselves(world):
    from demo.stays_generator import generate_rows, generate_stays

    region = world["campaign_idf"].region
    first = list(generate_rows(300, seed=5, year=2025, region=region))
    assert first == list(generate_rows(300, seed=5, year=2025, region=region))
    assert first != list(generate_rows(300, seed=6, year=2025, region=region))
    sites = {site.finess for site in world["sites"].values()}
    assert all(row[1] in sites and row[5] in ("MCO", "SSR", "PSY", "HAD") and row[6] >= 1 for row in first)
    generate_stays(300, seed=5, year=2025, region=region)
    batch = generate_stays(200, seed=5, year=2025, region=region)
    assert HospitalStay.objects.filter(batch__source=batch.source).count() == 200
    assert sum(HospitalStay.objects.filter(batch=batch).values_list("stays", flat=True)) == sum(
        row[6] for row in first[:200]
    )


def test_commands_import_and_compute(world, tmp_path, eager):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    path = tmp_path / "sejours.csv"
    path.write_text(f"annee;finess_et;code_geo;champ;sejours\n2025;{world['sites']['a'].finess};78100;MCO;3\n")
    from io import StringIO

    imported = StringIO()
    call_command("import_inputs", str(path), kind="sejours", source="PMSI test", stdout=imported)
    assert imported.getvalue().startswith("1 ligne importée ; ") and "(s)" not in imported.getvalue()
    bad = tmp_path / "mauvais.csv"
    bad.write_text("annee;finess_et;code_geo;champ;sejours\n2025;1;78100;MCO;3\n")
    with pytest.raises(CommandError, match=r"Fichier refusé \(1 ligne en cause\)"):
        call_command("import_inputs", str(bad), kind="sejours", source="PMSI test", stderr=StringIO())
    out = StringIO()
    call_command("compute_indicators", year=2025, region="11", stdout=out)
    assert "1 / 1 indicateurs calculés" in out.getvalue() and "Taux de fuite : 0 % (0 / 3)" in out.getvalue()
    from django.conf import settings

    where = "dans ce processus" if settings.CELERY_TASK_ALWAYS_EAGER else "par le service de tâches en arrière-plan"
    assert where in out.getvalue() and "valeur modifiée" in out.getvalue()
    assert "(s)" not in out.getvalue() and "worker" not in out.getvalue()


# --- Real public figures ------------------------------------------------------------------------


def _automatable(world, computation, **fields):
    commitment = world["cpom_a_draft"].commitments.create(
        title="Public", action_kind="filieres", theme="medicales", objective="o", position=9
    )
    return IndicatorFactory(commitment=commitment, kind="automatisable", computation=computation, **fields)


def test_hospidiag_market_shares_give_a_leakage_proxy(world):
    from indicators.public_figures import load_market_shares

    a = world["entities"]["a"]  # the GHT's support
    data = (
        "finess,zone,A1,A2,A3,A4,A5,A6\n"
        f'{a.finess},{a.finess},"        40,5",,,"   1,0",,\n'
        f'{world["sites"]["b"].finess},{a.finess},"        12,0",.c,,,,\n'
        f'999999999,{a.finess},"        47,5",,,,,\n'
        f'{a.finess},999999999,"        90,0",,,,,\n'
    ).encode()
    assert load_market_shares(data) == 5
    indicator = _automatable(world, "fuite_hospidiag", value_type="pourcentage")
    result = computations.leakage_proxy(indicator, 2022)
    # The members hold 40.5 + 12 = 52.5 % of the support's zone: 47.5 % goes elsewhere.
    assert result.value == Decimal("47.5") and result.inputs["part de marché des membres du GHT (%)"] == "52.5"
    assert "2022" in computations.leakage_proxy(indicator, 2023).reason
    indicator.market_activity = "A2"  # only a secret value there: no share held by the members
    assert computations.leakage_proxy(indicator, 2022).reason.startswith("La zone d’attractivité")


def test_scansante_activity_and_its_evolution(world):
    from indicators.public_figures import load_activity

    a, site = world["entities"]["a"], world["sites"]["a"]
    header = "Catégorie,Finess,Raison Sociale,Période,Nombre de séjoursséances total,complète,partielle,séances\n"
    load_activity((header + f"CH,{a.finess},CH ALPHA,M12,9 699,5 997,3 702,438\n,,Total,,NA,NA,NA,NA\n").encode(), 2023)
    load_activity((header + f'CH,{a.finess},CH ALPHA,M12,"10 200",1,1,1\nCH,{a.finess},CH ALPHA (doublon),M12,"10 200",1,1,1\n').encode(), 2024)  # fmt: skip
    indicator = _automatable(world, "activite_mco", value_type="effectif")
    result = computations.mco_activity(indicator, 2024)
    assert result.value == 10200 and result.inputs["séjours 2023"] == 9699 and result.inputs["évolution (%)"] == "5.2"
    assert "publiée pour 2023 et 2024" in computations.mco_activity(indicator, 2022).reason
    load_activity((header + f"CLI,{site.finess},SITE,M12,1 à 10,0,0,0\n").encode(), 2021)
    assert "masqué" in computations.mco_activity(indicator, 2021).reason


def test_a_new_member_of_the_ght_changes_the_stored_rate(world, leakage):
    from tests.cooperations.factories import MembershipFactory

    _stays(world, (leakage["a"], "78100", "MCO", 9), (leakage["c"], "78100", "MCO", 1))
    first, _changed = computations.store(leakage["indicator"], 2025)
    assert first.value == Decimal("10.00")
    MembershipFactory(structure=world["ght_idf"], legal_entity=world["entities"]["c"])  # same files, new territory
    again, changed = computations.store(leakage["indicator"], 2025)
    assert changed and again.value == Decimal("0.00")


def test_a_failed_run_says_so(world, monkeypatch):
    def broken(indicator, year, run=None):
        raise RuntimeError("base indisponible")

    monkeypatch.setattr(computations, "store", broken)
    run = ComputationRun.objects.create(year=2025, region=world["campaign_idf"].region)
    with pytest.raises(RuntimeError):
        services.run_computation(run.pk)
    run.refresh_from_db()
    assert run.status == "refuse" and "base indisponible" in run.error
