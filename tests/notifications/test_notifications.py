"""Every step that waits on someone tells them, in the application and by
email unless they turned that kind off; nobody reads another's notifications."""

import datetime

import pytest
from django.core import mail as outbox
from django.core.cache import cache
from django.urls import reverse

from cpom import services as cpom_services
from cpom.models import ProposalStatus
from indicators import services as follow_up
from notifications import services
from notifications.models import Notification
from tests.accounts.factories import UserFactory
from tests.cooperations.factories import LegalEntityFactory, department
from tests.cpom.factories import CommitmentFactory, CpomFactory, indicator_with_targets
from tests.indicators.factories import DeclarationFactory, open_campaign_for

# Emails are delivered in this process (eager tasks), in the test's transaction, in every mode.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager")]


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def sides(django_capture_on_commit_callbacks):
    entity = LegalEntityFactory(name="CH Alpha", department=department("78"))
    negotiator = UserFactory(negotiator=True, username="nego", email="nego@ars.test")
    other_negotiator = UserFactory(negotiator=True, username="nego2", email="nego2@ars.test")
    director = UserFactory(director=True, legal_entity=entity, username="dir", email="dir@ch.test")
    outsider = UserFactory(director=True, legal_entity=LegalEntityFactory(department=department("78")), username="out")
    return {
        "entity": entity,
        "negotiator": negotiator,
        "other_negotiator": other_negotiator,
        "director": director,
        "outsider": outsider,
    }


def kinds_of(user):
    return list(Notification.objects.filter(recipient=user).order_by("pk").values_list("kind", flat=True))


def test_each_step_of_a_cpom_tells_the_side_it_waits_on(sides, django_capture_on_commit_callbacks):
    nego, director = sides["negotiator"], sides["director"]
    with django_capture_on_commit_callbacks(execute=True):
        cpom = CpomFactory(legal_entity=sides["entity"], created_by=nego)
        indicator_with_targets(CommitmentFactory(cpom=cpom))
        cpom_services.share_with_director(cpom, nego, "À relire")
    assert kinds_of(director) == ["cpom_shared"]
    assert kinds_of(nego) == []  # nobody is told of his own step
    assert [m.to for m in outbox.outbox] == [["dir@ch.test"]]
    assert "partagé pour concertation" in outbox.outbox[0].subject
    assert reverse("portal:cpom_detail", args=[cpom.pk]) in outbox.outbox[0].body

    with django_capture_on_commit_callbacks(execute=True):
        cpom_services.return_to_ars(cpom, director, "Nos remarques")
    # The director handed it back: both négociateurs of the région learn it, not the outsider.
    assert kinds_of(nego) == ["cpom_returned"]
    assert kinds_of(sides["other_negotiator"]) == ["cpom_returned"]
    assert kinds_of(sides["outsider"]) == []

    with django_capture_on_commit_callbacks(execute=True):
        cpom_services.mark_ready_to_sign(cpom, nego)
        cpom_services.sign(cpom, nego, datetime.date(2026, 1, 12))
        cpom_services.open_amendment(cpom, nego, "Révision des cibles")
    assert kinds_of(director) == ["cpom_shared", "cpom_ready", "cpom_signed", "cpom_amendment"]


def test_a_proposal_tells_the_ars_and_its_answer_tells_its_author(sides, django_capture_on_commit_callbacks):
    nego, director = sides["negotiator"], sides["director"]
    cpom = CpomFactory(legal_entity=sides["entity"], created_by=nego, shared=True)
    commitment = CommitmentFactory(cpom=cpom)
    with django_capture_on_commit_callbacks(execute=True):
        proposal = cpom_services.propose_change(commitment, director, "field:title", "Nouveau titre", "Plus clair")
    assert kinds_of(nego) == ["proposal_made"]
    with django_capture_on_commit_callbacks(execute=True):
        cpom_services.decide_proposal(proposal, nego, accept=False, note="Titre fixé par le projet régional")
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.REJECTED
    answer = Notification.objects.get(recipient=director, kind="proposal_decided")
    assert "refusée" in answer.title
    assert answer.body == "Titre fixé par le projet régional"


