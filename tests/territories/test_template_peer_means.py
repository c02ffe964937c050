"""The peer means of a library template kept ready (TemplatePeerMeans): the
same distribution as grouping the validated values, and never read once a
value entered or left « validée » until they are computed again."""

from unittest import mock

import pytest

from cpom.models import Cpom, Indicator
from indicators import services
from indicators.models import Declaration
from territories import peers
from territories.models import TemplatePeerMeans
from tests.territories.test_template_peers import _followed

pytestmark = pytest.mark.django_db


def _distribution(user, indicator):
    own = Indicator.objects.select_related("commitment__cpom__region").get(pk=indicator.pk)
    return peers.template_distributions(user, [own])[own.pk]


def _kept(template_id):
    return TemplatePeerMeans.objects.get(template_id=template_id)


def test_kept_means_give_the_distribution_grouping_gives(eager, django_capture_on_commit_callbacks):
    negotiator, directors, indicators = _followed(6)
    template_id = indicators[0].template_id
    TemplatePeerMeans.objects.all().delete()
    grouped = _distribution(negotiator, indicators[0])  # no kept means: grouped from the values
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _distribution(negotiator, indicators[0])
    assert len(callbacks) == 1  # the computation was queued for after the transaction
    kept = _kept(template_id)
    assert kept.is_current and kept.year == 2025 and len(kept.means) == 6
    assert peers.kept_template_means([template_id]) == peers.grouped_template_means([template_id])
    read = _distribution(negotiator, indicators[0])
    assert read == grouped
    assert [name for name, _finess, _value in read.named] == [f"CH Modèle {n}" for n in range(6)]
    assert read.distributions[0].values[50] == 35  # the median of 10…60


def test_a_validation_makes_the_kept_means_stale_until_computed_again(eager, django_capture_on_commit_callbacks):
    negotiator, directors, indicators = _followed(6)
    template_id = indicators[0].template_id
    assert peers.refresh_template_means(template_id) and _kept(template_id).is_current
    declaration = Declaration.objects.get(indicator=indicators[5])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.reopen(negotiator, declaration, "Valeur à reprendre")
    kept = _kept(template_id)
    assert not kept.is_current  # the sixth entity's value is no longer validated
    assert len(peers.kept_template_means([template_id])[template_id][1]) == 5  # grouped, not the stale six
    for callback in callbacks:
        callback()
    kept = _kept(template_id)
    assert kept.is_current and len(kept.means) == 5
    assert peers.kept_template_means([template_id]) == peers.grouped_template_means([template_id])


def test_means_computed_during_a_change_are_not_stored():
    negotiator, directors, indicators = _followed(3)
    template_id = indicators[0].template_id
    TemplatePeerMeans.objects.all().delete()
    grouped = peers.grouped_template_means

    def changed_meanwhile(template_ids):
        result = grouped(template_ids)
        peers.template_means_changed(template_ids)  # a validation committed while the task was reading
        return result

    with mock.patch.object(peers, "grouped_template_means", changed_meanwhile):
        assert peers.refresh_template_means(template_id) is False
    assert not _kept(template_id).is_current
    assert peers.refresh_template_means(template_id) is True
    assert peers.refresh_template_means(template_id) is False  # already current: nothing computed twice


def test_deleting_a_cpom_with_validated_values_makes_the_means_stale():
    negotiator, directors, indicators = _followed(3)
    template_id = indicators[0].template_id
    peers.refresh_template_means(template_id)
    assert _kept(template_id).is_current
    Cpom.objects.filter(commitments__indicators=indicators[2]).delete()
    assert not _kept(template_id).is_current
    assert len(peers.kept_template_means([template_id])[template_id][1]) == 2


def test_the_generated_data_sets_forget_the_kept_means():
    negotiator, directors, indicators = _followed(2)
    peers.refresh_template_means(indicators[0].template_id)
    peers.forget_template_means()
    assert not TemplatePeerMeans.objects.exists()


def test_a_broker_out_of_reach_fails_neither_the_validation_nor_the_page(django_capture_on_commit_callbacks):
    negotiator, directors, indicators = _followed(3)
    template_id = indicators[0].template_id
    declaration = Declaration.objects.get(indicator=indicators[2])
    refused = mock.patch("territories.tasks.refresh_template_peer_means.delay", side_effect=ConnectionError("broker"))
    with refused as delay, django_capture_on_commit_callbacks(execute=True):
        services.reopen(negotiator, declaration, "Valeur à reprendre")
    assert delay.called  # the computation was asked for, and its failure was only logged
    assert Declaration.objects.get(pk=declaration.pk).status == "renvoyee"
    assert not _kept(template_id).is_current  # stale: grouped from the values, never read stale
    assert len(peers.kept_template_means([template_id])[template_id][1]) == 2
