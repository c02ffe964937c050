from django.core.management.base import BaseCommand

from demo.compositions import reconstruct_idf_compositions


class Command(BaseCommand):
    help = (
        "Reconstitue, pour la démonstration, la composition des GHT d’Île-de-France selon la règle documentée "
        "dans cooperations/demo_compositions.py. Les GHT dont la liste officielle a été importée sont laissés tels quels."
    )

    def handle(self, *args, **options):
        s = reconstruct_idf_compositions()
        self.stdout.write(
            f"Compositions reconstituées : {s['ght']} GHT ; membres créés : {s['created']}, "
            f"mis à jour : {s['updated']}, retirés : {s['removed']}, inchangés : {s['unchanged']} ; "
            f"GHT à composition officielle laissés tels quels : {s['skipped_official']}"
        )
