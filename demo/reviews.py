"""The demonstration reviews of the signed 2021–2025 demo CPOM: the 2024
review finalized with its minutes, the 2025 review in progress, the final
evaluation in progress. Remarks and decisions are invented."""

import datetime

from cpom.models import Cpom
from demo.cpoms import DEMO_PREFIX
from reviews import services
from reviews.models import Decision


def build_demo_reviews(negotiator, director):
    entity = director.legal_entities.order_by("pk").first()
    old = Cpom.objects.get(reference=f"{DEMO_PREFIX}2021-{entity.finess}")

    # 2024: its campaign is closed; the review held in June 2025 and finalized (minutes stored and emailed).
    review = services.open_review(old, negotiator, 2024)
    items = list(review.items.select_related("commitment").order_by("position"))
    services.record_remarks(
        review, negotiator, {item.pk: "Trajectoire conforme aux échanges du comité de suivi." for item in items}
    )
    services.record_remarks(
        review, director, {items[0].pk: "L’unité de court séjour gériatrique a accru les adressages en fin d’année."}
    )
    decisions = {item.pk: {"status": item.status, "decision": Decision.KEEP} for item in items}
    if len(items) > 1:
        first = items[1].commitment.indicators.order_by("position", "pk").first()
        decisions[items[1].pk] = {
            "status": items[1].status,
            "decision": Decision.REVISE_TARGET,
            "indicators": {first.pk} if first else set(),
            "note": "Cible 2025 à rediscuter au prochain avenant.",
        }
    services.record_decisions(
        review,
        negotiator,
        meeting_date=datetime.date(2025, 6, 12),
        attendees="Nicolas Négociateur, ARS (délégation départementale)\nDenis Directeur, directeur de l’établissement",
        decisions=decisions,
    )
    services.finalize_review(review, negotiator)

    # 2025: its campaign is still open in the demo, so the review is seeded
    # without the closed-campaign rule of ``open_review``, to show one in progress.
    current = services.seed_review(old, negotiator, 2025)
    first = current.items.order_by("position").first()
    if first is not None:
        services.record_remarks(current, negotiator, {first.pk: "À confirmer une fois les valeurs 2025 validées."})

    # The final evaluation of the period, in progress.
    evaluation = services.open_evaluation(old, negotiator)
    chosen = list(evaluation.items.order_by("position")[:1])
    services.record_conclusions(
        evaluation,
        negotiator,
        {item.pk: "Engagement tenu ; à poursuivre sur la période suivante." for item in chosen},
        carry_over={item.pk for item in chosen},
    )
    return review, current, evaluation
