from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from api import views

app_name = "api"

router = SimpleRouter()
router.register("regions", views.RegionViewSet, basename="region")
router.register("departements", views.DepartmentViewSet, basename="department")
router.register("entites", views.LegalEntityViewSet, basename="legal-entity")
router.register("etablissements", views.EstablishmentViewSet, basename="establishment")
router.register("structures", views.StructureViewSet, basename="structure")
router.register("cpoms", views.CpomViewSet, basename="cpom")
router.register("engagements", views.CommitmentViewSet, basename="commitment")
router.register("indicateurs", views.IndicatorViewSet, basename="indicator")
router.register("campagnes", views.CampaignViewSet, basename="campaign")
router.register("declarations", views.DeclarationViewSet, basename="declaration")
router.register("valeurs-calculees", views.ComputedValueViewSet, basename="computed-value")

urlpatterns = [
    path("schema/", views.SchemaView.as_view(), name="schema"),
    path("docs/", views.DocsView.as_view(), name="docs"),
    *router.urls,
    re_path(r"^.*/$", views.unknown_path),
]
