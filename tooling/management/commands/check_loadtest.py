import json
from collections import defaultdict

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q

from cpom.models import Commitment
from indicators.models import Declaration, DeclarationStatus
from tooling import loadtest_check as check
from tooling.loadtest_data import REFERENCE_PREFIX


class Command(BaseCommand):
    help = (
        "Compare chaque écriture acquittée pendant le test de charge avec la base : valeurs perdues, "
        "doublons, erreurs 5xx ; affiche requêtes/s, p50, p95. Sort en erreur au moindre écart."
    )

    def add_arguments(self, parser):
        parser.add_argument("--log", required=True, help="Préfixe des journaux du locustfile (LOADTEST_LOG).")
        parser.add_argument("--csv", default="", help="Préfixe des fichiers --csv de locust.")
        parser.add_argument("--manifest", required=True)

    def handle(self, *args, **options):
        with open(options["manifest"], encoding="utf-8") as handle:
            manifest = json.load(handle)
        files = check.log_files(options["log"])
        if not files:
            raise CommandError(f"Aucun journal {options['log']}.* : le test de charge a-t-il tourné ?")
        events = check.read_log(files)
        report = check.Report()
        check.read_figures(events, report)
        if options["csv"]:
            check.read_failures(options["csv"], report)

        declarations = Declaration.objects.filter(indicator__commitment__cpom__reference__startswith=REFERENCE_PREFIX)
        rows = defaultdict(list)
        for indicator, year, value, status in declarations.values_list("indicator_id", "year", "value", "status"):
            rows[(indicator, year)].append((value, status))
        check.check_declarations(events, rows, report)
        check.check_decisions(events, dict(declarations.values_list("pk", "status")), report)
        commitments = Commitment.objects.filter(pk__in=manifest["commitments"])
        history = defaultdict(list)
        for pk, record in Commitment.history.filter(id__in=manifest["commitments"]).values_list("id", "history_id"):
            history[pk].append(record)
        check.check_commitments(
            events,
            {pk: (sorted(history[pk]), objective) for pk, objective in commitments.values_list("pk", "objective")},
            report,
        )
        created = declarations.annotate(
            created=Count("events", filter=Q(events__previous_status="", events__status=DeclarationStatus.DRAFT))
        )
        check.check_duplicates(
            list(declarations.values_list("pk", "indicator_id", "year")),
            dict(created.values_list("pk", "created")),
            report,
        )
        for line in report.lines():
            self.stdout.write(line)
        if not report.ran:
            raise CommandError("Test de charge : aucune requête ou aucune écriture acquittée, rien n’est prouvé.")
        if not report.ok:
            raise CommandError("Test de charge : des données sont perdues ou en double, ou le serveur a répondu 5xx.")
        self.stdout.write(self.style.SUCCESS("Aucune donnée perdue, aucun doublon, aucune erreur 5xx."))
