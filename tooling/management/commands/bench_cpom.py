"""Benchmark of the CPOM pages: N CPOMs of M commitments (each with two
indicators and their five targets, a partner and a message), then the
server time and SQL queries of the CPOM list, a CPOM page, the commitment
page and a signature. Prints figures; asserts nothing; rolls everything back."""

import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role, User
from cooperations.finess import with_check_key
from cooperations.models import LegalEntity, LegalStatus
from cpom import services
from cpom.models import Commitment, CommitmentPartner, Cpom, Indicator, TargetValue

RUNS = 7


class BenchRollbackError(Exception):
    pass


class Command(BaseCommand):
    help = "Mesure les pages CPOM (liste, CPOM, engagement) et la signature sur N CPOM de M engagements."

    def add_arguments(self, parser):
        parser.add_argument("--cpoms", type=int, default=500)
        parser.add_argument("--commitments", type=int, default=30)

    def handle(self, *args, cpoms, commitments, **options):
        try:
            with transaction.atomic():
                self._run(cpoms, commitments)
                raise BenchRollbackError
        except BenchRollbackError:
            self.stdout.write("(données de mesure annulées)")

    def _run(self, cpom_count, commitment_count):
        nego = User.objects.create(username="bench-negociateur", role=Role.NEGOTIATOR, region_id="11")
        status = LegalStatus.objects.filter(code="13").first()
        started = time.perf_counter()
        entities = LegalEntity.objects.bulk_create(
            LegalEntity(finess=with_check_key(f"78{900000 + i:06d}"), name=f"CH de mesure {i}", department_id="78",
                        region_id="11", legal_status=status)
            for i in range(cpom_count)
        )  # fmt: skip
        big = None
        for index, entity in enumerate(entities):
            cpom = services.create_cpom(nego, entity, 2026, 2030)
            size = commitment_count if index == 0 else 3
            rows = Commitment.objects.bulk_create(
                Commitment(cpom=cpom, position=i, title=f"Engagement {i}", action_kind="filieres", theme="medicales",
                           objective="Mesure") for i in range(size)
            )  # fmt: skip
            indicators = Indicator.objects.bulk_create(
                Indicator(commitment=c, label=f"Indicateur {k}", kind="declaratif", value_type="effectif")
                for c in rows
                for k in range(2)
            )
            TargetValue.objects.bulk_create(
                TargetValue(indicator=i, year=y, value=y - 2020) for i in indicators for y in cpom.years
            )
            CommitmentPartner.objects.bulk_create(CommitmentPartner(commitment=c, external_name="CPTS") for c in rows)
            if index == 0:
                big = cpom
        self.stdout.write(
            f"Données : {cpom_count} CPOM, {Commitment.objects.count()} engagements, "
            f"{TargetValue.objects.count()} valeurs-cibles ({time.perf_counter() - started:.1f} s)"
        )
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(nego)
        commitment = big.commitments.first()
        pages = [
            ("liste des CPOM (page 1, 25 lignes)", reverse("cpom:cpom_list")),
            (
                "liste filtrée (année 2027, tri par période)",
                reverse("cpom:cpom_list") + "?year=2027&sort=period",
            ),
            (f"page d’un CPOM de {commitment_count} engagements", big.get_absolute_url()),
            ("page d’un engagement", reverse("cpom:commitment_update", args=[commitment.pk])),
            ("export XLSX de la liste", reverse("cpom:cpom_list") + "?_export=xlsx"),
        ]
        for label, url in pages:
            times = []
            for _ in range(RUNS):
                reset_queries()  # the DEBUG query log is capped: start each run empty
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
        begin = time.perf_counter()
        services.mark_ready_to_sign(big, nego)
        services.sign(Cpom.objects.get(pk=big.pk), nego, big.created_at.date())
        self.stdout.write(f"signature du CPOM de {commitment_count} engagements (instantané compris) : "
                          f"{(time.perf_counter() - begin) * 1000:.0f} ms")  # fmt: skip
