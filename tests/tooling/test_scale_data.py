"""The national data set of the benchmarks (``tooling.scale_data``), at a
tiny factor on a small register: sizes proportional to the factor, the same
data for the same seed, and data that follows the rules the pages rely on."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User
from cooperations.models import LegalEntity
from cpom.models import Commitment, Cpom, CpomStatus, Indicator, IndicatorKind, TargetValue
from cpom.services import signature_problems
from cpom.versions import snapshot
from indicators.models import DECLARATION_TRANSITIONS, Campaign, CampaignPhase, Declaration, DeclarationStatus
from indicators.services import coverable_cpoms
from tests.cooperations.factories import EstablishmentFactory, LegalEntityFactory, department
from tooling.scale_data import (
    SCALE_REFERENCE_PREFIX,
    SCALE_USERNAME_PREFIX,
    Sizes,
    generate_scale_data,
    remove_scale_data,
    scale_fingerprint,
)

TODAY = datetime.date(2026, 11, 23)
FACTOR = 0.005  # 15 CPOMs, 75 commitments, 250 indicators
PASSWORD = "mot-de-passe-echelle"


def quiet(*_args):
    pass


@pytest.fixture
def register(db):
    """24 legal entities with a site in three régions, like a small FINESS register."""
    entities = []
    for code in ["75", "59", "69", "78"] * 6:
        entity = LegalEntityFactory(department=department(code))
        EstablishmentFactory(legal_entity=entity, department=entity.department)
        entities.append(entity)
    return entities


def generate(factor=FACTOR, seed=7):
    return generate_scale_data(factor=factor, seed=seed, password=PASSWORD, today=TODAY, log=quiet)


def generated_declarations():
    return Declaration.objects.filter(indicator__commitment__cpom__reference__startswith=SCALE_REFERENCE_PREFIX)


def test_sizes_follow_the_factor(register):
    small = generate(FACTOR)
    sizes = Sizes.for_factor(FACTOR)
    assert (sizes.cpoms, sizes.commitments, sizes.indicators) == (15, 75, 250)
    assert small.counts["CPOM"] == Cpom.objects.filter(reference__startswith=SCALE_REFERENCE_PREFIX).count() == 15
    assert small.counts["engagements"] == Commitment.objects.filter(cpom__reference__startswith="ECHELLE-").count()
    assert small.counts["engagements"] == 75
    assert small.counts["indicateurs"] == 250
    assert small.counts["valeurs-cibles"] == 5 * 250  # one target per year of five-year CPOMs
    assert small.counts["déclarations"] == generated_declarations().count()
    double = generate(2 * FACTOR)
    assert (double.counts["CPOM"], double.counts["engagements"], double.counts["indicateurs"]) == (30, 150, 500)
    # Declarations follow the size, within what the draw makes of the CPOMs' steps and periods.
    assert 1.5 < double.counts["déclarations"] / small.counts["déclarations"] < 2.5
    # Replaced, not added to: the second run removed the first one's data.
    assert Cpom.objects.filter(reference__startswith=SCALE_REFERENCE_PREFIX).count() == 30


def test_same_seed_same_data(register):
    generate(seed=7)
    first = scale_fingerprint()
    first_ids = set(generated_declarations().values_list("pk", flat=True))
    generate(seed=7)
    assert scale_fingerprint() == first
    assert not first_ids & set(generated_declarations().values_list("pk", flat=True))  # new rows, same data
    generate(seed=8)
    assert scale_fingerprint() != first


def test_generated_data_follows_the_rules(register):
    report = generate()
    cpoms = list(Cpom.objects.filter(reference__startswith=SCALE_REFERENCE_PREFIX).select_related("legal_entity"))
    assert {c.status for c in cpoms} >= {CpomStatus.SIGNED}
    by_entity = {}
    for cpom in cpoms:
        assert cpom.last_year - cpom.first_year == 4
        by_entity.setdefault(cpom.legal_entity_id, []).append(cpom)
        if cpom.status in (CpomStatus.SIGNED, CpomStatus.TO_SIGN):
            assert signature_problems(cpom) == []
        versions = list(cpom.versions.order_by("number"))
        signed = [v for v in versions if v.is_signed]
        assert bool(signed) == (cpom.signed_on is not None)
        if signed:
            # The content kept at signature is what the signing service would have kept.
            assert signed[-1].content == snapshot(cpom)
    for entity_cpoms in by_entity.values():  # one CPOM per entity and period, never overlapping
        periods = sorted((c.first_year, c.last_year) for c in entity_cpoms)
        assert all(a[1] < b[0] for a, b in zip(periods, periods[1:], strict=False))

    for campaign in Campaign.objects.filter(created_by__username__startswith=SCALE_USERNAME_PREFIX):
        eligible = set(coverable_cpoms(campaign.region, campaign.year).values_list("pk", flat=True))
        assert set(campaign.cpoms.values_list("pk", flat=True)) <= eligible

    declarations = list(
        generated_declarations().select_related("indicator__commitment__cpom", "campaign").prefetch_related("events")
    )
    assert len(declarations) == report.counts["déclarations"] > 0
    followed = set(Campaign.cpoms.through.objects.values_list("campaign_id", "cpom_id"))
    for declaration in declarations:
        cpom, campaign = declaration.indicator.commitment.cpom, declaration.campaign
        assert cpom.signed_on is not None
        assert (campaign.pk, cpom.pk) in followed
        assert campaign.region_id == cpom.region_id
        assert declaration.year == campaign.year and cpom.first_year <= campaign.year <= cpom.last_year
        assert declaration.indicator.kind == IndicatorKind.DECLARATIVE
        assert campaign.phase(TODAY) != CampaignPhase.UPCOMING
        events = sorted(declaration.events.all(), key=lambda e: (e.at, e.pk))
        assert events[0].previous_status == "" and events[0].status == DeclarationStatus.DRAFT
        for before, after in zip(events, events[1:], strict=False):
            assert after.previous_status == before.status
            assert after.status in DECLARATION_TRANSITIONS[DeclarationStatus(before.status)]
        assert events[-1].status == declaration.status
        assert all(e.at.date() <= TODAY for e in events)
        assert (declaration.submitted_at is not None) == any(e.status == DeclarationStatus.SUBMITTED for e in events)
        assert declaration.value is not None or declaration.text
    statuses = {d.status for d in declarations}
    assert statuses >= {DeclarationStatus.VALIDATED, DeclarationStatus.SUBMITTED, DeclarationStatus.DRAFT}
    # Every target of a generated indicator lies within its CPOM's period.
    for target in TargetValue.objects.filter(indicator__commitment__cpom__in=cpoms).select_related(
        "indicator__commitment__cpom"
    ):
        cpom = target.indicator.commitment.cpom
        assert cpom.first_year <= target.year <= cpom.last_year


def test_generated_users_log_in_and_see_their_pages(register):
    generate()
    campaign = Campaign.objects.filter(created_by__username__startswith=SCALE_USERNAME_PREFIX, year=2025).first()
    entity = campaign.cpoms.first().legal_entity
    director = User.objects.get(username=f"{SCALE_USERNAME_PREFIX}directeur-{entity.finess}")
    negotiator = User.objects.get(username=f"{SCALE_USERNAME_PREFIX}negociateur-{campaign.region_id}-1")
    assert director.check_password(PASSWORD) and negotiator.check_password(PASSWORD)
    client = Client()
    client.force_login(director)
    assert client.get(reverse("indicators:declare", args=[campaign.pk, entity.finess])).status_code == 200
    client.force_login(negotiator)
    assert client.get(reverse("indicators:campaign_dashboard", args=[campaign.pk])).status_code == 200


def test_removal_leaves_the_rest(register, world):
    other_cpoms = Cpom.objects.count()
    other_declarations = Declaration.objects.count()
    generate()
    remove_scale_data(log=quiet)
    assert not Cpom.objects.filter(reference__startswith=SCALE_REFERENCE_PREFIX).exists()
    assert not User.objects.filter(username__startswith=SCALE_USERNAME_PREFIX).exists()
    assert not Indicator.objects.filter(commitment__cpom__reference__startswith=SCALE_REFERENCE_PREFIX).exists()
    assert Cpom.objects.count() == other_cpoms and Declaration.objects.count() == other_declarations
    assert LegalEntity.objects.count() >= len(register)


def test_command_refuses_an_empty_register(db, capsys):
    with pytest.raises(Exception, match="load_reference_data"):
        call_command("generate_scale_data", "--factor", "0.01")


def test_profile_page_times_and_profiles_the_pages_of_the_bench(register):
    from io import StringIO

    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Aucun jeu généré"):
        call_command("profile_page", stdout=StringIO())
    generate_scale_data(factor=FACTOR, seed=7, password=PASSWORD, log=quiet)  # campaigns open today
    out = StringIO()
    call_command("profile_page", "structures", "cpoms", "--runs", "1", "--profile", stdout=out)
    printed = out.getvalue()
    # Each page: its median time, its time in the database and its queries, its address.
    assert re.search(r"^structures +[\d.]+ ms  \(SQL +[\d.]+ ms, \d+ requêtes\)  /cooperations/$", printed, re.M)
    assert re.search(r"^cpoms +[\d.]+ ms  \(SQL +[\d.]+ ms, [1-9]\d* requêtes\)  /cpom/$", printed, re.M)
    assert "structure_list" in printed and "cpom_list" in printed  # the views in the call trees
    # With --calls, the Python calls of a request too: the same count from one run to the next.
    counted = []
    for _ in range(2):
        out = StringIO()
        call_command("profile_page", "structures", "--runs", "1", "--calls", stdout=out)
        found = re.search(r"^structures .*requêtes, (\d+) appels Python\)  /cooperations/$", out.getvalue(), re.M)
        counted.append(int(found.group(1)))
    assert counted[0] > 1000 and abs(counted[0] - counted[1]) <= counted[0] // 100, counted
    with pytest.raises(CommandError, match="Pages inconnues : nulle-part"):
        call_command("profile_page", "nulle-part", stdout=StringIO())
