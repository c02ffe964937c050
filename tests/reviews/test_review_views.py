"""The pages: a review through its forms, the PDFs, the région's page of
reviews (late, statuses by theme, CSV) and the links from the CPOM page."""

import csv
import io
import re

import pytest
from django.urls import reverse

from reviews import services
from reviews.models import Achievement, AnnualReview, Decision, ReviewDocument, ReviewStatus
from tests.reviews.scenarios import close

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("review_scenario")]


def _url(world, year=2024):
    return reverse("reviews:review", args=[world["cpom_a_old"].pk, year])


def test_a_review_through_its_forms(client, review_scenario):
    world = review_scenario
    users = world["users"]
    client.force_login(users["negotiator"])
    page = client.get(_url(world))
    assert page.status_code == 200 and 'data-testid="open-review"' in page.content.decode()
    client.post(_url(world), {"action": "open"})
    review = AnnualReview.objects.get(cpom=world["cpom_a_old"], year=2024)
    item = review.items.get()
    second = world["indicators_a_old"][1]
    client.force_login(users["director"])
    client.post(_url(world), {"action": "remarks", f"etablissement-{item.pk}": "Recrutement en cours"})
    # A director cannot decide: refused.
    assert client.post(_url(world), {"action": "finalize"}).status_code == 403
    assert AnnualReview.objects.get(pk=review.pk).status == ReviewStatus.DRAFT
    client.force_login(users["negotiator"])
    client.post(
        _url(world),
        {"action": "decisions", "meeting_date": "2025-06-12", "attendees": "ARS ; directeur",
         f"statut-{item.pk}": Achievement.ON_TRACK, f"decision-{item.pk}": Decision.REVISE_TARGET,
         f"cibles-{item.pk}": [str(second.pk)], f"note-{item.pk}": "cible 2025 à 8", f"ars-{item.pk}": "Retard expliqué"},
    )  # fmt: skip
    item.refresh_from_db()
    assert (item.status, item.decision, item.ars_remark, item.establishment_remark) == (
        Achievement.ON_TRACK, Decision.REVISE_TARGET, "Retard expliqué", "Recrutement en cours")  # fmt: skip
    assert list(item.revised_indicators.all()) == [second]
    page = client.get(_url(world)).content.decode()
    assert 'data-testid="modal-finalize"' in page and "Confirmer et finaliser" in page
    response = client.post(_url(world), {"action": "finalize"}, follow=True)
    assert "finalisée" in response.content.decode()
    document = ReviewDocument.objects.get(review=review)
    pdf = client.get(reverse("reviews:minutes", args=[world["cpom_a_old"].pk, 2024]))
    assert pdf["Content-Type"] == "application/pdf" and pdf["X-Document-SHA256"] == document.sha256
    assert b"".join(pdf.streaming_content) == document.file.open("rb").read()
    # The observer reads, without a single field to write in.
    client.force_login(users["observer"])
    page = client.get(_url(world)).content.decode()
    assert "Retard expliqué" in page and "<textarea" not in page
    assert client.post(_url(world), {"action": "remarks"}).status_code == 403


def test_the_draft_minutes_are_rendered_not_stored(client, review_scenario):
    world = review_scenario
    services.open_review(world["cpom_a_old"], world["users"]["negotiator"], 2024)
    client.force_login(world["users"]["director"])
    url = reverse("reviews:minutes", args=[world["cpom_a_old"].pk, 2024])
    assert client.get(url)["Content-Type"] == "application/pdf"
    preview = client.get(url + "?apercu=1").content.decode()
    assert "Projet : la revue n’est pas finalisée" in preview and '<html lang="fr">' in preview
    assert not ReviewDocument.objects.exists()


def test_another_region_posting_gets_a_404(client, review_scenario):
    world = review_scenario
    client.force_login(world["users"]["negotiator_other"])
    assert client.post(_url(world), {"action": "open"}).status_code == 404
    client.force_login(world["users"]["director_other"])
    assert client.post(_url(world), {"action": "open"}).status_code == 404
    assert not AnnualReview.objects.exists()


def test_a_refused_step_says_why(client, review_scenario):
    world = review_scenario
    services.open_review(world["cpom_a_old"], world["users"]["negotiator"], 2024)
    client.force_login(world["users"]["negotiator"])
    page = client.post(_url(world), {"action": "finalize"}, follow=True).content.decode()
    assert "Indiquez la date de la réunion." in page


def test_the_region_page_lists_reviews_late_ones_and_statuses_by_theme(
    client, review_scenario, django_assert_max_num_queries
):
    world = review_scenario
    nego = world["users"]["negotiator"]
    review = services.open_review(world["cpom_a_old"], nego, 2024)
    # cpom_b_signed (2026–2030) does not run in 2024; a CPOM of entity B covered by the closed campaign has no review.
    from tests.cpom.factories import signed_cpom

    late = signed_cpom(nego, world["entities"]["b"], 2023, 2025, title="Blanchisserie Bravo")
    world["campaign_idf_2024"].cpoms.add(late)
    client.force_login(world["users"]["observer"])
    with django_assert_max_num_queries(20):
        page = client.get(reverse("reviews:region") + "?annee=2024").content.decode()
    assert "revues finalisées : 0 ; en cours : 1 ; <strong>en retard : 2</strong>" in page
    assert page.count('data-testid="review-row"') == 2 and "CH Charlie" not in page
    assert "Coopérations médicales : réalisé 0, en bonne voie 0, en retard 1, abandonné 0." in page
    # Finalized, it is no longer late; a campaign closed lately does not make a review late yet.
    services.record_decisions(review, nego, meeting_date=None, attendees="", decisions={})
    AnnualReview.objects.filter(pk=review.pk).update(status=ReviewStatus.FINALIZED)
    close(world["campaign_idf_2024"], days_ago=10)
    page = client.get(reverse("reviews:region") + "?annee=2024").content.decode()
    assert "revues finalisées : 1 ; en cours : 0 ; <strong>en retard : 0</strong>" in page


