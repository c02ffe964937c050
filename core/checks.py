"""Deployment checks of our own, run by ``manage.py check --deploy``."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def site_url_is_public(app_configs, **kwargs):
    """Production emails link to SITE_URL: it must be set, in HTTPS, and not a local address."""
    parts = urlsplit(settings.SITE_URL)
    if parts.scheme == "https" and parts.hostname not in (None, "localhost", "127.0.0.1", "::1"):
        return []
    return [
        Warning(
            f"SITE_URL vaut « {settings.SITE_URL} » : les courriels renverraient vers cette adresse.",
            hint="Donnez l’adresse publique du site en HTTPS (variable SITE_URL), p. ex. https://cpom.ars.sante.fr.",
            id="core.W001",
        )
    ]
