from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cooperations.models import Region
from indicators.models import ComputationRun, ComputedValue
from indicators.tasks import compute_indicators


class Command(BaseCommand):
    help = "Calcule les indicateurs automatisables d’une année (tâche en arrière-plan ; immédiate sans REDIS_URL)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--region", help="Code INSEE de la région (toutes par défaut).")
        parser.add_argument("--timeout", type=int, default=3600, help="Attente du calcul en arrière-plan, en secondes.")

    def handle(self, *args, year, region, timeout, **options):
        found = None
        if region:
            found = Region.objects.filter(pk=region).first()
            if found is None:
                raise CommandError(f"Région « {region} » inconnue.")
        run = ComputationRun.objects.create(year=year, region=found)
        where = "dans ce processus" if settings.CELERY_TASK_ALWAYS_EAGER else "par le service de tâches en arrière-plan"
        self.stdout.write(f"Calcul {year} {found or '(toutes régions)'} {where}…")
        compute_indicators.delay(run.pk).get(timeout=timeout)
        run.refresh_from_db()
        changed = f"{run.changed} valeur{'s' if run.changed > 1 else ''} modifiée{'s' if run.changed > 1 else ''}"
        self.stdout.write(f"{run.done} / {run.total} indicateurs calculés, {changed}.")
        values = ComputedValue.objects.filter(run=run).select_related("indicator__commitment__cpom__legal_entity")
        for value in values:
            detail = value.reason or " / ".join(
                f"{number.normalize():f}" for number in (value.numerator, value.denominator) if number is not None
            )
            entity = value.indicator.commitment.cpom.legal_entity.name
            self.stdout.write(f"  {entity} — {value.indicator.label} : {value.display} ({detail})")
