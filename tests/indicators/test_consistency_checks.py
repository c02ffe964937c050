"""The consistency checks of a declared value and the rules around them:
each check and its threshold, keeping a flagged value with a comment,
corrections acknowledged, reopening a validated value, bulk validation."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.concurrency import edit_token
from core.values import ValueType
from cpom.models import Cpom, Indicator
from indicators import checks, permissions, services
from indicators.checks import FlagCode, percentile
from indicators.models import Campaign, ConsistencyThreshold, Declaration, DeclarationStatus
from indicators.progress import Progress, attach_progress, due_cpom_ids
from tests.accounts.factories import UserFactory
from tests.indicators.validation_cases import YEAR, build_case

# Emails are delivered in this process (eager tasks), in the test's transaction, in every mode.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager")]


def _codes(case, n, raw):
    indicator = case.indicators[n]
    flags = checks.check_values(case.campaign, case.entities[n].pk, {indicator: indicator.parse(raw)[0]})
    return [flag.code for flag in flags.get(indicator.pk, [])]


def _previous(case, n, value):
    """A validated value of the year before for entity ``n`` (a closed campaign's)."""
    indicator = case.indicators[n]
    Indicator.objects.filter(pk=indicator.pk).update(baseline_value=value, baseline_year=YEAR - 1)
    indicator.refresh_from_db()
    case.indicators[n] = indicator


# --- Each check ----------------------------------------------------------------------------------


def test_a_value_near_last_year_and_the_target_is_not_flagged():
    case = build_case()
    _previous(case, 0, Decimal(9))
    assert _codes(case, 0, "11") == []


def test_a_jump_beyond_half_of_last_years_value_is_flagged():
    case = build_case()
    _previous(case, 0, Decimal(10))
    assert _codes(case, 0, "14") == []  # +40 %: within the default 50 %
    assert FlagCode.JUMP in _codes(case, 0, "16")  # +60 %
    assert FlagCode.JUMP in _codes(case, 0, "4")  # -60 %


def test_the_jump_threshold_of_the_template_then_of_the_indicator_apply():
    case = build_case()
    _previous(case, 0, Decimal(10))
    ConsistencyThreshold.objects.create(template=case.template, jump=Decimal(20))
    assert FlagCode.JUMP in _codes(case, 0, "13")  # +30 % > the template's 20 %
    ConsistencyThreshold.objects.create(indicator=case.indicators[0], jump=Decimal(100))
    assert FlagCode.JUMP not in _codes(case, 0, "19")  # +90 % < the indicator's own 100 %


def test_a_value_far_from_the_years_target_is_flagged():
    case = build_case()  # target 2026: 10
    assert FlagCode.TARGET not in _codes(case, 0, "14")
    assert FlagCode.TARGET in _codes(case, 0, "16")
    assert FlagCode.TARGET in _codes(case, 0, "4")
    ConsistencyThreshold.objects.create(template=case.template, target_gap=Decimal(70))
    assert FlagCode.TARGET not in _codes(case, 0, "16")


def test_a_percentage_is_measured_in_points():
    case = build_case(value_type=ValueType.PERCENTAGE, unit="%")
    _previous(case, 0, Decimal(30))
    case.indicators[0].targets.filter(year=YEAR).update(value=Decimal(30))
    assert _codes(case, 0, "44") == []  # +14 points: within 15 and 20
    assert _codes(case, 0, "46") == [FlagCode.JUMP]  # +16 points
    assert set(_codes(case, 0, "55")) == {FlagCode.JUMP, FlagCode.TARGET}


def test_the_regions_other_values_flag_an_outlier_from_five_values_on():
    case = build_case(n=7)
    for n, raw in enumerate(["10", "11", "9", "10"], start=1):
        case.declare(n, raw)
    # Four other values only: no regional comparison.
    assert FlagCode.PEERS not in _codes(case, 0, "30")
    case.declare(5, "12")
    assert FlagCode.PEERS in _codes(case, 0, "30")
    assert FlagCode.PEERS not in _codes(case, 0, "11")
    # Drafts of the others do not count; the entity's own values neither.
    assert FlagCode.PEERS not in _codes(case, 1, "11")


def test_the_percentiles_interpolate_like_the_database():
    assert percentile([Decimal(v) for v in (1, 2, 3, 4, 5)], Decimal("0.5")) == 3
    assert percentile([Decimal(v) for v in (10, 20)], Decimal("0.95")) == Decimal("19.5")


def test_a_number_whose_unit_is_a_percentage_is_within_0_and_100():
    case = build_case(value_type=ValueType.NUMBER, unit="%")
    case.indicators[0].targets.update(value=None)
    assert _codes(case, 0, "120") == [FlagCode.UNIT]
    assert _codes(case, 0, "12") == []


def test_a_number_whose_unit_counts_things_is_whole():
    counted = build_case(value_type=ValueType.NUMBER, unit="patients par an")
    counted.indicators[0].targets.update(value=None)
    assert _codes(counted, 0, "12,5") == [FlagCode.UNIT]
    assert _codes(counted, 0, "12") == []


# --- Keeping a flagged value -----------------------------------------------------------------------


def test_a_flagged_value_without_comment_is_refused_and_nothing_is_saved():
    case = build_case()
    with pytest.raises(services.FlaggedValuesError) as refused:
        case.declare(0, "40")
    assert case.indicators[0].pk in refused.value.flags
    assert "expliquant l’écart dans le commentaire" in refused.value.messages[0]
    assert not Declaration.objects.exists()


def test_a_flagged_value_is_kept_with_a_comment_and_stored_with_its_flags():
    case = build_case()
    declaration = case.declare(0, "40", comment="Deux praticiens partagés recrutés en mars")
    assert declaration.status == DeclarationStatus.SUBMITTED
    assert declaration.flagged and declaration.flag_codes == FlagCode.TARGET
    assert "cible 2026" in declaration.flag_messages[0]


def test_correcting_a_flagged_value_clears_its_flags():
    case = build_case()
    case.declare(0, "40", comment="Recrutements", submit=False)
    declaration = case.declare(0, "11", comment="Recrutements", submit=False)
    assert not declaration.flagged and declaration.flags == [] and declaration.flag_codes == ""


def test_removing_the_comment_of_a_flagged_value_is_refused():
    case = build_case()
    case.declare(0, "40", comment="Recrutements", submit=False)
    with pytest.raises(services.FlaggedValuesError):
        case.declare(0, "40", comment="", submit=False)


# --- Corrections acknowledged ---------------------------------------------------------------------


def test_a_sent_back_value_corrected_is_a_correction_with_its_answer():
    case = build_case()
    declaration = case.declare(0, "11")
    services.send_back(case.negotiator, declaration, "Le total ne correspond pas au bilan")
    indicator = case.indicators[0]
    entry = services.Entry(indicator, *indicator.parse("12"), answer="Le bilan comptait deux sites de trop")
    services.save_declarations(case.directors[0], case.campaign, case.entities[0].pk, [entry])
    declaration.refresh_from_db()
    assert declaration.awaits_correction_submission  # saved as a draft, not sent yet
    services.save_declarations(case.directors[0], case.campaign, case.entities[0].pk, [entry], submit=True)
    declaration.refresh_from_db()
    assert declaration.is_corrected and declaration.status_label == "Corrigée"
    assert declaration.correction_answer == "Le bilan comptait deux sites de trop"
    assert not declaration.awaits_correction_submission
    assert declaration.events.last().label == "Corrigée et soumise de nouveau"


def test_a_first_submission_is_no_correction():
    declaration = build_case().declare(0, "11")
    assert not declaration.is_corrected and declaration.status_label == "Soumise à l’ARS"


# --- Reopening a validated value ------------------------------------------------------------------


def test_the_negotiator_reopens_a_validated_value_with_a_reason_and_the_director_is_told(
    django_capture_on_commit_callbacks,
):
    case = build_case()
    case.directors[0].email = "directeur@example.org"
    case.directors[0].save()
    declaration = services.validate_declaration(case.negotiator, case.declare(0, "11"))
    with pytest.raises(ValidationError):
        services.reopen(case.negotiator, declaration, "  ")
    with django_capture_on_commit_callbacks(execute=True):
        services.reopen(case.negotiator, declaration, "Erreur de périmètre signalée par l’établissement")
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.SENT_BACK and declaration.reopened_at is not None
    event = declaration.events.last()
    assert event.label == "Rouverte par l’ARS" and event.reason.startswith("Erreur de périmètre")
    assert declaration.history.first().status == DeclarationStatus.SENT_BACK  # audited with the history
    assert [message.to for message in mail.outbox] == [["directeur@example.org"]]
    assert "rouvert" in mail.outbox[0].body and "Erreur de périmètre" in mail.outbox[0].body


def test_only_a_validated_value_is_reopened_and_a_submitted_one_is_not_sent_back_twice():
    case = build_case()
    declaration = case.declare(0, "11")
    with pytest.raises(ValidationError):
        services.reopen(case.negotiator, declaration, "Motif")
    services.validate_declaration(case.negotiator, declaration)
    with pytest.raises(ValidationError):
        services.send_back(case.negotiator, declaration, "Motif")  # a validated value is reopened instead


def test_after_the_correction_window_only_an_admin_reopens():
    case = build_case()
    declaration = services.validate_declaration(case.negotiator, case.declare(0, "11"))
    past = timezone.localdate() - datetime.timedelta(days=1)
    Campaign.objects.filter(pk=case.campaign.pk).update(
        opens_on=past - datetime.timedelta(days=60),
        closes_on=past - datetime.timedelta(days=30),
        corrections_until=past,
    )
    declaration.campaign.refresh_from_db()
    assert not permissions.can_reopen(case.negotiator, declaration.campaign)
    with pytest.raises(PermissionDenied):
        services.reopen(case.negotiator, declaration, "Trop tard pour le négociateur")
    admin = UserFactory(admin=True)
    services.reopen(admin, declaration, "Rectification demandée par la direction")
    # Reopened after the window, the value stays correctable by the establishment.
    indicator = case.indicators[0]
    entry = services.Entry(indicator, *indicator.parse("12"), answer="Corrigé")
    services.save_declarations(case.directors[0], declaration.campaign, case.entities[0].pk, [entry], submit=True)
    declaration.refresh_from_db()
    assert declaration.is_corrected and declaration.value == 12


def test_observers_and_other_regions_do_not_reopen():
    case = build_case()
    declaration = services.validate_declaration(case.negotiator, case.declare(0, "11"))
    for user in (UserFactory(), UserFactory(negotiator=True, region=_other_region()), case.directors[0]):
        with pytest.raises(PermissionDenied):
            services.reopen(user, declaration, "Motif")


def _other_region():
    from tests.cooperations.factories import region

    return region("28")


# --- Bulk validation ------------------------------------------------------------------------------


def _tokens(declarations):
    return {declaration.pk: edit_token(declaration) for declaration in declarations}


def test_bulk_validation_validates_the_unflagged_values_listed():
    case = build_case(second=True)
    second = case.seconds[0]
    first = case.declare(0, "11")
    entry = services.Entry(second, *second.parse("11"))
    services.save_declarations(case.directors[0], case.campaign, case.entities[0].pk, [entry], submit=True)
    candidates = list(services.bulk_candidates(case.campaign, case.entities[0].pk))
    assert len(candidates) == 2
    assert services.validate_many(case.negotiator, case.campaign, case.entities[0].pk, _tokens(candidates)) == 2
    first.refresh_from_db()
    assert first.status == DeclarationStatus.VALIDATED


def test_bulk_validation_leaves_flagged_values_out():
    case = build_case()
    case.declare(0, "40", comment="Recrutements")
    assert list(services.bulk_candidates(case.campaign, case.entities[0].pk)) == []


def test_bulk_validation_is_all_or_nothing_when_a_value_changed_since_the_page():
    case = build_case(second=True)
    second = case.seconds[0]
    first = case.declare(0, "11")
    services.save_declarations(
        case.directors[0], case.campaign, case.entities[0].pk, [services.Entry(second, *second.parse("11"))], True
    )
    shown = _tokens(services.bulk_candidates(case.campaign, case.entities[0].pk))
    services.send_back(case.negotiator, first, "Vérifiez")  # decided meanwhile by a colleague
    with pytest.raises(ValidationError):
        services.validate_many(case.negotiator, case.campaign, case.entities[0].pk, shown)
    assert not Declaration.objects.filter(status=DeclarationStatus.VALIDATED).exists()


def test_bulk_validation_is_the_ars_of_the_region_only():
    case = build_case()
    declaration = case.declare(0, "11")
    for user in (UserFactory(), case.directors[0], UserFactory(negotiator=True, region=_other_region())):
        with pytest.raises(PermissionDenied):
            services.validate_many(user, case.campaign, case.entities[0].pk, _tokens([declaration]))


# --- « Pas encore dû » ------------------------------------------------------------------------------


def test_an_indicator_is_not_yet_due_until_a_campaign_of_its_cpom_opens():
    case = build_case(campaign_traits={"upcoming": True})
    cpom = Cpom.objects.get(pk=case.indicators[0].commitment.cpom_id)
    assert due_cpom_ids([cpom.pk]) == set()
    commitments = list(cpom.commitments.prefetch_related("indicators__targets"))
    attach_progress(commitments)
    assert commitments[0].indicators.all()[0].progress == Progress.NOT_YET_DUE
    Campaign.objects.filter(pk=case.campaign.pk).update(opens_on=timezone.localdate())
    commitments = list(cpom.commitments.prefetch_related("indicators__targets"))
    attach_progress(commitments)
    assert commitments[0].indicators.all()[0].progress == Progress.MISSING
