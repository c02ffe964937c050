"""What a computation may read: a négociateur imports only his région's
stays and costs, and a territory's value is computed from the national
imports and those of its own région, never another région's; the value
records the imports it read."""

from decimal import Decimal

import pytest
from django.urls import reverse

from indicators import computations
from indicators.inputs import import_inputs
from indicators.models import ComputedValue, HospitalStay, InputImport, SupportCost
from tests.cooperations.factories import EstablishmentFactory, LegalEntityFactory, department
from tests.cpom.factories import IndicatorFactory

pytestmark = pytest.mark.usefixtures("follow_up_scenario")

STAYS_HEADER = "annee;finess_et;code_geo;champ;sejours"


def _csv(*lines):
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture
def ght_leakage(world):
    """The leakage indicator of entity A (GHT of Île-de-France) and a site of
    Yvelines outside the GHT: its stays of the GHT's residents leak."""
    indicator = world["cpom_a_old"].commitments.get().indicators.get(kind="automatisable")
    outsider = EstablishmentFactory(legal_entity=LegalEntityFactory(department=department("78")))
    return indicator, outsider.finess


def _foreign_batch(world, kind="sejours"):
    """An import of région 32 as if its rows had got past the importer."""
    return InputImport.objects.create(
        kind=kind, source="Import d’une autre région", region=world["campaign_hdf"].region, year=2025,
        original_name="autre.csv", sha256="0" * 64, rows=15, status=InputImport.Status.DONE,
        created_by=world["users"]["negotiator_other"],
    )  # fmt: skip


def _foreign_stays(world, site, stays=1000, lines=15):
    """Rows of région 32 for a site of Yvelines, 78100 residents: they would leak."""
    batch = _foreign_batch(world)
    HospitalStay.objects.bulk_create(
        HospitalStay(batch=batch, year=2025, site_finess=site, site_department="78", home_area="78100",
                     home_department="78", activity_field="MCO", stays=stays)
        for _line in range(lines)
    )  # fmt: skip
    return batch


def test_a_negotiator_cannot_import_stays_of_another_region(world, ght_leakage):
    indicator, outsider = ght_leakage
    before = computations.leakage_rate(indicator, 2025).value
    site_c = world["sites"]["c"].finess
    data = _csv(STAYS_HEADER, f"2025;{site_c};59100;MCO;4", f"2025;{outsider};78100;MCO;1000")
    record = import_inputs("sejours", "PMSI pirate", data, "s.csv", world["users"]["negotiator_other"])
    assert record.status == InputImport.Status.REFUSED and record.rows == 0
    assert record.report["errors"] == [
        {
            "line": 3,
            "reason": f"FINESS {outsider} (département 78) et patients résidant dans le 78 : hors de votre région",
        }
    ]
    assert not HospitalStay.objects.filter(batch=record).exists()  # not even the good line
    assert computations.leakage_rate(indicator, 2025).value == before


def test_a_negotiator_cannot_import_costs_of_another_region(world):
    entity_a, entity_c = world["entities"]["a"].finess, world["entities"]["c"].finess
    data = _csv("annee;finess;fonction;cout;unites", f"2025;{entity_c};biologie;10;5", f"2025;{entity_a};biologie;10;5")
    record = import_inputs("couts", "RTC", data, "c.csv", world["users"]["negotiator_other"])
    assert record.status == InputImport.Status.REFUSED
    assert record.report["errors"] == [{"line": 3, "reason": f"FINESS {entity_a} hors de votre région"}]
    assert not SupportCost.objects.filter(batch=record).exists()


def test_another_regions_rows_never_reach_a_territory(world, ght_leakage):
    indicator, outsider = ght_leakage
    before = computations.leakage_rate(indicator, 2025)
    assert (before.numerator, before.denominator) == (0, 9)
    batch = _foreign_stays(world, outsider)  # the 15 lines of the finding, as if imported
    after = computations.leakage_rate(indicator, 2025)
    assert (after.value, after.numerator, after.denominator) == (before.value, 0, 9)
    assert batch.pk not in after.imports
    # Nor the département's rate, alone or all départements at once.
    result = computations.territory_leakage("78", 2025, "MCO", department="78")
    assert (result.numerator, result.denominator) == (0, 9)
    assert computations.leakage_by_department(2025)["78"] == (0, 9)


def test_another_regions_costs_never_reach_an_establishment(world):
    entity = world["entities"]["a"]
    commitment = world["cpom_a_draft"].commitments.create(
        title="Biologie commune",
        action_kind="fonctions_support",
        theme="plateaux_techniques",
        objective="o",
        position=2,
    )
    indicator = IndicatorFactory(
        commitment=commitment, label="Coût du B", kind="automatisable", computation="cout_fonctions_support",
        value_type="nombre", support_function="biologie",
    )  # fmt: skip
    national = import_inputs("couts", "RTC", _csv("annee;finess;fonction;cout;unites", f"2025;{entity.finess};biologie;100;50"), "c.csv")  # fmt: skip
    batch = _foreign_batch(world, kind="couts")
    SupportCost.objects.create(
        batch=batch, year=2025, finess=entity.finess, legal_entity_finess=entity.finess, function="biologie",
        cost=Decimal("900000"), units=Decimal("1"),
    )  # fmt: skip
    result = computations.support_cost(indicator, 2025)
    assert (result.numerator, result.denominator, result.value) == (100, 50, Decimal("2.0000"))
    assert result.imports == [national.pk]


def test_national_and_own_region_imports_are_read(world, ght_leakage):
    indicator, outsider = ght_leakage
    national = world["input_import"]  # the admin's: site A, 9 stays of 78100 residents
    assert national.region is None
    own = import_inputs(
        "sejours", "PMSI régional", _csv(STAYS_HEADER, f"2025;{outsider};78100;MCO;3"), "s.csv",
        world["users"]["negotiator"],
    )  # fmt: skip
    assert own.status == InputImport.Status.DONE and own.region == world["campaign_idf"].region
    _foreign_stays(world, outsider)
    result = computations.leakage_rate(indicator, 2025)
    assert (result.numerator, result.denominator, result.value) == (3, 12, Decimal("25.00"))
    assert result.imports == sorted([national.pk, own.pk])


def test_the_computed_value_lists_its_imports(client, world, ght_leakage):
    indicator, outsider = ght_leakage
    _foreign_stays(world, outsider, stays=7, lines=1)
    value, changed = computations.store(indicator, 2025)
    assert changed and list(value.imports.all()) == [world["input_import"]]
    # A new import read by the value changes its checksum: the value is rewritten with it.
    own = import_inputs(
        "sejours", "PMSI régional", _csv(STAYS_HEADER, f"2025;{world['sites']['a'].finess};78100;MCO;1"), "s.csv",
        world["users"]["negotiator"],
    )  # fmt: skip
    value, changed = computations.store(indicator, 2025)
    assert changed and set(value.imports.all()) == {world["input_import"], own}
    assert ComputedValue.objects.get(pk=value.pk).inputs_checksum == value.inputs_checksum
    client.force_login(world["users"]["director"])
    page = client.get(reverse("indicators:indicator_detail", args=[indicator.pk])).content.decode()
    assert (
        "Imports utilisés : PMSI régional 2025" in page
        and f"PMSI test 2025 (n° {world['input_import'].pk}, national" in page
    )
    assert "Import d’une autre région" not in page
