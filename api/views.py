"""The endpoints of ``/api/v1/``. Every queryset starts from the model's
``visible_to(request.user)``, the user being the token's (see
``api.tokens``): a token sees what its holder sees in the pages, no more.
Writes go through the page's form and service (``indicators.services``)."""

import hashlib
import logging
import mimetypes

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import OuterRef, Prefetch, Subquery
from django.http import FileResponse, Http404, JsonResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, NotAuthenticated
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from api import serializers
from api.filters import (
    CampaignFilter,
    CommitmentFilter,
    ComputedValueFilter,
    CpomFilter,
    DeclarationFilter,
    EstablishmentFilter,
    IndicatorFilter,
    LegalEntityFilter,
    StructureFilter,
)
from api.models import ApiToken
from api.permissions import DeclaresWithToken, HasApiToken
from api.selectors import (
    campaigns_with_last_change,
    commitments_with_last_change,
    cpoms_with_last_change,
    indicators_with_last_change,
)
from cooperations.models import CooperationStructure, Department, Establishment, LegalEntity, Membership, Region
from core.concurrency import edit_token
from core.values import raw_value
from cpom.models import Commitment, CommitmentPartner, Cpom, CpomVersion, Indicator, TargetValue
from indicators import services
from indicators.forms import EntryForm
from indicators.models import Campaign, ComputedValue, Declaration, DeclarationEvent

write_log = logging.getLogger("api.writes")
refusal_log = logging.getLogger("access.refused")

ID = r"[0-9]{1,19}"
FINESS = r"[0-9AB]{9}"
CODE = r"[0-9AB]{1,3}"


def exception_handler(exc, context):
    """DRF's, plus the Django ValidationError a service may raise (a 400 with its French messages)."""
    if isinstance(exc, DjangoValidationError):
        return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, NotAuthenticated):
        exc.detail = ErrorDetail(str(HasApiToken.message), code=exc.default_code)
    return drf_exception_handler(exc, context)


@csrf_exempt
def unknown_path(request, *args, **kwargs):
    """Any other address under /api/v1/: a JSON 404, not the pages' HTML one."""
    return JsonResponse({"detail": _("Adresse inconnue de l’API : voyez /api/v1/docs/.")}, status=404)


class Cursor(CursorPagination):
    """Big collections: stable pages by id, the next page's link in ``next``."""

    ordering = "pk"
    page_size = 100
    page_size_query_param = "taille"
    max_page_size = 1000
    cursor_query_param = "curseur"


class ApiViewMixin:
    """Every endpoint: a token, writes only by an entity's token, an ETag on
    what is read, and a log line for every write and every refusal."""

    permission_classes = [HasApiToken, DeclaresWithToken]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ["Authorization"])
        if request.method == "GET" and response.status_code == 200 and isinstance(response, Response):
            response.render()
            response["ETag"] = f'"{hashlib.sha256(response.content).hexdigest()[:40]}"'
            response = get_conditional_response(request, etag=response["ETag"], response=response)
        self._log(request, response)
        return response

    def _log(self, request, response):
        token = request.auth if isinstance(request.auth, ApiToken) else None
        user = getattr(request, "user", None)
        fields = {
            "user_id": token.user_id if token else None,
            "username": user.get_username() if user is not None and user.is_authenticated else None,
            "role": getattr(user, "role", None),
            "method": request.method,
            "path": request.path,
            "token": f"{token.pk} {token.prefix}…" if token else None,
        }
        if response.status_code >= 400:
            detail = getattr(response, "data", None)
            reason = detail.get("detail", detail) if isinstance(detail, dict) else detail
            refusal_log.warning(
                "appel d’API refusé (%s)", response.status_code, extra={**fields, "reason": str(reason)[:500]}
            )
        elif request.method not in ("GET", "HEAD", "OPTIONS"):
            write_log.info(
                "écriture par l’API : %s %s → %s (jeton %s)",
                request.method,
                request.path,
                response.status_code,
                fields["token"],
                extra=fields,
            )

    def handle_exception(self, exc):
        # A refusal of the services is the pages' 403/404, not a 500.
        if isinstance(exc, DjangoPermissionDenied):
            return Response({"detail": _("Action non autorisée.")}, status=status.HTTP_403_FORBIDDEN)
        return super().handle_exception(exc)


class ReadOnlyViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    pagination_class = Cursor
    lookup_value_regex = ID


# --- The register ---------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=_("Régions"), description=_("Les régions INSEE (une ARS chacune).")),
    retrieve=extend_schema(summary=_("Une région")),
)
class RegionViewSet(ReadOnlyViewSet):
    serializer_class = serializers.RegionSerializer
    pagination_class = None
    lookup_field = "code"
    lookup_value_regex = CODE
    queryset = Region.objects.order_by("code")


