from django.urls import path

from . import views, views_cpom, views_imports

app_name = "cooperations"

urlpatterns = [
    path("etablissements/", views.establishment_list, name="establishment_list"),
    path("etablissements/<str:finess>/", views.establishment_detail, name="establishment_detail"),
    path("entites/<str:finess>/", views.legal_entity_detail, name="legal_entity_detail"),
    path("cooperations/", views.structure_list, name="structure_list"),
    path("cooperations/nouvelle/", views.structure_create, name="structure_create"),
    path("cooperations/<int:pk>/", views.structure_detail, name="structure_detail"),
    path("cooperations/<int:pk>/modifier/", views.structure_update, name="structure_update"),
    path("cpom/", views_cpom.cpom_list, name="cpom_list"),
    path("cpom/nouveau/", views_cpom.cpom_create, name="cpom_create"),
    path("cpom/annexes/", views_cpom.annex_archive_create, name="annex_archive_create"),
    path("cpom/annexes/<int:pk>/", views_cpom.annex_archive_detail, name="annex_archive_detail"),
    path("cpom/annexes/<int:pk>/etat/", views_cpom.annex_archive_status, name="annex_archive_status"),
    path("cpom/annexes/<int:pk>/archive.zip", views_cpom.annex_archive_download, name="annex_archive_download"),
    path("cpom/<int:pk>/", views_cpom.cpom_detail, name="cpom_detail"),
    path("cpom/<int:pk>/modifier/", views_cpom.cpom_update, name="cpom_update"),
    path("cpom/<int:pk>/supprimer/", views_cpom.cpom_delete, name="cpom_delete"),
    path("cpom/<int:pk>/etape/", views_cpom.cpom_transition, name="cpom_transition"),
    path("cpom/<int:pk>/historique/", views_cpom.cpom_history_view, name="cpom_history"),
    path("cpom/<int:pk>/annexe/", views_cpom.annex_preview, name="annex_preview"),
    path("cpom/<int:pk>/annexe.pdf", views_cpom.annex_download, name="annex_download"),
    path("cpom/<int:pk>/commentaires/", views_cpom.cpom_comment, name="cpom_comment"),
    path("cpom/<int:pk>/engagements/nouveau/", views_cpom.commitment_create, name="commitment_create"),
    path("engagements/<int:pk>/modifier/", views_cpom.commitment_update, name="commitment_update"),
    path("engagements/<int:pk>/supprimer/", views_cpom.commitment_delete, name="commitment_delete"),
    path("engagements/<int:pk>/deplacer/", views_cpom.commitment_move, name="commitment_move"),
    path("engagements/<int:pk>/proposer/", views_cpom.proposal_create, name="proposal_create"),
    path("propositions/<int:pk>/reponse/", views_cpom.proposal_decide, name="proposal_decide"),
    path("imports/", views_imports.import_list, name="import_list"),
    path("imports/<int:pk>/", views_imports.import_detail, name="import_detail"),
    path("imports/<int:pk>/etat/", views_imports.import_status, name="import_status"),
]
