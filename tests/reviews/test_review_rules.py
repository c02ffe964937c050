"""The rules of the yearly review, where they live: reviews.services."""

import datetime
import hashlib

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from cpom.models import CommitmentStatus, CpomStatus
from notifications.models import Notification
from reviews import services
from reviews.assessment import proposed_status
from reviews.models import Achievement, AnnualReview, Decision, ReviewDocument, ReviewStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("review_scenario")]


def _open(world, user=None):
    return services.open_review(world["cpom_a_old"], user or world["users"]["negotiator"], 2024)


def _decide_all(review, user, decision=Decision.KEEP, **extra):
    decisions = {item.pk: {"status": item.status, "decision": decision, **extra} for item in review.items.all()}
    return services.record_decisions(
        review, user, meeting_date=datetime.date(2025, 6, 12), attendees="ARS, directeur", decisions=decisions
    )


def test_open_prepares_items_from_the_known_values(review_scenario):
    review = _open(review_scenario)
    item = review.items.get()
    lines = {line["label"]: line for line in item.lines}
    first, second = review_scenario["indicators_a_old"]
    assert lines[first.label]["value"] == "12 vacations" and lines[first.label]["progress"] == "atteint"
    assert lines[second.label]["value"] == "5 vacations" and lines[second.label]["progress"] == "en_retard"
    assert lines[first.label]["target"] == "10 vacations"
    # One indicator late: the commitment is proposed late, and retained so until the ARS says otherwise.
    assert item.proposed_status == Achievement.LATE == item.status
    assert review.status == ReviewStatus.DRAFT


@pytest.mark.parametrize("role", ["observer", "director", "negotiator_other"])
def test_only_the_ars_of_the_region_opens_a_review(review_scenario, role):
    with pytest.raises(PermissionDenied):
        _open(review_scenario, review_scenario["users"][role])


def test_admin_opens_a_review(review_scenario):
    assert _open(review_scenario, review_scenario["users"]["admin"]).year == 2024


def test_no_review_while_the_campaign_is_open(review_scenario):
    with pytest.raises(ValidationError, match="n’est pas close"):
        services.open_review(review_scenario["cpom_a_old"], review_scenario["users"]["negotiator"], 2025)


def test_no_review_of_an_unsigned_cpom(review_scenario):
    with pytest.raises(ValidationError, match="CPOM signé"):
        services.open_review(review_scenario["cpom_a"], review_scenario["users"]["negotiator"], 2026)


def test_no_review_without_a_campaign_nor_outside_the_period(review_scenario):
    nego = review_scenario["users"]["negotiator"]
    with pytest.raises(ValidationError, match="Aucune campagne"):
        services.open_review(review_scenario["cpom_b_signed"], nego, 2026)
    with pytest.raises(ValidationError, match="hors de la période"):
        services.open_review(review_scenario["cpom_a_old"], nego, 2023)


def test_one_review_per_year(review_scenario):
    _open(review_scenario)
    with pytest.raises(ValidationError, match="déjà ouverte"):
        _open(review_scenario)


def test_each_side_writes_its_own_remarks(review_scenario):
    users = review_scenario["users"]
    review = _open(review_scenario)
    item = review.items.get()
    services.record_remarks(review, users["negotiator"], {item.pk: " Retard sur la 2e filière. "})
    services.record_remarks(review, users["director"], {item.pk: "Recrutement en cours."})
    item.refresh_from_db()
    assert (item.ars_remark, item.establishment_remark) == ("Retard sur la 2e filière.", "Recrutement en cours.")
    for role in ("observer", "director_other", "negotiator_other"):
        with pytest.raises(PermissionDenied):
            services.record_remarks(review, users[role], {item.pk: "intrusion"})


def test_a_contributor_writes_the_establishment_remarks(review_scenario):
    from accounts.models import Function
    from tests.accounts.factories import UserFactory

    contributor = UserFactory(role="directeur")
    contributor.entity_memberships.update_or_create(
        legal_entity=review_scenario["entities"]["a"], defaults={"function": Function.CONTRIBUTOR}
    )
    review = _open(review_scenario)
    item = review.items.get()
    services.record_remarks(review, contributor, {item.pk: "Brouillon du contributeur"})
    item.refresh_from_db()
    assert item.establishment_remark == "Brouillon du contributeur"


def test_remarks_on_an_item_of_another_review_are_refused(review_scenario):
    review = _open(review_scenario)
    other = services.open_review(review_scenario["cpom_c_old"], review_scenario["users"]["admin"], 2024)
    with pytest.raises(ValidationError):
        services.record_remarks(review, review_scenario["users"]["negotiator"], {other.items.get().pk: "x"})


def test_decisions_are_the_ars_own(review_scenario):
    review = _open(review_scenario)
    with pytest.raises(PermissionDenied):
        _decide_all(review, review_scenario["users"]["director"])


def test_revising_names_the_targets_of_the_commitments_own_indicators(review_scenario):
    nego = review_scenario["users"]["negotiator"]
    review = _open(review_scenario)
    with pytest.raises(ValidationError, match="cochez les indicateurs"):
        _decide_all(review, nego, Decision.REVISE_TARGET)
    foreign = review_scenario["indicator_a"].pk
    with pytest.raises(ValidationError, match="propres indicateurs"):
        _decide_all(review, nego, Decision.REVISE_TARGET, indicators={foreign})


