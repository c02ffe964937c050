from django.core.management.base import BaseCommand

from accounts import inactivity


class Command(BaseCommand):
    help = "Avertit puis désactive les comptes inutilisés (ACCOUNT_INACTIVITY_DAYS, ACCOUNT_WARNING_DAYS)."

    def handle(self, *args, **options):
        warned, deactivated = inactivity.run()
        self.stdout.write(f"Comptes avertis : {warned} ; comptes désactivés : {deactivated}")
