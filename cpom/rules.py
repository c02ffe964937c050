"""The Volet 3 rule that the legal vehicle is not an objective in itself
(seed 000), shared by the commitment form and the services that change a
commitment."""

import re

from django.utils.translation import gettext_lazy as _

# Seed 000, Volet 3: the rule the form quotes when an objective reads as the
# creation of a legal vehicle.
VEHICLE_RULE = _(
    "« La forme du montage juridique qui scelle cette coopération ne vient qu’encadrer cette collaboration "
    "et ne constitue pas un objectif en soi (par exemple : pas d’objectif du type « créer un GCS »). »"
)
_VEHICLE_RE = re.compile(
    r"\b(cr[ée]er|cr[ée]ation|constituer|constitution|mettre en place|mise en place|fonder|former|monter|"
    r"instituer|signer|signature|adh[ée]rer|adh[ée]sion)\b"
    r"(?:\W+\w+){0,4}?\W+"
    r"(gcs|gcsms|gie|gip|ght|cpts|fmih|groupement|association|f[ée]d[ée]ration|convention|"
    r"direction commune|structure juridique|personne morale|entit[ée] juridique)\b",
    re.IGNORECASE,
)


def vehicle_as_objective(*texts):
    """The words that make an objective read as creating a legal vehicle, or None."""
    for text in texts:
        match = _VEHICLE_RE.search(text or "")
        if match:
            return match.group(0)
    return None
