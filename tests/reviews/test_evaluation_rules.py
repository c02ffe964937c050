"""The rules of the final evaluation and of carrying commitments into the next CPOM."""

import datetime
import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cpom import services as cpom_services
from cpom.models import CommitmentPartner, Cpom, CpomStatus
from reviews import services
from reviews.models import ReviewDocument, ReviewStatus
from tests.cpom.factories import CommitmentFactory, cpom_for, indicator_with_targets

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("review_scenario")]


def _open(world, user=None):
    return services.open_evaluation(world["cpom_a_old"], user or world["users"]["negotiator"])


def test_the_evaluation_shows_each_trajectory_and_the_share_of_targets_met(review_scenario):
    evaluation = _open(review_scenario)
    item = evaluation.items.get()
    first, second = review_scenario["indicators_a_old"]
    by_label = {line["label"]: line["years"] for line in item.trajectory}
    # First: 12 in 2024 (target 10, met), 11 submitted but not validated in 2025 (not known, not met).
    assert [(y["year"], y["target"], y["value"], y["met"]) for y in by_label[first.label]] == [
        (2024, "10 vacations", "12 vacations", True),
        (2025, "11 vacations", "—", False),
    ]
    assert [y["met"] for y in by_label[second.label]] == [False, False]
    # Three indicators × two years of numeric targets: one met.
    assert (item.targets_met, item.targets_total, item.share_met) == (1, 6, 17)


def test_only_in_the_last_year(review_scenario):
    nego = review_scenario["users"]["negotiator"]
    with pytest.raises(ValidationError, match="dernière année du CPOM \\(2025\\)"):
        services.open_evaluation(review_scenario["cpom_a_old"], nego, today=datetime.date(2024, 12, 31))
    with pytest.raises(ValidationError, match="CPOM signé"):
        services.open_evaluation(review_scenario["cpom_a"], nego)
    _open(review_scenario)
    with pytest.raises(ValidationError, match="déjà ouverte"):
        _open(review_scenario)


@pytest.mark.parametrize("role", ["observer", "director", "negotiator_other"])
def test_only_the_ars_opens_it(review_scenario, role):
    with pytest.raises(PermissionDenied):
        _open(review_scenario, review_scenario["users"][role])


def test_conclusions_by_side_and_carry_over_by_the_ars(review_scenario):
    users = review_scenario["users"]
    evaluation = _open(review_scenario)
    item = evaluation.items.get()
    services.record_conclusions(evaluation, users["negotiator"], {item.pk: "Tenu à moitié"}, carry_over={item.pk})
    services.record_conclusions(evaluation, users["director"], {item.pk: "À poursuivre"})
    item.refresh_from_db()
    assert (item.ars_conclusion, item.establishment_conclusion, item.carry_over) == (
        "Tenu à moitié",
        "À poursuivre",
        True,
    )
    with pytest.raises(PermissionDenied):
        services.record_conclusions(evaluation, users["director"], {}, carry_over=set())
    with pytest.raises(PermissionDenied):
        services.record_conclusions(evaluation, users["director_other"], {item.pk: "x"})


def test_reconduct_creates_the_next_cpom_with_the_last_known_values_as_baselines(review_scenario):
    nego = review_scenario["users"]["negotiator"]
    source = review_scenario["cpom_a_old"]
    commitment = source.commitments.get()
    evaluation = _open(review_scenario)
    item = evaluation.items.get()
    services.record_conclusions(evaluation, nego, {}, carry_over={item.pk})
    target = services.reconduct(evaluation, nego)
    # Entity A's 2026–2030 CPOM is in concertation: it is the next one, and still editable.
    assert target == review_scenario["cpom_a"]
    carried = target.commitments.get(title=commitment.title)
    item.refresh_from_db()
    evaluation.refresh_from_db()
    assert item.carried_to == carried and evaluation.next_cpom == target
    assert carried.carried_from.get() == item
    assert (carried.theme, carried.action_kind, carried.objective) == (
        commitment.theme, commitment.action_kind, commitment.objective)  # fmt: skip
    first, second = review_scenario["indicators_a_old"]
    copies = {i.label: i for i in carried.indicators.all()}
    assert set(copies) == set(commitment.indicators.values_list("label", flat=True))
    # The last known (validated) value and its year: 2024, since 2025's are not validated.
    assert (copies[first.label].baseline_year, copies[first.label].baseline_value) == (2024, 12)
    assert (copies[second.label].baseline_year, copies[second.label].baseline_value) == (2024, 5)
    assert not copies[first.label].targets.exists()
    # Carried once.
    with pytest.raises(ValidationError, match="Aucun engagement à reconduire"):
        services.reconduct(evaluation, nego)