def test_the_region_page_exports_csv(client, review_scenario):
    world = review_scenario
    services.open_review(world["cpom_a_old"], world["users"]["negotiator"], 2024)
    client.force_login(world["users"]["negotiator"])
    response = client.get(reverse("reviews:region") + "?annee=2024&_export=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:6] == ["Entité juridique", "FINESS EJ", "Région", "CPOM", "Année revue", "Revue"]
    assert rows[1][0] == "CH Alpha" and rows[1][5] == "En cours" and rows[1][6] == "oui"
    assert ["Coopérations médicales", "0", "0", "1", "0", "1"] in rows


def test_admin_chooses_the_region(client, review_scenario):
    world = review_scenario
    client.force_login(world["users"]["admin"])
    page = client.get(reverse("reviews:region") + "?annee=2024").content.decode()
    assert "CH Alpha" in page and "CH Charlie" in page
    page = client.get(reverse("reviews:region") + "?annee=2024&region=32").content.decode()
    assert "CH Alpha" not in page and "CH Charlie" in page
    assert client.get(reverse("reviews:region") + "?region=zz").status_code == 404


def test_the_region_page_shows_its_cpoms_a_page_at_a_time(client, review_scenario, monkeypatch):
    """France holds some 2,500 signed CPOMs: the table pages them, the figures above it count them all."""
    from reviews import views

    monkeypatch.setattr(views, "REVIEW_ROWS", 1)
    client.force_login(review_scenario["users"]["admin"])
    url = reverse("reviews:region") + "?annee=2024"
    first, second = (client.get(url + f"&page={n}").content.decode() for n in (1, 2))
    total = int(re.search(r"CPOM signés en cours en 2024 : (\d+)", first).group(1))
    assert total >= 2 and f"1 / {total}" in first
    assert first.count('data-testid="review-row"') == second.count('data-testid="review-row"') == 1
    assert "annee=2024&amp;page=2" in first  # the next page keeps the year
    names = [re.search(r'data-testid="review-row"><td>([^<]+)', page).group(1) for page in (first, second)]
    assert names[0] != names[1]
    assert client.get(url + "&page=abc").status_code == 200  # a bad page number shows the first


def test_the_cpom_page_links_its_reviews(client, review_scenario):
    world = review_scenario
    services.open_review(world["cpom_a_old"], world["users"]["negotiator"], 2024)
    url = world["cpom_a_old"].get_absolute_url()
    client.force_login(world["users"]["negotiator"])
    page = client.get(url).content.decode()
    assert reverse("reviews:review", args=[world["cpom_a_old"].pk, 2024]) in page and "Revue 2025 — à ouvrir" in page
    assert reverse("reviews:evaluation", args=[world["cpom_a_old"].pk]) in page
    client.force_login(world["users"]["director"])
    page = client.get(url).content.decode()
    assert "Revue 2024 — en cours" in page and "Revue 2025" not in page


def test_a_carried_commitment_links_back_to_the_evaluation(client, review_scenario):
    world = review_scenario
    nego = world["users"]["negotiator"]
    evaluation = services.open_evaluation(world["cpom_a_old"], nego)
    services.record_conclusions(evaluation, nego, {}, carry_over={evaluation.items.get().pk})
    client.force_login(nego)
    client.post(reverse("reviews:evaluation", args=[world["cpom_a_old"].pk]), {"action": "reconduct"})
    page = client.get(world["cpom_a"].get_absolute_url()).content.decode()
    assert 'data-testid="carried-from-evaluation"' in page
    assert reverse("reviews:evaluation", args=[world["cpom_a_old"].pk]) in page


def test_the_cpom_list_links_the_region_page_for_the_ars_only(client, review_scenario):
    client.force_login(review_scenario["users"]["observer"])
    assert 'data-testid="region-reviews-link"' in client.get(reverse("cpom:cpom_list")).content.decode()
    client.force_login(review_scenario["users"]["director"])
    assert 'data-testid="region-reviews-link"' not in client.get(reverse("cpom:cpom_list")).content.decode()


def test_the_review_page_queries_do_not_grow_with_the_commitments(client, review_scenario):
    """One commitment or four, each with indicators to send to revision: the same SQL queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cpom.models import Commitment, Indicator
    from tests.cpom.factories import IndicatorFactory

    world = review_scenario
    negotiator = world["users"]["negotiator"]
    client.force_login(negotiator)
    client.post(_url(world), {"action": "open"})
    review = AnnualReview.objects.get(cpom=world["cpom_a_old"], year=2024)
    counts = []
    for grown in (False, True):
        if grown:
            # Straight into the signed CPOM (bulk, past its freeze guard): only the page's reading is measured.
            added = Commitment.objects.bulk_create(
                Commitment(cpom=world["cpom_a_old"], position=10 + n, title=f"Engagement ajouté {n}", objective="M")
                for n in range(3)
            )
            Indicator.objects.bulk_create(IndicatorFactory.build(commitment=c) for c in added for _ in range(2))
            services.refresh_review(review, negotiator)
        client.get(_url(world))
        with CaptureQueriesContext(connection) as queries:
            page = client.get(_url(world)).content.decode()
        assert page.count("Engagement ajouté 2") == (4 if grown else 0)  # its row, its decision, its 2 indicators
        counts.append(len(queries))
    assert review.items.count() == 4
    assert counts[0] == counts[1]