@extend_schema_view(
    list=extend_schema(summary=_("Départements")),
    retrieve=extend_schema(summary=_("Un département")),
)
class DepartmentViewSet(ReadOnlyViewSet):
    serializer_class = serializers.DepartmentSerializer
    pagination_class = None
    lookup_field = "code"
    lookup_value_regex = CODE
    queryset = Department.objects.order_by("code")
    filterset_fields = ["region"]


@extend_schema_view(
    list=extend_schema(
        summary=_("Entités juridiques"),
        description=_(
            "Les entités juridiques (FINESS EJ) visibles par le jeton. Le répertoire est rechargé en bloc par "
            "les imports FINESS : pas de « updated_since » ici, relisez la collection."
        ),
    ),
    retrieve=extend_schema(summary=_("Une entité juridique (par son FINESS EJ)")),
)
class LegalEntityViewSet(ReadOnlyViewSet):
    serializer_class = serializers.LegalEntitySerializer
    filterset_class = LegalEntityFilter
    lookup_field = "finess"
    lookup_value_regex = FINESS

    def get_queryset(self):
        return LegalEntity.objects.visible_to(self.request.user).select_related("legal_status")


@extend_schema_view(
    list=extend_schema(summary=_("Établissements (sites)")),
    retrieve=extend_schema(summary=_("Un établissement (par son FINESS ET)")),
)
class EstablishmentViewSet(ReadOnlyViewSet):
    serializer_class = serializers.EstablishmentSerializer
    filterset_class = EstablishmentFilter
    lookup_field = "finess"
    lookup_value_regex = FINESS

    def get_queryset(self):
        return Establishment.objects.visible_to(self.request.user).select_related("legal_entity", "category")


@extend_schema_view(
    list=extend_schema(summary=_("Structures de coopération et leurs membres")),
    retrieve=extend_schema(summary=_("Une structure de coopération")),
)
class StructureViewSet(ReadOnlyViewSet):
    serializer_class = serializers.StructureSerializer
    filterset_class = StructureFilter

    def get_queryset(self):
        members = Membership.objects.select_related("legal_entity", "establishment").order_by("pk")
        return (
            CooperationStructure.objects.visible_to(self.request.user)
            .select_related("legal_entity")
            .prefetch_related(Prefetch("memberships", queryset=members))
        )


# --- The contract ---------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=_("CPOM et leurs versions signées")),
    retrieve=extend_schema(summary=_("Un CPOM, avec le contenu de chaque version signée")),
)
class CpomViewSet(ReadOnlyViewSet):
    filterset_class = CpomFilter

    def get_serializer_class(self):
        return serializers.CpomDetailSerializer if self.action == "retrieve" else serializers.CpomSerializer

    def get_queryset(self):
        versions = CpomVersion.objects.order_by("number")
        if self.action != "retrieve":
            versions = versions.defer("content")
        queryset = Cpom.objects.visible_to(self.request.user).select_related("legal_entity")
        return cpoms_with_last_change(queryset.prefetch_related(Prefetch("versions", queryset=versions)))


@extend_schema_view(
    list=extend_schema(summary=_("Engagements du volet 3 et leurs partenaires")),
    retrieve=extend_schema(summary=_("Un engagement")),
)
class CommitmentViewSet(ReadOnlyViewSet):
    serializer_class = serializers.CommitmentSerializer
    filterset_class = CommitmentFilter

    def get_queryset(self):
        partners = CommitmentPartner.objects.select_related("legal_entity", "structure").order_by("pk")
        queryset = (
            Commitment.objects.visible_to(self.request.user)
            .select_related("vehicle")
            .prefetch_related(Prefetch("partners", queryset=partners))
        )
        return commitments_with_last_change(queryset)


@extend_schema_view(
    list=extend_schema(summary=_("Indicateurs, leur valeur de référence et leurs cibles")),
    retrieve=extend_schema(summary=_("Un indicateur")),
)
class IndicatorViewSet(ReadOnlyViewSet):
    serializer_class = serializers.IndicatorSerializer
    filterset_class = IndicatorFilter

    def get_queryset(self):
        queryset = (
            Indicator.objects.visible_to(self.request.user)
            .select_related("commitment")
            .prefetch_related(Prefetch("targets", queryset=TargetValue.objects.order_by("year")))
        )
        return indicators_with_last_change(queryset)