def test_a_value_sent_back_tells_the_director_with_its_reason(sides, django_capture_on_commit_callbacks):
    from tests.cpom.factories import signed_cpom

    nego, director = sides["negotiator"], sides["director"]
    cpom = signed_cpom(nego, sides["entity"], 2024, 2025)
    campaign = open_campaign_for(nego, cpom.region, 2025, [cpom])
    indicator = cpom.commitments.get().indicators.get()
    declaration = DeclarationFactory(campaign=campaign, indicator=indicator, director=director, raw="9", submitted=True)
    Notification.objects.all().delete()
    follow_up.send_back(nego, declaration, "Le dénominateur manque")
    notification = Notification.objects.get(recipient=director)
    assert notification.kind == "declaration_sent_back"
    assert notification.body == "Le dénominateur manque"
    assert notification.link == reverse("indicators:declare", args=[campaign.pk, sides["entity"].finess])


def test_a_rolled_back_step_notifies_nobody(sides):
    from django.db import transaction

    cpom = CpomFactory(legal_entity=sides["entity"], created_by=sides["negotiator"])
    with pytest.raises(RuntimeError), transaction.atomic():
        cpom_services.share_with_director(cpom, sides["negotiator"])
        raise RuntimeError
    assert not Notification.objects.exists()


def test_email_preferences_turn_a_kind_off_and_keep_the_notification(sides, client, django_capture_on_commit_callbacks):
    director = sides["director"]
    client.force_login(director)
    page = client.get(reverse("notifications:preferences"))
    assert page.status_code == 200
    assert "Un CPOM est partagé avec mon établissement pour concertation" in page.content.decode()
    response = client.post(reverse("notifications:preferences"), {"cpom_ready": "on"})
    assert response.status_code == 302
    assert services.email_choices(director)["cpom_shared"] is False
    assert services.email_choices(director)["cpom_ready"] is True
    with django_capture_on_commit_callbacks(execute=True):
        cpom = CpomFactory(legal_entity=sides["entity"], created_by=sides["negotiator"], shared=True)
    assert kinds_of(director) == ["cpom_shared"]
    assert outbox.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        cpom_services.mark_ready_to_sign(cpom, sides["negotiator"])
    assert [m.to for m in outbox.outbox] == [["dir@ch.test"]]


def test_the_header_counts_unread_and_opening_marks_read(sides, client, django_capture_on_commit_callbacks):
    director = sides["director"]
    with django_capture_on_commit_callbacks(execute=True):
        cpom = CpomFactory(legal_entity=sides["entity"], created_by=sides["negotiator"], shared=True)
        cpom_services.return_to_ars(cpom, sides["negotiator"])
    client.force_login(director)
    home = client.get(reverse("notifications:list")).content.decode()
    assert 'data-testid="unread-count">2<' in home
    assert "2 notifications non lues." in home
    first = Notification.objects.filter(recipient=director).order_by("pk").first()
    response = client.get(reverse("notifications:open", args=[first.pk]))
    assert response.status_code == 302
    assert response["Location"] == cpom.get_absolute_url()
    page = client.get(reverse("notifications:list")).content.decode()
    assert 'data-testid="unread-count">1<' in page
    assert "Une notification non lue." in page
    client.post(reverse("notifications:mark_all_read"))
    page = client.get(reverse("notifications:list")).content.decode()
    assert 'data-testid="unread-count"' not in page
    assert "Aucune notification non lue." in page


def test_nobody_opens_or_reads_another_persons_notification(sides, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        CpomFactory(legal_entity=sides["entity"], created_by=sides["negotiator"], shared=True)
    theirs = Notification.objects.get(recipient=sides["director"])
    client.force_login(sides["outsider"])
    assert client.get(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    assert theirs.title not in client.get(reverse("notifications:list")).content.decode()
    client.post(reverse("notifications:mark_all_read"))
    theirs.refresh_from_db()
    assert theirs.is_unread


def test_the_list_costs_the_same_queries_with_many_notifications(sides, client, django_assert_max_num_queries):
    director = sides["director"]
    client.force_login(director)
    services.notify([director], "cpom_signed", "Un", "/")
    client.get(reverse("notifications:list"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("notifications:list"))
    for n in range(60):
        services.notify([director], "cpom_signed", f"Notification {n}", "/", actor=sides["negotiator"])
    client.get(reverse("notifications:list"))
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("notifications:list"))
    assert len(many) == len(few)


def test_bad_parameters_do_not_break_the_list(sides, client):
    client.force_login(sides["director"])
    for query in ("?page=abc", "?page=-4", "?page=99999", "?non_lues=oui", "?page=1e9"):
        assert client.get(reverse("notifications:list") + query).status_code == 200
    # A NUL character is refused before any view, in French (core.middleware).
    assert client.get(reverse("notifications:list") + "?non_lues=%00").status_code == 400
