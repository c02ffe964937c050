from django.core.management.base import BaseCommand, CommandError

from tooling.loadtest_data import DEFAULT_PASSWORD, LoadTestDataError, build, write_manifest


class Command(BaseCommand):
    help = (
        "Prépare (ou remplace) les données du test de charge sur les données de référence réelles : "
        "un directeur par entité juridique réelle de la région, son CPOM signé suivi par une campagne ouverte, "
        "des projets de CPOM et des négociateurs de la région."
    )

    def add_arguments(self, parser):
        parser.add_argument("--directors", type=int, default=60)
        parser.add_argument("--negotiators", type=int, default=5)
        parser.add_argument(
            "--drafts", type=int, default=10, help="Projets de CPOM dont les négociateurs modifient l’engagement."
        )
        parser.add_argument("--region", default="11")
        parser.add_argument("--year", type=int, default=None, help="Année suivie (par défaut : l’année dernière).")
        parser.add_argument("--password", default=DEFAULT_PASSWORD)
        parser.add_argument("--manifest", default="", help="Fichier JSON écrit pour le locustfile.")

    def handle(self, *args, **options):
        try:
            manifest = build(
                directors=options["directors"],
                negotiators=options["negotiators"],
                drafts=min(options["drafts"], options["directors"]),
                region_code=options["region"],
                year=options["year"],
                password=options["password"],
            )
        except LoadTestDataError as error:
            raise CommandError(str(error)) from None
        if options["manifest"]:
            write_manifest(manifest, options["manifest"])
        self.stdout.write(
            f"Test de charge : campagne {manifest['year']} (n° {manifest['campaign']}) de la région {manifest['region']}, "
            f"{len(manifest['directors'])} directeurs, {len(manifest['negotiators'])} négociateurs, "
            f"{len(manifest['commitments'])} engagements en négociation."
        )
