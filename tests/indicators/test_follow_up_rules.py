"""The rules of the follow-up, where they live: campaigns, the state machine
of a declaration, who may do what, the status against targets, reminders."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role
from indicators import services
from indicators.follow_up import campaigns_to_remind, entity_rows, region_totals, reminder_recipients
from indicators.models import Campaign, Declaration, DeclarationEvent, DeclarationStatus
from indicators.progress import Progress, build_chart, indicator_progress, meets, summarise
from indicators.tasks import send_campaign_reminders
from tests.accounts.factories import UserFactory
from tests.indicators.factories import open_campaign_for

pytestmark = pytest.mark.usefixtures("follow_up_scenario")

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _today():
    """Today as each test runs: a suite that crosses midnight (Paris) must not compare with yesterday."""
    global TODAY
    TODAY = timezone.localdate()


def _entry(indicator, raw, **fields):
    return services.Entry(indicator, *indicator.parse(raw), **fields)


def _declare(world, raw="12", indicator=None, submit=False, user=None):
    indicator = indicator or world["indicators_a_old"][1]
    services.save_declarations(
        user or world["users"]["director"],
        world["campaign_idf"],
        world["entities"]["a"].pk,
        [_entry(indicator, raw)],
        submit=submit,
    )
    return Declaration.objects.get(indicator=indicator, year=2025)


# --- Campaigns ----------------------------------------------------------------------------------


def test_a_campaign_covers_the_signed_cpoms_in_force_by_default(world):
    campaign = world["campaign_idf"]
    assert list(campaign.cpoms.all()) == [world["cpom_a_old"]]
    # 2026: cpom_b_signed is in force; cpom_a (concertation) and the 2031 draft are not signed.
    nego = world["users"]["negotiator"]
    later = open_campaign_for(nego, campaign.region, 2026, None)
    assert list(later.cpoms.all()) == [world["cpom_b_signed"]]


def test_one_campaign_per_region_and_year(world):
    nego = world["users"]["negotiator"]
    with pytest.raises(ValidationError, match="existe déjà"):
        open_campaign_for(nego, world["campaign_idf"].region, 2025, None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.create(
            region=world["campaign_idf"].region, year=2025, opens_on=TODAY, closes_on=TODAY, corrections_until=TODAY
        )


def test_a_campaign_refuses_windows_out_of_order_and_foreign_cpoms(world):
    nego = world["users"]["negotiator"]
    region = world["campaign_idf"].region
    with pytest.raises(ValidationError, match="clôture"):
        services.open_campaign(nego, region, 2027, TODAY, TODAY - datetime.timedelta(days=1), TODAY)
    with pytest.raises(ValidationError, match="signés de sa région"):
        services.open_campaign(nego, region, 2026, TODAY, TODAY, TODAY, [world["cpom_a"]])  # not signed
    with pytest.raises(ValidationError, match="signés de sa région"):
        services.open_campaign(nego, region, 2025, TODAY, TODAY, TODAY, [world["cpom_c_old"]])  # another région
    with pytest.raises(ValidationError, match="rien à suivre"):
        services.open_campaign(nego, region, 2040, TODAY, TODAY, TODAY)
    assert Campaign.objects.count() == 2


@pytest.mark.parametrize("role", ["observer", "director", "negotiator_other"])
def test_only_the_ars_of_the_region_opens_a_campaign(world, role):
    with pytest.raises(PermissionDenied):
        open_campaign_for(world["users"][role], world["campaign_idf"].region, 2026, None)


def test_opening_tells_each_director_by_email(world, eager, django_capture_on_commit_callbacks):
    director_b = UserFactory(role=Role.DIRECTOR, legal_entity=world["entities"]["b"], email="dir.b@ch-bravo.fr")
    with django_capture_on_commit_callbacks(execute=True):
        open_campaign_for(world["users"]["negotiator"], world["campaign_idf"].region, 2026, None)
    assert [m.to for m in mail.outbox] == [[director_b.email]]
    assert "Campagne de suivi 2026" in mail.outbox[0].subject
    assert "/suivi/mes-indicateurs/" in mail.outbox[0].body


def test_phases_follow_the_windows(world):
    campaign = world["campaign_idf"]
    assert campaign.phase(campaign.opens_on - datetime.timedelta(days=1)) == "a_venir"
    assert campaign.phase(campaign.closes_on) == "declaration"
    assert campaign.phase(campaign.closes_on + datetime.timedelta(days=1)) == "correction"
    assert campaign.phase(campaign.corrections_until + datetime.timedelta(days=1)) == "close"


# --- Declarations: the state machine ------------------------------------------------------------


def test_draft_submitted_sent_back_submitted_validated(world, eager, django_capture_on_commit_callbacks):
    world["users"]["director"].email = "dir.a@ch-alpha.fr"
    world["users"]["director"].save()
    nego = world["users"]["negotiator"]
    declaration = _declare(world, "12")
    assert declaration.status == DeclarationStatus.DRAFT and declaration.value == Decimal(12)
    declaration = _declare(world, "13", submit=True)
    assert declaration.status == DeclarationStatus.SUBMITTED and declaration.value == Decimal(13)
    with django_capture_on_commit_callbacks(execute=True):
        services.send_back(nego, declaration, "Chiffre à justifier")
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.SENT_BACK
    assert mail.outbox[-1].to == ["dir.a@ch-alpha.fr"] and "Chiffre à justifier" in mail.outbox[-1].body
    declaration = _declare(world, "14", submit=True)
    assert declaration.status == DeclarationStatus.SUBMITTED
    services.validate_declaration(nego, declaration)
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.VALIDATED and declaration.value == Decimal(14)
    steps = list(declaration.events.values_list("previous_status", "status", "user__username", "reason"))
    assert steps == [
        ("", "brouillon", "dir_a", ""),
        ("brouillon", "soumise", "dir_a", ""),
        ("soumise", "renvoyee", "nego_idf", "Chiffre à justifier"),
        ("renvoyee", "soumise", "dir_a", ""),
        ("soumise", "validee", "nego_idf", ""),
    ]


def test_a_second_declaration_updates_the_draft(world):
    _declare(world, "12")
    _declare(world, "15")
    assert Declaration.objects.filter(indicator=world["indicators_a_old"][1]).count() == 1
    assert Declaration.objects.get(indicator=world["indicators_a_old"][1]).value == 15


def test_a_validated_value_is_frozen(world):
    declaration = world["declaration_a"]
    services.validate_declaration(world["users"]["negotiator"], declaration)
    with pytest.raises(ValidationError, match="validée"):
        _declare(world, "99", indicator=declaration.indicator)
    with pytest.raises(ValidationError, match="Seule une valeur soumise"):
        services.send_back(world["users"]["negotiator"], declaration, "Trop tard")
    declaration.refresh_from_db()
    assert declaration.value == 11 and declaration.status == DeclarationStatus.VALIDATED


def test_a_submitted_value_waits_for_the_ars(world):
    with pytest.raises(ValidationError, match="soumise"):
        _declare(world, "99", indicator=world["declaration_a"].indicator)


def test_illegal_transitions_are_refused(world):
    draft = _declare(world, "12")
    with pytest.raises(ValidationError):
        services.validate_declaration(world["users"]["negotiator"], draft)
    with pytest.raises(ValidationError):
        services.send_back(world["users"]["negotiator"], draft, "Non")


def test_sending_back_needs_a_reason(world):
    with pytest.raises(ValidationError, match="motif"):
        services.send_back(world["users"]["negotiator"], world["declaration_a"], "  ")
    assert Declaration.objects.get(pk=world["declaration_a"].pk).status == DeclarationStatus.SUBMITTED


def test_submitting_with_nothing_filled_is_refused_and_saves_nothing(world):
    with pytest.raises(ValidationError, match="Aucune valeur"):
        services.save_declarations(
            world["users"]["director"],
            world["campaign_idf"],
            world["entities"]["a"].pk,
            [services.Entry(world["indicators_a_old"][1], comment="Plus tard")],
            submit=True,
        )
    assert not Declaration.objects.filter(indicator=world["indicators_a_old"][1]).exists()


def test_a_bad_entry_saves_nothing_of_the_others(world):
    other_campaign_indicator = world["cpom_c_old"].commitments.get().indicators.get()
    with pytest.raises(ValidationError, match="pas à déclarer"):
        services.save_declarations(
            world["users"]["director"],
            world["campaign_idf"],
            world["entities"]["a"].pk,
            [_entry(world["indicators_a_old"][1], "12"), _entry(other_campaign_indicator, "3")],
        )
    assert not Declaration.objects.filter(indicator=world["indicators_a_old"][1]).exists()


def test_the_computed_indicator_is_not_declared_by_hand(world):
    computed = world["cpom_a_old"].commitments.get().indicators.get(kind="automatisable")
    with pytest.raises(ValidationError, match="pas à déclarer"):
        _declare(world, "12", indicator=computed)


@pytest.mark.parametrize("role", ["negotiator", "observer", "director_other", "negotiator_other"])
def test_only_the_director_of_the_entity_declares(world, role):
    with pytest.raises(PermissionDenied):
        _declare(world, "12", user=world["users"][role])


def test_an_admin_may_declare_for_the_establishment(world):
    assert _declare(world, "12", user=world["users"]["admin"]).updated_by == world["users"]["admin"]


@pytest.mark.parametrize("role", ["observer", "director", "negotiator_other"])
def test_only_the_ars_of_the_region_validates(world, role):
    with pytest.raises(PermissionDenied):
        services.validate_declaration(world["users"][role], world["declaration_a"])
    with pytest.raises(PermissionDenied):
        services.send_back(world["users"][role], world["declaration_a"], "Non")
    with pytest.raises(PermissionDenied):
        services.add_note(world["users"][role], world["declaration_a"], "Note")


def test_declarations_outside_an_open_campaign_are_refused(world):
    campaign = world["campaign_idf"]
    campaign.opens_on = TODAY + datetime.timedelta(days=1)
    campaign.closes_on = campaign.corrections_until = TODAY + datetime.timedelta(days=5)
    campaign.save()
    with pytest.raises(ValidationError, match="pas encore ouverte"):
        _declare(world, "12")
    campaign.opens_on = campaign.closes_on = campaign.corrections_until = TODAY - datetime.timedelta(days=1)
    campaign.save()
    with pytest.raises(ValidationError, match="close"):
        _declare(world, "12")


def test_the_correction_window_takes_only_sent_back_values(world):
    nego = world["users"]["negotiator"]
    services.send_back(nego, world["declaration_a"], "À revoir")
    campaign = world["campaign_idf"]
    campaign.opens_on = TODAY - datetime.timedelta(days=20)
    campaign.closes_on = TODAY - datetime.timedelta(days=1)
    campaign.save()
    with pytest.raises(ValidationError, match="seules les valeurs renvoyées"):
        _declare(world, "12")
    corrected = _declare(world, "10", indicator=world["declaration_a"].indicator, submit=True)
    assert corrected.status == DeclarationStatus.SUBMITTED and corrected.value == 10


def test_internal_notes_are_kept(world):
    note = services.add_note(world["users"]["negotiator"], world["declaration_a"], "Appeler le DAF")
    assert list(world["declaration_a"].notes.values_list("text", flat=True)) == [
        "À recouper avec le bilan social",
        "Appeler le DAF",
    ]
    assert note.author == world["users"]["negotiator"]
    with pytest.raises(ValidationError):
        services.add_note(world["users"]["negotiator"], world["declaration_a"], " ")


def test_a_declaration_is_unique_per_indicator_and_year(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Declaration.objects.create(
            indicator=world["declaration_a"].indicator, campaign=world["campaign_idf"], year=2025, value=1
        )


# --- Dashboard and reminders --------------------------------------------------------------------


def test_dashboard_rows_count_each_state(world):
    nego = world["users"]["negotiator"]
    _declare(world, "12")  # draft of the second indicator
    services.validate_declaration(nego, world["declaration_a"])
    rows = entity_rows(world["campaign_idf"])
    assert [(r.name, r.due, r.draft, r.submitted, r.validated, r.sent_back, r.late) for r in rows] == [
        ("CH Alpha", 2, 1, 0, 1, 0, 0)
    ]
    assert rows[0].completion == 50
    # Once the window has closed, the draft is late.
    later = world["campaign_idf"].closes_on + datetime.timedelta(days=1)
    assert entity_rows(world["campaign_idf"], later)[0].late == 1
    assert region_totals(rows).completion == 50


def test_reminder_selection(world):
    campaign = world["campaign_idf"]
    director_a = world["users"]["director"]
    director_a.email = "dir.a@ch-alpha.fr"
    director_a.save()
    # Closing in 20 days: not yet.
    assert campaign not in campaigns_to_remind(TODAY)
    assert campaign in campaigns_to_remind(campaign.closes_on - datetime.timedelta(days=7))
    assert campaign not in campaigns_to_remind(campaign.closes_on - datetime.timedelta(days=8))
    assert campaign not in campaigns_to_remind(campaign.closes_on + datetime.timedelta(days=1))
    # Entity A still misses its second value: its director is reminded, with the count.
    assert reminder_recipients(campaign) == [(director_a, 1)]
    _declare(world, "12", submit=True)
    assert reminder_recipients(campaign) == []


def test_reminder_task_sends_once(world, eager):
    campaign = world["campaign_idf"]
    campaign.closes_on = TODAY + datetime.timedelta(days=7)
    campaign.save()
    director_a = world["users"]["director"]
    director_a.email = "dir.a@ch-alpha.fr"
    director_a.save()
    assert send_campaign_reminders() == 1
    assert mail.outbox[0].to == ["dir.a@ch-alpha.fr"] and "Il vous reste 1 valeur à soumettre." in mail.outbox[0].body
    assert send_campaign_reminders() == 0
    campaign.refresh_from_db()
    assert campaign.reminder_sent_on == TODAY


# --- Status against targets ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "value", "target", "expected"),
    [
        ("hausse", 12, 10, True),
        ("hausse", 10, 10, True),
        ("hausse", 9, 10, False),
        ("baisse", 8, 10, True),
        ("baisse", 11, 10, False),
    ],
)
def test_meets_by_direction(direction, value, target, expected):
    assert meets(direction, Decimal(value), Decimal(target)) is expected


class _Indicator:
    def __init__(self, direction, value_type="effectif", baseline=None):
        self.direction, self.value_type, self.baseline_value = direction, value_type, baseline
        self.baseline_year, self.unit, self.scale_levels = None, "", ""


TARGETS_UP = {2024: Decimal(10), 2025: Decimal(12), 2026: Decimal(14)}
TARGETS_DOWN = {2024: Decimal("0.30"), 2025: Decimal("0.28"), 2026: Decimal("0.25")}


@pytest.mark.parametrize(
    ("direction", "targets", "values", "expected"),
    [
        ("hausse", TARGETS_UP, {}, Progress.MISSING),
        ("hausse", TARGETS_UP, {2025: Decimal(14)}, Progress.REACHED),
        ("hausse", TARGETS_UP, {2025: Decimal(12)}, Progress.ON_TRACK),
        ("hausse", TARGETS_UP, {2025: Decimal(11)}, Progress.LATE),
        ("hausse", TARGETS_UP, {2024: Decimal(9), 2025: Decimal(13)}, Progress.ON_TRACK),
        ("baisse", TARGETS_DOWN, {2025: Decimal("0.24")}, Progress.REACHED),
        ("baisse", TARGETS_DOWN, {2025: Decimal("0.27")}, Progress.ON_TRACK),
        ("baisse", TARGETS_DOWN, {2025: Decimal("0.29")}, Progress.LATE),
        # « Atteindre » towards a lower target from a higher baseline.
        ("atteinte", TARGETS_DOWN, {2025: Decimal("0.29")}, Progress.LATE),
    ],
)
def test_progress_against_targets(direction, targets, values, expected):
    indicator = _Indicator(direction, baseline=Decimal("0.40") if direction == "atteinte" else None)
    assert indicator_progress(indicator, values, targets) == expected


def test_text_indicators_are_followed_in_words():
    assert indicator_progress(_Indicator("hausse", "texte"), {2025: None}, {}) == Progress.QUALITATIVE


def test_summary_takes_the_worst_status():
    worst, counts = summarise([Progress.REACHED, Progress.LATE, Progress.ON_TRACK])
    assert worst == Progress.LATE and counts[Progress.REACHED] == 1
    assert summarise([])[0] == Progress.MISSING


def test_chart_places_values_and_targets(world):
    indicator = world["indicators_a_old"][0]
    chart = build_chart(indicator, [2024, 2025], {2025: Decimal(11)}, {2024: Decimal(10), 2025: Decimal(11)})
    assert [p.year for p in chart.targets] == [2024, 2025] and [p.year for p in chart.values] == [2025]
    # Same value, same height; the later year further right; inside the plot.
    assert chart.values[0].y == chart.targets[1].y and chart.targets[1].x > chart.targets[0].x
    assert chart.top <= chart.values[0].y <= chart.bottom
    assert build_chart(_Indicator("hausse", "texte"), [2025], {}, {}) is None


def test_events_record_who_and_when(world):
    event = DeclarationEvent.objects.filter(declaration=world["declaration_a"]).last()
    assert event.user == world["users"]["director"] and event.status == DeclarationStatus.SUBMITTED


def test_a_broker_down_does_not_undo_a_send_back(world, monkeypatch, django_capture_on_commit_callbacks):
    from indicators import tasks

    def unreachable(*args, **kwargs):
        raise ConnectionRefusedError("Redis is down")

    monkeypatch.setattr(tasks.notify_declaration_sent_back, "delay", unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        services.send_back(world["users"]["negotiator"], world["declaration_a"], "À revoir")
    assert Declaration.objects.get(pk=world["declaration_a"].pk).status == DeclarationStatus.SENT_BACK


def test_correcting_after_closing_ignores_a_leftover_draft(world):
    nego = world["users"]["negotiator"]
    _declare(world, "12")  # a draft of the second value, never submitted
    services.send_back(nego, world["declaration_a"], "À revoir")
    campaign = world["campaign_idf"]
    campaign.opens_on = TODAY - datetime.timedelta(days=20)
    campaign.closes_on = TODAY - datetime.timedelta(days=1)
    campaign.save()
    corrected = _declare(world, "10", indicator=world["declaration_a"].indicator, submit=True)
    assert corrected.status == DeclarationStatus.SUBMITTED
    assert Declaration.objects.get(indicator=world["indicators_a_old"][1]).status == DeclarationStatus.DRAFT


def test_no_send_back_once_the_campaign_is_closed(world):
    campaign = world["campaign_idf"]
    campaign.opens_on = campaign.closes_on = campaign.corrections_until = TODAY - datetime.timedelta(days=1)
    campaign.save()
    with pytest.raises(ValidationError, match="close"):
        services.send_back(world["users"]["negotiator"], Declaration.objects.get(pk=world["declaration_a"].pk), "Non")
