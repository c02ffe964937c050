"""The rules of a CPOM, at the service and model level: signature
preconditions, immutability once signed, amendments and their diff, stale
versions, the negotiation steps."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.concurrency import edit_token
from cpom import services
from cpom.forms import CommitmentForm, PartnerFormSet, vehicle_as_objective
from cpom.indicator_forms import IndicatorFormSet
from cpom.models import Commitment, CommitmentPartner, Cpom, CpomStatus, FrozenCpomError, StaleVersionError, TargetValue
from cpom.versions import cpom_history, diff_snapshots, snapshot
from tests.cpom.factories import CommitmentFactory, commitment_post_data, cpom_for, indicator_with_targets

pytestmark = pytest.mark.usefixtures("cpom_scenario")

SIGNED_ON = datetime.date(2026, 1, 15)


@pytest.fixture
def cpom(world):
    return cpom_for(world["entities"]["a"], user=world["users"]["negotiator"])


def _signed(cpom, user):
    services.mark_ready_to_sign(cpom, user)
    return services.sign(cpom, user, SIGNED_ON)


def test_create_cpom_opens_the_initial_version_in_the_entity_region(cpom, world):
    assert cpom.region_id == "11"
    assert cpom.status == CpomStatus.PREPARATION
    assert [v.number for v in cpom.versions.all()] == [0]
    assert cpom.years == [2026, 2027, 2028, 2029, 2030]


def test_signature_needs_an_indicator_on_every_commitment(cpom, world):
    nego = world["users"]["negotiator"]
    CommitmentFactory(cpom=cpom, title="Filière AVC")
    with pytest.raises(services.TransitionError) as error:
        services.mark_ready_to_sign(cpom, nego)
    assert "« Filière AVC » n’a aucun indicateur de suivi." in error.value.messages
    assert Cpom.objects.get(pk=cpom.pk).status == CpomStatus.PREPARATION


def test_signature_needs_every_target_year(cpom, world):
    nego = world["users"]["negotiator"]
    commitment = CommitmentFactory(cpom=cpom, title="Filière AVC")
    indicator = indicator_with_targets(commitment, label="Patients adressés")
    TargetValue.objects.filter(indicator=indicator, year__in=[2028, 2030]).delete()
    with pytest.raises(services.TransitionError) as error:
        services.mark_ready_to_sign(cpom, nego)
    assert "valeur-cible manquante pour 2028, 2030" in error.value.messages[0]


def test_complete_cpom_signs_and_keeps_what_was_signed(cpom, world):
    nego = world["users"]["negotiator"]
    commitment = CommitmentFactory(cpom=cpom, title="Filière AVC")
    indicator_with_targets(commitment, label="Patients adressés")
    with pytest.raises(services.TransitionError):
        services.sign(cpom, nego, SIGNED_ON)  # not yet "à signer"
    assert not Cpom.objects.visible_to(world["users"]["director"]).filter(pk=cpom.pk).exists()
    signed = _signed(cpom, nego)
    assert signed.status == CpomStatus.SIGNED and signed.signed_on == SIGNED_ON
    assert Cpom.objects.visible_to(world["users"]["director"]).filter(pk=cpom.pk).exists()
    version = signed.versions.get(number=0)
    assert version.signed_by == nego
    assert version.content["commitments"][0]["fields"]["Intitulé"] == "Filière AVC"
    assert version.content["commitments"][0]["indicators"][0]["fields"]["Cible 2026"] == "10 vacations"


def test_pending_proposal_blocks_ready_to_sign(cpom, world):
    nego, director = world["users"]["negotiator"], world["users"]["director"]
    commitment = CommitmentFactory(cpom=cpom)
    indicator_with_targets(commitment)
    services.share_with_director(cpom, nego)
    services.propose_change(commitment, director, "field:title", "Filière AVC territoriale")
    with pytest.raises(services.TransitionError) as error:
        services.mark_ready_to_sign(cpom, nego)
    assert "1 proposition de l’établissement attend une réponse." in error.value.messages


def test_signed_cpom_refuses_every_write_of_its_content(cpom, world):
    nego = world["users"]["negotiator"]
    commitment = CommitmentFactory(cpom=cpom)
    indicator = indicator_with_targets(commitment)
    partner = CommitmentPartner.objects.create(commitment=commitment, external_name="Médecins de ville")
    _signed(cpom, nego)
    commitment.refresh_from_db()
    commitment.title = "Changé en douce"
    with pytest.raises(FrozenCpomError):
        commitment.save()
    with pytest.raises(FrozenCpomError):
        commitment.delete()
    with pytest.raises(FrozenCpomError):
        CommitmentFactory(cpom=cpom)
    indicator.label = "Changé"
    with pytest.raises(FrozenCpomError):
        indicator.save()
    with pytest.raises(FrozenCpomError):
        indicator.set_target(2027, "99", nego)
    with pytest.raises(FrozenCpomError):
        TargetValue.objects.get(indicator=indicator, year=2026).delete()
    with pytest.raises(FrozenCpomError):
        partner.delete()
    with pytest.raises(FrozenCpomError):
        services.move_commitment(commitment, nego, -1)
    with pytest.raises(FrozenCpomError):
        services.delete_commitment(commitment, nego)
    assert Commitment.objects.get(pk=commitment.pk).title != "Changé en douce"
    assert TargetValue.objects.filter(indicator=indicator).count() == 5


def test_waiting_for_signature_is_frozen_too(cpom, world):
    nego = world["users"]["negotiator"]
    commitment = CommitmentFactory(cpom=cpom)
    indicator_with_targets(commitment)
    services.mark_ready_to_sign(cpom, nego)
    with pytest.raises(FrozenCpomError):
        CommitmentFactory(cpom=cpom)
    services.back_to_drafting(cpom, nego)
    CommitmentFactory(cpom=cpom)  # editable again


def test_target_outside_the_period_is_refused(cpom, world):
    commitment = CommitmentFactory(cpom=cpom)
    indicator = indicator_with_targets(commitment)
    with pytest.raises(ValidationError) as error:
        TargetValue.objects.create(indicator=indicator, year=2031, value=3)
    assert "hors de la période du CPOM (2026–2030)" in error.value.messages[0]


def test_amendment_reopens_and_its_diff_says_what_changed(cpom, world):
    nego = world["users"]["negotiator"]
    kept = CommitmentFactory(cpom=cpom, title="Filière AVC")
    indicator = indicator_with_targets(kept, label="Patients adressés")
    removed = CommitmentFactory(cpom=cpom, title="Blanchisserie commune")
    indicator_with_targets(removed)
    _signed(cpom, nego)
    with pytest.raises(ValidationError):
        services.open_amendment(cpom, nego, "  ")
    version = services.open_amendment(cpom, nego, "Révision des cibles 2027")
    assert version.number == 1 and Cpom.objects.get(pk=cpom.pk).status == CpomStatus.PREPARATION
    indicator.set_target(2027, "25", nego)
    services.delete_commitment(removed, nego)
    added = CommitmentFactory(cpom=cpom, title="Imagerie partagée")
    indicator_with_targets(added, label="Vacations d’imagerie")
    signed = _signed(Cpom.objects.get(pk=cpom.pk), nego)
    old, new = signed.versions.get(number=0).content, signed.versions.get(number=1).content
    changes = diff_snapshots(old, new)
    by_what = {c["what"]: c for c in changes}
    modified = by_what["Indicateur « Patients adressés » (engagement « Filière AVC »)"]
    assert modified["action"] == "modified"
    assert modified["fields"] == [("Cible 2027", "11 vacations", "25 vacations")]
    assert by_what["Engagement « Blanchisserie commune »"]["action"] == "removed"
    assert by_what["Engagement « Imagerie partagée »"]["action"] == "added"
    assert ("Intitulé", "", "Imagerie partagée") in by_what["Engagement « Imagerie partagée »"]["fields"]
    assert "Engagement « Filière AVC »" not in by_what  # unchanged


def test_signature_date_cannot_precede_the_previous_version(cpom, world):
    nego = world["users"]["negotiator"]
    indicator_with_targets(CommitmentFactory(cpom=cpom))
    _signed(cpom, nego)
    services.open_amendment(cpom, nego, "Avenant")
    services.mark_ready_to_sign(cpom, nego)
    with pytest.raises(services.TransitionError):
        services.sign(cpom, nego, SIGNED_ON - datetime.timedelta(days=1))


def _commitment_forms(cpom, user, commitment, data):
    form = CommitmentForm(data, instance=commitment, user=user, cpom=cpom)
    partners = PartnerFormSet(data, instance=commitment, prefix="partenaires", cpom=cpom, user=user)
    indicators = IndicatorFormSet(data, instance=commitment, prefix="indicateurs", years=cpom.years)
    return form, partners, indicators


def test_second_save_on_a_stale_version_is_refused_with_the_newer_content(cpom, world):
    nego, admin = world["users"]["negotiator"], world["users"]["admin"]
    commitment = CommitmentFactory(cpom=cpom, title="Filière AVC")
    opened_by_both = edit_token(commitment)
    first = _commitment_forms(
        cpom, nego, commitment, commitment_post_data(commitment, title="Filière AVC et neurologie")
    )
    assert all(f.is_valid() for f in first)
    services.save_commitment(cpom, nego, *first, opened_by_both)
    stale = Commitment.objects.get(pk=commitment.pk)
    second = _commitment_forms(
        cpom, admin, stale, commitment_post_data(stale, title="Filière AVC (autre)", edit_token=opened_by_both)
    )
    assert all(f.is_valid() for f in second)
    with pytest.raises(StaleVersionError) as error:
        services.save_commitment(cpom, admin, *second, opened_by_both)
    assert error.value.current.title == "Filière AVC et neurologie"
    assert Commitment.objects.get(pk=commitment.pk).title == "Filière AVC et neurologie"


@pytest.mark.parametrize(
    ("objective", "flagged"),
    [
        ("Créer un GCS de moyens pour l’imagerie", True),
        ("Constitution d’un GIE entre les partenaires", True),
        ("mise en place d’un groupement de coopération sanitaire", True),
        ("Signer une convention de partenariat", True),
        ("Réduire le délai de prise en charge des AVC grâce à une filière commune", False),
        ("Mettre en place une astreinte d’imagerie partagée", False),
    ],
)
def test_vehicle_is_not_an_objective(objective, flagged):
    assert bool(vehicle_as_objective(objective)) is flagged


def test_vehicle_objective_needs_a_confirmation_then_saves(cpom, world):
    nego = world["users"]["negotiator"]
    commitment = Commitment(cpom=cpom)
    data = commitment_post_data(CommitmentFactory.build(cpom=cpom), objective="Créer un GCS d’imagerie", edit_token="")
    form = CommitmentForm(data, instance=commitment, user=nego, cpom=cpom)
    assert not form.is_valid()
    assert "n’est pas un objectif en soi" in form.errors["objective"][0]
    assert "« Créer un GCS »" in form.errors["objective"][0]
    assert form.vehicle_warning == "Créer un GCS"
    data["confirm_vehicle_rule"] = "on"
    forms = _commitment_forms(cpom, nego, Commitment(cpom=cpom), data)
    assert all(f.is_valid() for f in forms)
    saved = services.save_commitment(cpom, nego, *forms)
    assert saved.objective == "Créer un GCS d’imagerie"


def test_director_comments_and_proposals_only_in_concertation(cpom, world):
    nego, director = world["users"]["negotiator"], world["users"]["director"]
    other_director = world["users"]["director_other"]
    commitment = CommitmentFactory(cpom=cpom, title="Filière AVC")
    indicator = indicator_with_targets(commitment, label="Patients adressés")
    with pytest.raises(PermissionDenied):
        services.add_comment(cpom, director, "Trop tôt", commitment)
    assert not Cpom.objects.visible_to(director).filter(pk=cpom.pk).exists()
    services.share_with_director(cpom, nego, "Voici le projet")
    assert Cpom.objects.visible_to(director).filter(pk=cpom.pk).exists()
    assert not Cpom.objects.visible_to(other_director).filter(pk=cpom.pk).exists()
    services.add_comment(cpom, director, "La cible 2027 est trop haute.", commitment)
    proposal = services.propose_change(commitment, director, f"target:{indicator.pk}:2027", "8")
    assert proposal.current_value == "11 vacations"
    with pytest.raises(PermissionDenied):
        services.propose_change(commitment, other_director, "field:title", "X")
    with pytest.raises(ValidationError):
        services.decide_proposal(proposal, nego, accept=False)  # a refusal needs its reason
    services.decide_proposal(proposal, nego, accept=True)
    assert indicator.targets.get(year=2027).value == 8
    services.return_to_ars(cpom, director, "Relu, merci.")
    assert Cpom.objects.get(pk=cpom.pk).status == CpomStatus.PREPARATION
    assert list(cpom.comments.values_list("body", flat=True)) == [
        "Voici le projet",
        "La cible 2027 est trop haute.",
        "Relu, merci.",
    ]


def test_director_cannot_drive_the_negotiation(cpom, world):
    director = world["users"]["director"]
    with pytest.raises(PermissionDenied):
        services.share_with_director(cpom, director)
    with pytest.raises(PermissionDenied):
        services.mark_ready_to_sign(cpom, world["users"]["negotiator_other"])


def test_history_keeps_who_when_what(cpom, world):
    nego = world["users"]["negotiator"]
    commitment = CommitmentFactory(cpom=cpom, title="Filière AVC")
    indicator = indicator_with_targets(commitment, label="Patients adressés")
    indicator.set_target(2027, "40", nego)
    services.share_with_director(cpom, nego)
    entries = cpom_history(cpom)
    target_change = next(
        e for e in entries if e["what"] == "Valeur-cible 2027 de « Patients adressés »" and e["type"] == "~"
    )
    assert target_change["who"] == nego
    assert target_change["changes"] == [("Valeur", "11", "40")]
    step = next(e for e in entries if e["what"] == "CPOM" and e["type"] == "~")
    assert ("Étape", "En préparation", "En concertation") in step["changes"]


def test_snapshot_reads_like_the_page(cpom, world):
    commitment = CommitmentFactory(cpom=cpom, title="Filière AVC")
    CommitmentPartner.objects.create(commitment=commitment, legal_entity=world["entities"]["b"])
    CommitmentPartner.objects.create(commitment=commitment, external_name="CPTS du Mantois", external_kind="ville")
    content = snapshot(cpom)
    assert content["commitments"][0]["fields"]["Partenaires"] == "CH Bravo ; CPTS du Mantois (Médecine de ville)"


def test_accepted_target_proposal_makes_an_open_commitment_page_stale(world):
    """An edit started before the ARS accepted a target must not silently revert it."""
    nego, director = world["users"]["negotiator"], world["users"]["director"]
    cpom, commitment, indicator = world["cpom_a"], world["commitment_a"], world["indicator_a"]
    opened = Commitment.objects.get(pk=commitment.pk)
    opened_token = edit_token(opened)
    proposal = services.propose_change(commitment, director, f"target:{indicator.pk}:2026", "99")
    services.decide_proposal(proposal, nego, accept=True)
    forms = _commitment_forms(cpom, nego, opened, commitment_post_data(opened, title="Renommé"))
    assert all(f.is_valid() for f in forms)
    with pytest.raises(StaleVersionError):
        services.save_commitment(cpom, nego, *forms, opened_token)
    assert indicator.targets.get(year=2026).value == 99


def test_accepted_field_proposal_goes_through_the_field_and_vehicle_rules(world):
    nego, director = world["users"]["negotiator"], world["users"]["director"]
    commitment = world["commitment_a"]
    too_long = services.propose_change(commitment, director, "field:title", "x" * 300)
    with pytest.raises(ValidationError):
        services.decide_proposal(too_long, nego, accept=True)
    vehicle = services.propose_change(commitment, director, "field:objective", "Créer un GIE entre nous")
    with pytest.raises(ValidationError) as error:
        services.decide_proposal(vehicle, nego, accept=True)
    assert "support juridique" in error.value.messages[0]
    assert Commitment.objects.get(pk=commitment.pk).objective == commitment.objective


def test_proposal_on_a_deleted_indicator_is_refused_clearly(world):
    nego, director = world["users"]["negotiator"], world["users"]["director"]
    indicator = world["indicator_a"]
    proposal = services.propose_change(world["commitment_a"], director, f"target:{indicator.pk}:2027", "5")
    indicator.delete()
    with pytest.raises(ValidationError) as error:
        services.decide_proposal(proposal, nego, accept=True)
    assert "supprimé" in error.value.messages[0]
    services.decide_proposal(proposal, nego, accept=False, note="Indicateur retiré")


def test_shrinking_the_period_is_refused_while_targets_fall_outside(cpom, world):
    nego = world["users"]["negotiator"]
    indicator_with_targets(CommitmentFactory(cpom=cpom))
    with pytest.raises(ValidationError) as error:
        services.update_cpom(cpom, nego, edit_token(cpom), first_year=2027, last_year=2030, reference="")
    assert "2026" in error.value.messages[0]
    assert Cpom.objects.get(pk=cpom.pk).first_year == 2026


def _keys(entries):
    return [(e["when"], e["order"], e["what"], e["changes"]) for e in entries]


def test_the_page_history_is_the_newest_of_the_whole_history(cpom, world, django_assert_max_num_queries, monkeypatch):
    from cpom import versions

    nego = world["users"]["negotiator"]
    commitments = [CommitmentFactory(cpom=cpom, title=f"Filière {n}") for n in range(3)]
    indicators = [indicator_with_targets(c, label=f"Indicateur {c.title}") for c in commitments]
    for round_ in range(4):  # many target records, a few commitment ones: kinds are cut at different depths
        for indicator in indicators:
            indicator.set_target(cpom.first_year, str(20 + round_), nego)
    commitments[0].title = "Filière AVC"
    commitments[0]._history_user = nego
    commitments[0].save()
    whole = cpom_history(cpom)
    with django_assert_max_num_queries(20):
        page = cpom_history(cpom, limit=5)
    assert _keys(page) == _keys(whole[:5])
    assert page[0]["what"] == "Engagement « Filière AVC »"
    # Records that change nothing shown (saved again as they were) push the entries past the cut:
    # the limited reading cannot prove its entries are the newest and reads the whole history.
    for _ in range(20):
        commitments[1]._history_user = nego
        commitments[1].save()
    reads = []
    original = versions._history_entries
    monkeypatch.setattr(
        versions, "_history_entries", lambda *a, **kw: reads.append(kw.get("recent")) or original(*a, **kw)
    )
    page = cpom_history(cpom, limit=5)
    assert reads == [versions.HISTORY_READ_AHEAD * 5, None]
    assert _keys(page) == _keys(cpom_history(cpom)[:5])


def test_the_page_history_is_kept_until_the_content_changes(cpom, world):
    """The ten entries of the CPOM page come from the cache while no record is added (issue 19); any
    change is a new key, so it shows at once; the authors are read again, never kept in the cache."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cpom import versions

    nego = world["users"]["negotiator"]
    commitment = CommitmentFactory(cpom=cpom, title="Filière gériatrique")
    indicator = indicator_with_targets(commitment, label="Taux de fuite")
    with CaptureQueriesContext(connection) as first:
        computed = cpom_history(cpom, limit=10)
    with CaptureQueriesContext(connection) as second:
        kept = cpom_history(cpom, limit=10)
    assert _keys(kept) == _keys(computed) == _keys(cpom_history(cpom)[:10])
    assert [e["who"] for e in kept] == [e["who"] for e in computed]
    assert len(second) < len(first) and len(second) <= 8  # the latest records of each kind, and the authors
    recent = versions.HISTORY_READ_AHEAD * 10
    key = versions._history_cache_key(cpom.pk, 10, versions._latest_records(versions._history_sources(cpom)[1], recent))
    stored = cache.get(key)
    assert _keys(stored) == _keys(kept)
    assert {type(entry["who"]) for entry in stored} <= {int, type(None)}  # ids, never a user and its password

    indicator.set_target(cpom.first_year, "42", nego)
    after = cpom_history(cpom, limit=10)
    assert after[0]["what"] == "Valeur-cible 2026 de « Taux de fuite »"
    assert after[0]["who"] == nego
    assert _keys(after) == _keys(cpom_history(cpom)[:10])

    nego.first_name, nego.last_name = "Camille", "Renommée"
    nego.save()
    assert cpom_history(cpom, limit=10)[0]["who"].get_full_name() == "Camille Renommée"
    assert versions.HISTORY_CACHE_SECONDS <= 300
