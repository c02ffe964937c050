"""cpom.rows: the CPOM page's indicator rows written in Python give the markup
of their reference template (cpom/_indicator_rows.html), for a CPOM in
concertation and a signed one followed by a campaign, with indicators
declarative and computed, odd characters, missing targets, none at all."""

import pytest
from django.template.loader import get_template

from cpom.models import Cpom, IndicatorKind
from cpom.rows import indicator_rows
from tests.cpom.factories import CommitmentFactory, IndicatorFactory, indicator_with_targets

pytestmark = pytest.mark.usefixtures("follow_up_scenario")


@pytest.mark.parametrize("key", ["cpom_a", "cpom_b_signed", "cpom_a_old", "cpom_a_draft"])
def test_indicator_rows_are_written_as_their_template_writes_them(client, world, key):
    cpom = world[key]
    status = cpom.status
    Cpom.objects.filter(pk=cpom.pk).update(status="preparation")  # a signed CPOM is frozen: opened to add rows
    odd = CommitmentFactory(cpom=cpom, title="Écarts <b>&</b>")
    indicator_with_targets(odd, label='Délais « moyens » <i>&</i> "x"', data_source="SAE & PMSI <2024>")
    IndicatorFactory(commitment=odd, label="Sans cible", baseline_value=12, baseline_year=2023)  # « à définir »
    IndicatorFactory(
        commitment=odd, computed=True, kind=IndicatorKind.AUTOMATABLE, territory_kind="departement", unit=""
    )
    CommitmentFactory(cpom=cpom, title="Sans indicateur")
    Cpom.objects.filter(pk=cpom.pk).update(status=status)
    client.force_login(world["users"]["admin"])
    response = client.get(cpom.get_absolute_url())
    assert response.status_code == 200
    page, reference = response.content.decode(), get_template("cpom/_indicator_rows.html")
    commitments = response.context["commitments"]
    assert len(commitments) >= 2
    for commitment in commitments:
        expected = reference.render({"c": commitment, "cpom": response.context["cpom"]})
        # Without the reference's comment line, the indentation before its loop and its last line end:
        # on the page, they are around the tag.
        expected = expected.split("\n", 1)[1].removeprefix(" " * 10).removesuffix("\n")
        written = indicator_rows(commitment, response.context["cpom"])
        assert written == expected, commitment.title
        assert written in page
    assert "Aucun indicateur : il en faut au moins un pour signer." in page
    assert "&lt;i&gt;&amp;&lt;/i&gt; &quot;x&quot;" in page and "<i>&</i>" not in page
    assert "à définir" in page and 'data-testid="computation-parameters"' in page
    assert ('<td class="app-nowrap"><span class="fr-badge' in page) == response.context["cpom"].has_been_signed
