from django.core.management.base import BaseCommand, CommandError

from cooperations.models import Region
from cpom.annex import write_archive
from cpom.models import Cpom


class Command(BaseCommand):
    help = "Écrit dans une archive ZIP l’annexe volet 3 (dernière version) de chaque CPOM d’une région."

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True, help="Code INSEE de la région, ex. 11.")
        parser.add_argument("-o", "--output", required=True, help="Archive ZIP à écrire.")

    def handle(self, *args, region, output, **options):
        if not Region.objects.filter(code=region).exists():
            raise CommandError(f"Région inconnue : {region}.")
        ids = list(
            Cpom.objects.filter(region_id=region)
            .order_by("legal_entity__name", "first_year")
            .values_list("pk", flat=True)
        )
        if not ids:
            raise CommandError(f"Aucun CPOM dans la région {region}.")
        count = write_archive(ids, None, output)
        self.stdout.write(f"{output} : {count} annexes")
