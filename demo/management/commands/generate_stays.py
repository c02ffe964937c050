from django.core.management.base import BaseCommand, CommandError

from cooperations.models import Region
from demo.stays_generator import generate_stays


class Command(BaseCommand):
    help = "Génère des séjours fictifs de la forme PMSI (déterministes), pour la démonstration et les mesures."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--year", type=int, default=2025)
        parser.add_argument("--region", help="Code INSEE d’une région (toutes par défaut).")

    def handle(self, *args, rows, seed, year, region, **options):
        found = None
        if region:
            found = Region.objects.filter(pk=region).first()
            if found is None:
                raise CommandError(f"Région « {region} » inconnue.")
        try:
            batch = generate_stays(rows, seed, year, found)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{batch.rows} lignes de séjours générées pour {year} (source « {batch.source} »).")
