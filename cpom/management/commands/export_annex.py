from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cpom.annex import annex_pdf, pick_version
from cpom.models import Cpom, CpomVersion


class Command(BaseCommand):
    help = "Écrit l’annexe volet 3 d’un CPOM en PDF (la dernière version, ou --cpom-version N)."

    def add_arguments(self, parser):
        parser.add_argument("cpom_id", type=int)
        parser.add_argument("-o", "--output", required=True, help="Fichier PDF à écrire.")
        parser.add_argument(
            "--cpom-version", dest="number", type=int, default=None, help="0 : contrat initial ; N : avenant n° N."
        )

    def handle(self, *args, cpom_id, output, number, **options):
        cpom = Cpom.objects.select_related("legal_entity", "region").filter(pk=cpom_id).first()
        if cpom is None:
            raise CommandError(f"Aucun CPOM n° {cpom_id}.")
        try:
            chosen = pick_version(cpom, number)
        except CpomVersion.DoesNotExist:
            raise CommandError(f"Le CPOM n° {cpom_id} n’a pas de version {number}.") from None
        annex = annex_pdf(cpom, chosen, None)
        with annex.file.open("rb") as source:
            Path(output).write_bytes(source.read())
        self.stdout.write(f"{output} : {cpom} — {chosen.label}, {annex.size} octets, SHA-256 {annex.sha256}")
