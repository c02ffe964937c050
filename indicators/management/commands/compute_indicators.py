from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cooperations.models import Region
from indicators.models import ComputationRun, ComputedValue
from indicators.tasks import compute_indicators


class Command(BaseCommand):
    help = "Calcule les indicateurs automatisables d’une année (tâche Celery ; immédiate sans REDIS_URL)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--region", help="Code INSEE de la région (toutes par défaut).")
        parser.add_argument("--timeout", type=int, default=3600, help="Attente du worker, en secondes.")

    def handle(self, *args, year, region, timeout, **options):
        found = None
        if region:
            found = Region.objects.filter(pk=region).first()
            if found is None:
                raise CommandError(f"Région « {region} » inconnue.")
        run = ComputationRun.objects.create(year=year, region=found)
        where = "dans ce processus" if settings.CELERY_TASK_ALWAYS_EAGER else "par le worker Celery"
        self.stdout.write(f"Calcul {year} {found or '(toutes régions)'} {where}…")
        compute_indicators.delay(run.pk).get(timeout=timeout)
        run.refresh_from_db()
        self.stdout.write(f"{run.done} / {run.total} indicateurs calculés, {run.changed} valeur(s) modifiée(s).")
        values = ComputedValue.objects.filter(run=run).select_related("indicator__commitment__cpom__legal_entity")
        for value in values:
            detail = value.reason or " / ".join(
                f"{number.normalize():f}" for number in (value.numerator, value.denominator) if number is not None
            )
            entity = value.indicator.commitment.cpom.legal_entity.name
            self.stdout.write(f"  {entity} — {value.indicator.label} : {value.display} ({detail})")
