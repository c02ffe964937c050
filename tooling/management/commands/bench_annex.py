"""Benchmark of the annex: one CPOM of C commitments × I indicators rendered
to PDF, then the archive of a région's annexes. Prints figures; asserts
nothing; rolls the database back and writes files to a temporary folder."""

import io
import statistics
import tempfile
import time

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test import override_settings
from pypdf import PdfReader

from accounts.models import Role, User
from cooperations.finess import with_check_key
from cooperations.models import LegalEntity
from cpom import services
from cpom.annex import annex_context, pick_version, render_pdf, write_archive
from cpom.models import AnnexFile, Commitment, Cpom, Indicator

RUNS = 3


class BenchRollbackError(Exception):
    pass


class Command(BaseCommand):
    help = "Mesure le rendu PDF d’une annexe (20 engagements × 4 indicateurs par défaut) et l’archive d’une région."

    def add_arguments(self, parser):
        parser.add_argument("--commitments", type=int, default=20)
        parser.add_argument("--indicators", type=int, default=4)
        parser.add_argument("--region", default="11", help="Région dont on mesure l’archive (défaut 11).")

    def handle(self, *args, commitments, indicators, region, **options):
        with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
            try:
                with transaction.atomic():
                    self._run(commitments, indicators, region)
                    raise BenchRollbackError
            except BenchRollbackError:
                self.stdout.write("(données de mesure annulées)")

    def _run(self, commitment_count, indicator_count, region):
        nego = User.objects.create(username="bench-annexe", role=Role.NEGOTIATOR, region_id=region)
        entity = LegalEntity.objects.create(
            finess=with_check_key("78999999"), name="CH de mesure de l’annexe", department_id="78", region_id="11"
        )
        cpom = services.create_cpom(nego, entity, 2026, 2030)
        for i in range(commitment_count):
            commitment = Commitment(cpom=cpom, position=i, title=f"Engagement de mesure {i}", action_kind="filieres",
                                    theme="medicales", objective="Organiser la filière " * 12, benefits="Bénéfices " * 10)  # fmt: skip
            commitment.save()
            for k in range(indicator_count):
                indicator = Indicator.objects.create(
                    commitment=commitment, label=f"Indicateur {k} de l’engagement {i}", kind="declaratif",
                    value_type="effectif", unit="patients par an", data_source="Déclaration de l’établissement",
                )  # fmt: skip
                for year in cpom.years:
                    indicator.set_target(year, str(100 + year - 2026), nego)
        times, data = [], b""
        for _ in range(RUNS):
            begin = time.perf_counter()
            data = render_pdf(annex_context(cpom, pick_version(cpom)))
            times.append(time.perf_counter() - begin)
        pages = len(PdfReader(io.BytesIO(data)).pages)
        self.stdout.write(
            f"annexe de {commitment_count} engagements × {indicator_count} indicateurs : médiane "
            f"{statistics.median(times):.2f} s, max {max(times):.2f} s ; {pages} pages, {len(data) / 1024:.0f} Kio"
        )
        ids = list(Cpom.objects.filter(region_id=region).exclude(pk=cpom.pk).values_list("pk", flat=True))
        if not ids:
            self.stdout.write(f"archive : aucun CPOM dans la région {region} (lancez seed_demo)")
            return
        # Render every annex afresh (in the temporary folder), stored ones included.
        AnnexFile.objects.filter(cpom_id__in=ids).delete()
        begin = time.perf_counter()
        buffer = io.BytesIO()
        write_archive(ids, nego, buffer)
        elapsed = time.perf_counter() - begin
        self.stdout.write(
            f"archive de la région {region} : {len(ids)} annexes en {elapsed:.2f} s, {len(buffer.getvalue()) / 1024:.0f} Kio"
        )