def test_abandon_sets_the_status(review_scenario):
    review = _open(review_scenario)
    _decide_all(review, review_scenario["users"]["negotiator"], Decision.ABANDON)
    assert review.items.get().status == Achievement.ABANDONED


def test_the_meeting_is_not_in_the_future(review_scenario):
    review = _open(review_scenario)
    with pytest.raises(ValidationError, match="futur"):
        services.record_decisions(
            review, review_scenario["users"]["negotiator"], meeting_date=datetime.date(2100, 1, 1), attendees="x",
            decisions={},
        )  # fmt: skip


def test_finalize_needs_the_meeting_and_every_decision(review_scenario):
    review = _open(review_scenario)
    with pytest.raises(ValidationError) as refused:
        services.finalize_review(review, review_scenario["users"]["negotiator"])
    assert len(refused.value.messages) == 3
    assert "Une décision manque pour : « Filière suivie Alpha »." in refused.value.messages


def test_finalize_locks_stores_the_minutes_and_mails_the_directors(
    review_scenario, django_capture_on_commit_callbacks, eager
):
    nego, director = review_scenario["users"]["negotiator"], review_scenario["users"]["director"]
    director.email = "direction@ch-alpha.test"
    director.save()
    review = _open(review_scenario)
    _decide_all(review, nego)
    with django_capture_on_commit_callbacks(execute=True):
        services.finalize_review(review, nego)
    review.refresh_from_db()
    assert review.status == ReviewStatus.FINALIZED and review.finalized_by == nego and review.amendment is None
    document = ReviewDocument.objects.get(review=review)
    data = document.file.read()
    assert data.startswith(b"%PDF") and document.number == 1
    assert hashlib.sha256(data).hexdigest() == document.sha256 and document.size == len(data)
    sent = [m for m in mail.outbox if "Compte rendu de la revue annuelle 2024" in m.subject]
    assert [m.to for m in sent] == [["direction@ch-alpha.test"]]
    assert document.sha256 in sent[0].body
    assert Notification.objects.filter(recipient=review_scenario["users"]["director"], kind="review_document").exists()
    # Locked: nothing more is written, by anyone.
    with pytest.raises(ValidationError, match="finalisé"):
        services.record_remarks(review, review_scenario["users"]["director"], {review.items.get().pk: "trop tard"})
    with pytest.raises(ValidationError, match="finalisé"):
        services.finalize_review(review, nego)


def test_open_an_amendment_lists_the_targets_to_revise(review_scenario):
    nego = review_scenario["users"]["negotiator"]
    first, second = review_scenario["indicators_a_old"]
    review = _open(review_scenario)
    _decide_all(review, nego, Decision.AMEND, indicators={second.pk}, note="cible 2025 ramenée à 8")
    services.finalize_review(review, nego)
    review.refresh_from_db()
    cpom = review_scenario["cpom_a_old"]
    cpom.refresh_from_db()
    assert cpom.status == CpomStatus.PREPARATION
    assert review.amendment.number == 1 and review.amendment == cpom.versions.get(number=1)
    assert f"« {second.label} »" in review.amendment.reason and first.label not in review.amendment.reason
    assert "Revue annuelle 2024" in review.amendment.reason and "cible 2025 ramenée à 8" in review.amendment.reason


def test_no_second_amendment_while_one_is_open(review_scenario):
    from cpom import services as cpom_services

    nego = review_scenario["users"]["negotiator"]
    second = review_scenario["indicators_a_old"][1]
    review = _open(review_scenario)
    _decide_all(review, nego, Decision.AMEND, indicators={second.pk})
    cpom_services.open_amendment(review_scenario["cpom_a_old"], nego, "Autre objet")
    with pytest.raises(ValidationError, match="déjà en cours de rédaction"):
        services.finalize_review(review, nego)
    assert AnnualReview.objects.get(pk=review.pk).status == ReviewStatus.DRAFT


def test_refresh_reads_new_values_and_keeps_remarks(review_scenario):
    from indicators.models import Declaration

    nego = review_scenario["users"]["negotiator"]
    review = _open(review_scenario)
    item = review.items.get()
    services.record_remarks(review, nego, {item.pk: "Gardée"})
    Declaration.objects.filter(indicator=review_scenario["indicators_a_old"][1], year=2024).update(value=11)
    services.refresh_review(review, nego)
    item.refresh_from_db()
    assert item.ars_remark == "Gardée"
    assert {line["value"] for line in item.lines} >= {"11 vacations"}


@pytest.mark.parametrize(
    ("commitment_status", "statuses", "expected"),
    [
        (CommitmentStatus.ABANDONED, ["atteint"], Achievement.ABANDONED),
        (CommitmentStatus.IN_PROGRESS, ["atteint", "atteint", "qualitatif"], Achievement.DONE),
        (CommitmentStatus.IN_PROGRESS, ["atteint", "en_bonne_voie"], Achievement.ON_TRACK),
        (CommitmentStatus.IN_PROGRESS, ["atteint", "non_renseigne"], Achievement.LATE),
        (CommitmentStatus.IN_PROGRESS, ["en_bonne_voie", "en_retard"], Achievement.LATE),
        (CommitmentStatus.DONE, ["qualitatif"], Achievement.DONE),
        (CommitmentStatus.IN_PROGRESS, ["qualitatif"], Achievement.ON_TRACK),
    ],
)
def test_proposed_status(commitment_status, statuses, expected):
    class Commitment:
        status = commitment_status

    assert proposed_status(Commitment, statuses) == expected
