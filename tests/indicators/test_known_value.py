"""One rule for the known value of an indicator in a year, whether read in
bulk (known_values: the annex, the progress) or from a prefetched indicator
(indicator_values: the indicator page)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from indicators import selectors
from indicators.models import ComputedValue, Declaration, DeclarationStatus

pytestmark = pytest.mark.usefixtures("follow_up_scenario")


def test_a_validated_value_beats_a_computed_one():
    known = selectors.merge_known([(2024, 1, ""), (2025, 2, "")], [(2025, 3, ""), (2026, None, "oui")])
    assert known == {2024: (1, ""), 2025: (3, ""), 2026: (None, "oui")}


@pytest.mark.django_db
def test_bulk_and_prefetched_reads_agree(world):
    indicator = world["indicator_a"]
    ComputedValue.objects.create(indicator=indicator, year=2026, value=Decimal("5"), computed_at=timezone.now())
    ComputedValue.objects.create(indicator=indicator, year=2027, value=Decimal("6"), computed_at=timezone.now())
    Declaration.objects.create(
        indicator=indicator,
        campaign=world["campaign_idf"],
        year=2027,
        value=Decimal("7"),
        status=DeclarationStatus.VALIDATED,
    )
    Declaration.objects.create(
        indicator=indicator,
        campaign=world["campaign_idf"],
        year=2028,
        value=Decimal("8"),
        status=DeclarationStatus.SUBMITTED,
    )
    bulk = {year: number for year, (number, _t) in selectors.known_values([indicator.pk])[indicator.pk].items()}
    page, _declarations, _computed = selectors.indicator_values(indicator)
    assert bulk == page == {2026: Decimal("5"), 2027: Decimal("7")}
