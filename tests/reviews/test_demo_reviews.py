"""The demo's reviews: the signed 2021–2025 CPOM of the demo director has a
finalized 2024 review with its minutes, a 2025 review in progress and a
final evaluation in progress."""

import pytest
from django.core.management import call_command

from accounts.models import User
from cpom.models import Cpom
from reviews.models import AnnualReview, FinalEvaluation, ReviewDocument, ReviewStatus


@pytest.mark.django_db
def test_seed_demo_builds_the_reviews():
    call_command("load_reference_data", verbosity=0)
    call_command("seed_demo")
    entity = User.objects.get(username="directeur").legal_entities.get()
    cpom = Cpom.objects.get(reference__startswith="DEMO-2021-", legal_entity=entity)
    reviews = {review.year: review for review in AnnualReview.objects.filter(cpom=cpom)}
    assert reviews[2024].status == ReviewStatus.FINALIZED and reviews[2024].meeting_date is not None
    assert all(item.decision for item in reviews[2024].items.all())
    minutes = ReviewDocument.objects.get(review=reviews[2024])
    assert minutes.number == 1 and minutes.file.open("rb").read(4) == b"%PDF"
    assert reviews[2025].status == ReviewStatus.DRAFT
    evaluation = FinalEvaluation.objects.get(cpom=cpom)
    assert evaluation.status == ReviewStatus.DRAFT and evaluation.items.filter(carry_over=True).exists()
    call_command("seed_demo")  # idempotent
    assert AnnualReview.objects.filter(cpom__reference__startswith="DEMO-2021-").count() == 2
