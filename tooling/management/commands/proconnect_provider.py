"""A local ProConnect for the demo (tooling.oidc_provider): no internet. It
asks, in a form, who signs in. ``make proconnect-demo`` starts it with the
demo and the environment the application needs."""

import time

from django.core.management.base import BaseCommand

from tooling.oidc_provider import Provider


class Command(BaseCommand):
    help = "Fournisseur OpenID Connect local façon ProConnect, pour la démonstration (jamais en production)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8090)
        parser.add_argument("--client-id", default="cpom-local")
        parser.add_argument("--client-secret", default="secret-local-demonstration-only")

    def handle(self, *args, port, client_id, client_secret, **options):
        provider = Provider(client_id=client_id, client_secret=client_secret, port=port).start()
        self.stdout.write(f"ProConnect local : {provider.issuer}")
        for name, value in provider.env().items():
            self.stdout.write(f"  {name}={value}")
        self.stdout.flush()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            provider.stop()
