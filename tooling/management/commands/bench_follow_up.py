"""Benchmark of the follow-up pages: a campaign covering N establishments
(each a signed CPOM of two commitments with two indicators and their
targets, and values in every state), then the server time and SQL queries
of the dashboard, its export, the validation queue, a director's page, an
indicator page and the reminder selection. Prints figures; asserts nothing;
rolls everything back."""

import datetime
import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import EntityMembership, Role, User
from cooperations.finess import with_check_key
from cooperations.models import LegalEntity, LegalStatus
from cpom.models import Commitment, Cpom, Indicator, TargetValue
from indicators.follow_up import entity_rows, reminder_recipients
from indicators.models import Campaign, Declaration, DeclarationStatus

RUNS = 5
STATES = [
    DeclarationStatus.VALIDATED,
    DeclarationStatus.SUBMITTED,
    DeclarationStatus.DRAFT,
    DeclarationStatus.SENT_BACK,
]


class BenchRollbackError(Exception):
    pass


class Command(BaseCommand):
    help = "Mesure le tableau de bord d’une campagne, la validation et la page d’un directeur sur N établissements."

    def add_arguments(self, parser):
        parser.add_argument("--establishments", type=int, default=1000)

    def handle(self, *args, establishments, **options):
        try:
            with transaction.atomic():
                self._run(establishments)
                raise BenchRollbackError
        except BenchRollbackError:
            self.stdout.write("(données de mesure annulées)")

    def _run(self, count):
        today = timezone.localdate()
        nego = User.objects.create(username="bench-suivi-negociateur", role=Role.NEGOTIATOR, region_id="11")
        status = LegalStatus.objects.filter(code="13").first()
        started = time.perf_counter()
        entities = LegalEntity.objects.bulk_create(
            LegalEntity(finess=with_check_key(f"78{800000 + i:06d}"), name=f"CH de mesure {i}", department_id="78",
                        region_id="11", legal_status=status)
            for i in range(count)
        )  # fmt: skip
        cpoms = Cpom.objects.bulk_create(
            Cpom(legal_entity=e, region_id="11", first_year=2024, last_year=2028, status="signe",
                 signed_on=datetime.date(2024, 1, 15), shared_with_director=True)
            for e in entities
        )  # fmt: skip
        commitments = Commitment.objects.bulk_create(
            Commitment(cpom=c, position=k, title=f"Engagement {k}", action_kind="filieres", theme="medicales",
                       objective="Mesure")
            for c in cpoms for k in range(2)
        )  # fmt: skip
        indicators = Indicator.objects.bulk_create(
            Indicator(commitment=c, label=f"Indicateur {k}", kind="declaratif", value_type="effectif", position=k)
            for c in commitments
            for k in range(2)
        )
        TargetValue.objects.bulk_create(
            TargetValue(indicator=i, year=y, value=y - 2020) for i in indicators for y in range(2024, 2029)
        )
        campaign = Campaign.objects.create(
            region_id="11", year=2025, opens_on=today - datetime.timedelta(days=10),
            closes_on=today + datetime.timedelta(days=5), corrections_until=today + datetime.timedelta(days=20),
        )  # fmt: skip
        campaign.cpoms.add(*cpoms)
        Declaration.objects.bulk_create(
            Declaration(indicator=i, campaign=campaign, year=2025, value=n % 7, status=STATES[n % len(STATES)])
            for n, i in enumerate(indicators)
            if n % 5  # one in five still missing
        )
        director = User.objects.create(username="bench-suivi-directeur", role=Role.DIRECTOR, email="d@bench.invalid")
        EntityMembership.objects.create(user=director, legal_entity=entities[0])
        self.stdout.write(
            f"Données : {count} établissements, {len(indicators)} indicateurs, "
            f"{Declaration.objects.filter(campaign=campaign).count()} déclarations "
            f"({time.perf_counter() - started:.1f} s)"
        )
        nego_client = Client(HTTP_HOST="127.0.0.1")
        nego_client.force_login(nego)
        director_client = Client(HTTP_HOST="127.0.0.1")
        director_client.force_login(director)
        dashboard = reverse("indicators:campaign_dashboard", args=[campaign.pk])
        queue = reverse("indicators:validation_queue", args=[campaign.pk])
        pages = [
            (nego_client, f"tableau de bord ({count} établissements)", dashboard),
            (nego_client, "export XLSX du tableau de bord", dashboard + "?_export=xlsx"),
            (nego_client, "file de validation (page 1, 50 lignes)", queue + "?status=soumise"),
            (nego_client, "export CSV de la file", queue + "?_export=csv"),
            (director_client, "page « Mes indicateurs » d’un directeur",
             reverse("indicators:declare", args=[campaign.pk, entities[0].finess])),  # fmt: skip
            (nego_client, "page d’un indicateur (graphique)", reverse("indicators:indicator_detail", args=[indicators[0].pk])),
        ]  # fmt: skip
        for client, label, url in pages:
            times = []
            for _ in range(RUNS):
                reset_queries()
                with CaptureQueriesContext(connection) as queries:
                    begin = time.perf_counter()
                    response = client.get(url)
                    times.append(time.perf_counter() - begin)
                if response.status_code != 200:
                    raise CommandError(f"{url} : HTTP {response.status_code}")
            self.stdout.write(
                f"{label} : médiane {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms, "
                f"{len(queries)} requêtes SQL"
            )
        rows = entity_rows(campaign)
        done = sum(r.answered for r in rows)
        due = sum(r.due for r in rows)
        self.stdout.write(f"complétude de la région : {round(100 * done / due)} % ({done} / {due} valeurs)")
        begin = time.perf_counter()
        recipients = reminder_recipients(campaign)
        self.stdout.write(
            f"sélection des rappels : {len(recipients)} directeur(s), {(time.perf_counter() - begin) * 1000:.0f} ms"
        )
