"""The OpenAPI schema's parts drf-spectacular cannot guess: the bearer token
scheme, and the refusals every operation may answer (documented so that a
client — and schemathesis — knows them)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

ERROR = {
    "type": "object",
    "description": "Le motif en français : « detail », ou la liste des messages de chaque champ refusé.",
    "additionalProperties": True,
    "properties": {"detail": {"type": "string"}},
}
REFUSALS = {
    "400": "Paramètre ou contenu refusé (le motif en français).",
    "401": "Jeton absent, invalide, expiré ou révoqué.",
    "403": "Action interdite à ce jeton (un jeton de région est en lecture seule).",
    "404": "Inconnu, ou hors du périmètre du jeton.",
    "429": "Trop d’appels pour ce jeton : réessayez après « Retry-After » secondes.",
}


class FrenchAutoSchema(AutoSchema):
    """The code's docstrings are English and for developers: an operation's
    description is only the French one given with ``extend_schema``."""

    def get_description(self):
        return ""


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "jeton"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Un jeton créé dans l’application (page « Jetons d’API ») : « Authorization: Bearer <jeton> ».",
        }


def document_refusals(result, generator, request, public):
    """Every operation may be refused; every read may answer 304 to If-None-Match."""
    result.setdefault("components", {}).setdefault("schemas", {})["Erreur"] = ERROR
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Erreur"}}}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            responses = operation.setdefault("responses", {})
            for code, description in REFUSALS.items():
                responses.setdefault(code, {"description": description, "content": reference})
            if method == "get":
                responses.setdefault("304", {"description": "Inchangé depuis l’ETag envoyé dans If-None-Match."})
    return result
