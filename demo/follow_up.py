"""The demonstration follow-up on the demo CPOMs: two closed campaigns with
validated values (so the charts have years to show) and one open campaign
with values in every state. Figures are invented, like the demo CPOMs."""

import datetime

from django.db import transaction
from django.utils import timezone

from cpom.models import Cpom, Indicator, IndicatorKind
from demo.stays_generator import GENERATED_SOURCE, generate_stays
from indicators import services
from indicators.inputs import import_inputs
from indicators.models import Campaign, ComputationRun, Declaration, DeclarationEvent, DeclarationStatus, InputImport

DEMO_PREFIX = "DEMO-"


def _past_declaration(campaign, indicator, raw, director, negotiator, on):
    """A value declared, submitted and validated in a closed campaign."""
    number, text = indicator.parse(raw)
    declaration = Declaration.objects.create(
        indicator=indicator,
        campaign=campaign,
        year=campaign.year,
        value=number,
        text=text,
        status=DeclarationStatus.VALIDATED,
        updated_by=negotiator,
    )
    moments = [
        ("", DeclarationStatus.DRAFT, director, on),
        (DeclarationStatus.DRAFT, DeclarationStatus.SUBMITTED, director, on + datetime.timedelta(days=2)),
        (DeclarationStatus.SUBMITTED, DeclarationStatus.VALIDATED, negotiator, on + datetime.timedelta(days=20)),
    ]
    for previous, status, user, day in moments:
        at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))
        DeclarationEvent.objects.create(
            declaration=declaration, previous_status=previous, status=status, user=user, at=at
        )
    Declaration.objects.filter(pk=declaration.pk).update(
        submitted_at=declaration.events.get(status=DeclarationStatus.SUBMITTED).at,
        decided_at=declaration.events.get(status=DeclarationStatus.VALIDATED).at,
    )
    return declaration


def _by_label(cpom):
    return {
        indicator.label: indicator
        for indicator in Indicator.objects.filter(commitment__cpom=cpom, kind=IndicatorKind.DECLARATIVE)
    }


DEMO_COST_SOURCE = "Coûts de démonstration (fictifs)"
# Biology of the director's entity: cost (€) and B produced, by year.
DEMO_BIOLOGY = {2020: (3_100_000, 10_000_000), 2021: (3_050_000, 10_300_000), 2022: (2_960_000, 10_600_000),
                2023: (2_900_000, 10_900_000), 2024: (2_850_000, 11_100_000), 2025: (2_800_000, 11_300_000)}  # fmt: skip


def build_demo_computations(negotiator, director):
    """Generated stays of the demo région (2023–2025), invented biology costs
    of the director's entity, then the computation of those years."""
    region = negotiator.region
    InputImport.objects.filter(source__in=[GENERATED_SOURCE, DEMO_COST_SOURCE]).delete()
    for year in (2023, 2024, 2025):
        generate_stays(15_000, seed=year, year=year, region=region)
    lines = ["annee;finess;fonction;cout;unites;unite"] + [
        f"{year};{director.legal_entities.order_by('pk').first().finess};biologie;{cost};{units};B"
        for year, (cost, units) in DEMO_BIOLOGY.items()
    ]
    import_inputs("couts", DEMO_COST_SOURCE, ("\n".join(lines) + "\n").encode(), "couts-demo.csv", negotiator)
    for year in (2022, 2023, 2024, 2025):
        run = ComputationRun.objects.create(year=year, region=region, created_by=negotiator)
        services.run_computation(run.pk)


@transaction.atomic
def build_demo_follow_up(negotiator, director):
    """Replace the demo région's campaigns of 2023–2025 by the demo ones."""
    region = negotiator.region
    Declaration.objects.filter(campaign__region=region, campaign__year__in=[2023, 2024, 2025]).delete()
    Campaign.objects.filter(region=region, year__in=[2023, 2024, 2025]).delete()
    entity = director.legal_entities.order_by("pk").first()
    old = Cpom.objects.get(reference=f"{DEMO_PREFIX}2021-{entity.finess}")
    member_cpom = Cpom.objects.filter(reference__startswith=f"{DEMO_PREFIX}2025-").first()
    indicators = _by_label(old)
    referred = indicators["Nombre de patients adressés dans le cadre des filières"]
    sessions = indicators["Nombre de vacations de temps médical partagé"]

    past = {
        2023: {referred: "180", sessions: "10"},
        2024: {referred: "205", sessions: "12"},
    }
    for year, values in past.items():
        opens = datetime.date(year + 1, 1, 15)
        campaign = services.open_campaign(
            negotiator,
            region,
            year,
            opens,
            datetime.date(year + 1, 3, 31),
            datetime.date(year + 1, 4, 30),
            [old],
            notify=False,
        )
        campaign.reminder_sent_on = datetime.date(year + 1, 3, 24)
        campaign.save(update_fields=["reminder_sent_on"])
        for indicator, raw in values.items():
            _past_declaration(campaign, indicator, raw, director, negotiator, opens + datetime.timedelta(days=10))

    # The open campaign: values in every state.
    today = timezone.localdate()
    current = services.open_campaign(
        negotiator,
        region,
        2025,
        today - datetime.timedelta(days=14),
        today + datetime.timedelta(days=21),
        today + datetime.timedelta(days=35),
    )
    entry = services.Entry
    services.save_declarations(
        director,
        current,
        entity.pk,
        [
            entry(
                referred,
                # Beyond the checks' 50 % jump over 2024 (205): a flagged value, kept with its comment.
                *referred.parse("320"),
                comment="Hausse liée à l’ouverture de l’unité de court séjour gériatrique.",
            )
        ],
        submit=True,
    )
    services.save_declarations(director, current, entity.pk, [entry(sessions, *sessions.parse("11"))])
    if member_cpom is not None:
        member = _by_label(member_cpom)
        _seed_member(
            current,
            member["Nombre de vacations de temps médical partagé"],
            member["État d’avancement de l’engagement"],
            negotiator,
        )
    build_demo_computations(negotiator, director)
    return current


def _seed_member(campaign, sessions, advancement, negotiator):
    """The other member's values: one validated, one sent back. Seeded
    directly (the demo has no director account for that entity)."""
    for indicator, raw in ((sessions, "5"), (advancement, "Engagé")):
        number, text = indicator.parse(raw)
        declaration = Declaration.objects.create(
            indicator=indicator, campaign=campaign, year=campaign.year, value=number, text=text
        )
        DeclarationEvent.objects.create(declaration=declaration, status=DeclarationStatus.DRAFT)
        services._transition(declaration, DeclarationStatus.SUBMITTED, None)
    services.validate_declaration(negotiator, Declaration.objects.get(indicator=sessions, year=campaign.year))
    services.send_back(
        negotiator,
        Declaration.objects.get(indicator=advancement, year=campaign.year),
        "L’avancement déclaré ne correspond pas au compte rendu du comité de suivi : merci de le revoir.",
    )