def test_reconduct_makes_a_draft_when_there_is_no_next_cpom(review_scenario):
    nego, nego_hdf = review_scenario["users"]["negotiator"], review_scenario["users"]["negotiator_other"]
    entity = review_scenario["entities"]["d"]
    source = cpom_for(entity, 2024, 2025, nego_hdf)
    commitment = CommitmentFactory(cpom=source, title="Pharmacie commune Delta")
    CommitmentPartner.objects.create(commitment=commitment, legal_entity=review_scenario["entities"]["c"])
    CommitmentPartner.objects.create(commitment=commitment, structure=review_scenario["ght_hdf"])
    CommitmentPartner.objects.create(commitment=commitment, external_name="Cabinet de radiologie libéral")
    indicator_with_targets(commitment, baseline_value=3, baseline_year=2023)
    cpom_services.mark_ready_to_sign(source, nego_hdf)
    cpom_services.sign(source, nego_hdf, datetime.date(2024, 1, 20))
    evaluation = services.open_evaluation(source, nego_hdf)
    item = evaluation.items.get()
    services.record_conclusions(evaluation, nego_hdf, {}, carry_over={item.pk})
    with pytest.raises(PermissionDenied):
        services.reconduct(evaluation, nego)
    target = services.reconduct(evaluation, nego_hdf)
    # The same length, from the year after, in preparation, with its initial version.
    assert (target.first_year, target.last_year, target.status) == (2026, 2027, CpomStatus.PREPARATION)
    assert target.legal_entity == entity and target.versions.get().number == 0
    copy = target.commitments.get()
    assert copy.title == "Pharmacie commune Delta"
    assert {(p.legal_entity_id, p.structure_id, p.external_name) for p in copy.partners.all()} == {
        (review_scenario["entities"]["c"].pk, None, ""),
        (None, review_scenario["ght_hdf"].pk, ""),
        (None, None, "Cabinet de radiologie libéral"),
    }
    # No value known: the indicator keeps its own baseline.
    assert (copy.indicators.get().baseline_year, copy.indicators.get().baseline_value) == (2023, 3)


def test_reconduct_refuses_a_next_cpom_already_signed(review_scenario):
    nego = review_scenario["users"]["negotiator"]
    entity = review_scenario["entities"]["b"]
    old = cpom_for(entity, 2021, 2025, nego)
    indicator_with_targets(CommitmentFactory(cpom=old))
    cpom_services.mark_ready_to_sign(old, nego)
    cpom_services.sign(old, nego, datetime.date(2021, 2, 1))
    evaluation = services.open_evaluation(old, nego)
    services.record_conclusions(evaluation, nego, {}, carry_over={evaluation.items.get().pk})
    # Entity B's 2026–2030 CPOM is signed.
    with pytest.raises(ValidationError, match="n’est plus en rédaction"):
        services.reconduct(evaluation, nego)
    assert not Cpom.objects.filter(legal_entity=entity, first_year=2026).exclude(
        pk=review_scenario["cpom_b_signed"].pk).exists()  # fmt: skip


def test_finalize_needs_the_ars_conclusions_then_stores_the_report(review_scenario):
    nego = review_scenario["users"]["negotiator"]
    evaluation = _open(review_scenario)
    item = evaluation.items.get()
    with pytest.raises(ValidationError, match="conclusion de l’ARS manque"):
        services.finalize_evaluation(evaluation, nego)
    services.record_conclusions(evaluation, nego, {item.pk: "Bilan mitigé"}, carry_over={item.pk})
    services.finalize_evaluation(evaluation, nego)
    evaluation.refresh_from_db()
    assert evaluation.status == ReviewStatus.FINALIZED
    report = ReviewDocument.objects.get(evaluation=evaluation)
    assert report.number == 1 and hashlib.sha256(report.file.read()).hexdigest() == report.sha256
    with pytest.raises(ValidationError, match="finalisé"):
        services.record_conclusions(evaluation, nego, {item.pk: "changé"})
    # Carrying over after the finalization: a new version of the report says where it went.
    services.reconduct(evaluation, nego)
    assert list(evaluation.documents.values_list("number", flat=True)) == [2, 1]