# --- The follow-up ----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=_("Campagnes de suivi")),
    retrieve=extend_schema(summary=_("Une campagne de suivi")),
)
class CampaignViewSet(ReadOnlyViewSet):
    serializer_class = serializers.CampaignSerializer
    filterset_class = CampaignFilter

    def get_queryset(self):
        user = self.request.user
        # The CPOMs a campaign follows, as far as the token sees them (a director: his own).
        cpoms = Cpom.objects.visible_to(user).order_by("pk")
        queryset = Campaign.objects.visible_to(user).prefetch_related(Prefetch("cpoms", queryset=cpoms))
        return campaigns_with_last_change(queryset)


DECLARATION_ERRORS = {
    400: OpenApiResponse(description=_("Refusée : le motif en français (fenêtre, valeur, justificatif…).")),
    409: OpenApiResponse(description=_("La valeur a été modifiée entre-temps (champ « version »).")),
}
EMPTIED = OpenApiResponse(description=_("Brouillon vidé (ni valeur, ni commentaire, ni justificatif) : supprimé."))
ENTRY_FIELDS = {
    "value": "valeur",
    "comment": "commentaire",
    "evidence": "justificatif",
    "clear_evidence": "retirer_justificatif",
    "edit_token": "version",  # nosec B105 - a field name of the API, not a secret
    "__all__": "detail",
}


