"""The demo's API tokens and open data: a read-only token of the demo
région for the négociateur (a BI tool) and a token of the director's
entity (its own system), printed once at the end of seed_demo, and the
open data files written where /donnees-ouvertes/ lists them.

Each run revokes the previous demo tokens: only the last printed ones work."""

from django.conf import settings
from django.db import transaction

from api.models import ApiToken
from api.tokens import issue_token, revoke_token
from opendata.publication import write_files

REGION_TOKEN_NAME = "Démonstration — outil décisionnel de l’ARS"  # nosec B105 - a token's name, not a secret
ENTITY_TOKEN_NAME = "Démonstration — système d’information de l’établissement"  # nosec B105 - a token's name, not a secret


@transaction.atomic
def build_demo_api(negotiator, director):
    """Returns the two secrets (région, entity) and the number of open data files written."""
    for holder, name in ((negotiator, REGION_TOKEN_NAME), (director, ENTITY_TOKEN_NAME)):
        for token in ApiToken.objects.active().filter(user=holder, name=name):
            revoke_token(holder, token)
    _token, region_key = issue_token(negotiator, REGION_TOKEN_NAME, days=30)
    _token, entity_key = issue_token(director, ENTITY_TOKEN_NAME, days=30)
    files = write_files(settings.OPEN_DATA_ROOT)
    return region_key, entity_key, len(files)


def demo_api_summary(region_key, entity_key, files, region):
    """What seed_demo prints: the two tokens, once, with a call for each."""
    site = settings.SITE_URL.rstrip("/")
    return "\n".join(
        [
            "Jetons d’API de démonstration (affichés une seule fois, valables 30 jours ; documentation : "
            f"{site}/api/v1/docs/) :",
            f"  région {region.name}, lecture seule (negociateur) : {region_key}",
            f"  entité du directeur, lecture et déclarations (directeur) : {entity_key}",
            f"  curl -H 'Authorization: Bearer {region_key}' '{site}/api/v1/declarations/?region={region.code}'",
            f"  curl -H 'Authorization: Bearer {entity_key}' '{site}/api/v1/campagnes/'",
            f"Données ouvertes : {files} fichier{'s' if files > 1 else ''} sur {site}/donnees-ouvertes/",
        ]
    )