@extend_schema_view(
    list=extend_schema(summary=_("Déclarations, leur statut et leur historique")),
    retrieve=extend_schema(summary=_("Une déclaration")),
    create=extend_schema(
        summary=_("Déclarer une valeur (brouillon, ou soumise avec « soumettre »)"),
        description=_(
            "Jeton d’une entité seulement. Mêmes règles et mêmes messages que la page « Mes indicateurs » : "
            "fenêtre de déclaration, type de la valeur, justificatif. Une déclaration existante de "
            "l’indicateur pour l’année de la campagne est mise à jour (200) ; sinon elle est créée (201). "
            "Une valeur et un commentaire vides sur un brouillon sans justificatif le suppriment (204)."
        ),
        request={
            "application/json": serializers.DeclarationEntrySerializer,
            "multipart/form-data": serializers.DeclarationEntrySerializer,
        },
        responses={200: serializers.DeclarationSerializer, 201: serializers.DeclarationSerializer, 204: EMPTIED}
        | DECLARATION_ERRORS,
    ),
    partial_update=extend_schema(
        summary=_("Modifier une déclaration (valeur, commentaire, justificatif)"),
        description=_("Jeton d’une entité seulement. Les champs absents gardent leur valeur."),
        request={
            "application/json": serializers.DeclarationEntrySerializer,
            "multipart/form-data": serializers.DeclarationEntrySerializer,
        },
        responses={200: serializers.DeclarationSerializer, 204: EMPTIED} | DECLARATION_ERRORS,
    ),
)
class DeclarationViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ReadOnlyViewSet):
    serializer_class = serializers.DeclarationSerializer
    filterset_class = DeclarationFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        events = DeclarationEvent.objects.select_related("user").order_by("at", "pk")
        # The edit token of the pages (core.concurrency: the latest history record), in the same query.
        latest = Declaration.history.filter(id=OuterRef("pk")).order_by("-history_id").values("history_id")[:1]
        return (
            Declaration.objects.visible_to(self.request.user)
            .select_related("indicator__commitment__cpom__legal_entity")
            .prefetch_related(Prefetch("events", queryset=events))
            .annotate(edit_token_value=Subquery(latest))
        )

    def _representation(self, declaration, created=False):
        if declaration is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        declaration = self.get_queryset().get(pk=declaration.pk)
        data = serializers.DeclarationSerializer(declaration, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def _entry(self, campaign, indicator, declaration, data, submit):
        """The page's entry form, filled from the API's fields, then the page's service."""
        # Without « version », the write is compared with the declaration as this call found it.
        current = edit_token(declaration) if declaration is not None else None
        version = data.get("version") or current
        form_data = {
            "clear_evidence": data.get("retirer_justificatif", False),
            "edit_token": "" if version is None else version,
        }
        if declaration is not None:
            form_data["value"] = raw_value(indicator.value_type, declaration.value, declaration.text)
            form_data["comment"] = declaration.comment
        if "valeur" in data:
            form_data["value"] = data["valeur"]
        if "commentaire" in data:
            form_data["comment"] = data["commentaire"]
        files = {"evidence": data["justificatif"]} if data.get("justificatif") else {}
        form = EntryForm(form_data, files, indicator=indicator, declaration=declaration, token=current)
        if not form.is_valid():
            errors = {ENTRY_FIELDS.get(name, name): messages for name, messages in form.errors.items()}
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        entity_id = indicator.commitment.cpom.legal_entity_id
        try:
            services.save_declarations(self.request.user, campaign, entity_id, [form.entry()], submit=submit)
        except services.StaleDeclarationError as error:
            return Response({"detail": " ".join(error.messages)}, status=status.HTTP_409_CONFLICT)
        except DjangoValidationError as error:
            return Response({"detail": " ".join(error.messages)}, status=status.HTTP_400_BAD_REQUEST)
        return Declaration.objects.filter(indicator=indicator, year=campaign.year).first()

    def _entry_data(self, request):
        entry = serializers.DeclarationEntrySerializer(data=request.data)
        entry.is_valid(raise_exception=True)
        return {key: value for key, value in entry.validated_data.items() if key in request.data or value}

    def create(self, request, *args, **kwargs):
        data = self._entry_data(request)
        errors = {}
        user = request.user
        campaign = indicator = None
        if "campagne" not in data:
            errors["campagne"] = [_("Ce champ est obligatoire.")]
        else:
            campaign = Campaign.objects.visible_to(user).filter(pk=data["campagne"]).first()
            if campaign is None:
                errors["campagne"] = [_("Aucune campagne n° %(id)s ne vous concerne.") % {"id": data["campagne"]}]
        if "indicateur" not in data:
            errors["indicateur"] = [_("Ce champ est obligatoire.")]
        else:
            indicator = (
                Indicator.objects.visible_to(user)
                .select_related("commitment__cpom")
                .filter(pk=data["indicateur"])
                .first()
            )
            if indicator is None:
                errors["indicateur"] = [_("Aucun indicateur n° %(id)s ne vous concerne.") % {"id": data["indicateur"]}]
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        existing = Declaration.objects.filter(indicator=indicator, year=campaign.year).first()
        result = self._entry(campaign, indicator, existing, data, submit=data.get("soumettre", False))
        if isinstance(result, Response):
            return result
        return self._representation(result, created=existing is None)

    def partial_update(self, request, *args, **kwargs):
        declaration = self.get_object()
        data = self._entry_data(request)
        for field, current in (("campagne", declaration.campaign_id), ("indicateur", declaration.indicator_id)):
            if field in data and data[field] != current:
                return Response(
                    {field: [_("Une déclaration ne change pas de campagne ni d’indicateur.")]},
                    status=status.HTTP_400_BAD_REQUEST,
                )
        result = self._entry(
            declaration.campaign, declaration.indicator, declaration, data, submit=data.get("soumettre", False)
        )
        return result if isinstance(result, Response) else self._representation(result)

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(
        summary=_("Soumettre la valeur à l’ARS"),
        description=_("Jeton d’une entité seulement. Comme « Soumettre mes valeurs à l’ARS » dans la page."),
        request=None,
        responses={200: serializers.DeclarationSerializer} | DECLARATION_ERRORS,
    )
    @action(detail=True, methods=["post"], url_path="soumettre")
    def submit(self, request, pk=None):
        declaration = self.get_object()
        result = self._entry(declaration.campaign, declaration.indicator, declaration, {}, submit=True)
        return result if isinstance(result, Response) else self._representation(result)

    @extend_schema(
        summary=_("Télécharger le justificatif"),
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], url_path="justificatif")
    def evidence(self, request, pk=None):
        declaration = self.get_object()
        if not declaration.evidence:
            raise Http404
        # The type comes from the stored name, whose suffix was set from the checked content.
        content_type = mimetypes.guess_type(declaration.evidence.name)[0] or "application/octet-stream"
        return FileResponse(
            declaration.evidence.open("rb"),
            as_attachment=True,
            filename=declaration.evidence_name or "justificatif",
            content_type=content_type,
        )


@extend_schema_view(
    list=extend_schema(summary=_("Valeurs calculées : numérateur, dénominateur et données utilisées")),
    retrieve=extend_schema(summary=_("Une valeur calculée")),
)
class ComputedValueViewSet(ReadOnlyViewSet):
    serializer_class = serializers.ComputedValueSerializer
    filterset_class = ComputedValueFilter

    def get_queryset(self):
        # A computed value is seen with its indicator (the indicator's page shows it).
        indicators = Indicator.objects.visible_to(self.request.user)
        return ComputedValue.objects.filter(indicator__in=indicators).prefetch_related("imports")


# --- The schema and its documentation ---------------------------------------------------------


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema (YAML; ``?format=json`` for JSON), open to all: it holds no data."""


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from the application's own static files (drf-spectacular-sidecar), its start-up
    script served as a file: it runs under the site's Content Security Policy, without internet."""

    template_name = "api/swagger_ui.html"
    url_name = "api:schema"
