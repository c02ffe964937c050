from django.urls import path

from cpom import views

app_name = "cpom"

urlpatterns = [
    path("cpom/", views.cpom_list, name="cpom_list"),
    path("cpom/nouveau/", views.cpom_create, name="cpom_create"),
    path("cpom/bibliotheque/", views.indicator_library, name="indicator_library"),
    path("cpom/bibliotheque/<int:pk>/fiche/", views.template_sheet, name="template_sheet"),
    path("cpom/indicateurs/<int:pk>/fiche/", views.indicator_sheet, name="indicator_sheet"),
    path("cpom/annexes/", views.annex_archive_create, name="annex_archive_create"),
    path("cpom/annexes/<int:pk>/", views.annex_archive_detail, name="annex_archive_detail"),
    path("cpom/annexes/<int:pk>/etat/", views.annex_archive_status, name="annex_archive_status"),
    path("cpom/annexes/<int:pk>/archive.zip", views.annex_archive_download, name="annex_archive_download"),
    path("cpom/<int:pk>/modifier/", views.cpom_update, name="cpom_update"),
    path("cpom/<int:pk>/supprimer/", views.cpom_delete, name="cpom_delete"),
    path("cpom/<int:pk>/etape/", views.cpom_transition, name="cpom_transition"),
    path("cpom/<int:pk>/historique/", views.cpom_history_view, name="cpom_history"),
    path("cpom/<int:pk>/commentaires/", views.cpom_comment, name="cpom_comment"),
    path("cpom/<int:pk>/engagements/nouveau/", views.commitment_create, name="commitment_create"),
    path("engagements/<int:pk>/modifier/", views.commitment_update, name="commitment_update"),
    path("engagements/<int:pk>/supprimer/", views.commitment_delete, name="commitment_delete"),
    path("engagements/<int:pk>/deplacer/", views.commitment_move, name="commitment_move"),
    path("engagements/<int:pk>/proposer/", views.proposal_create, name="proposal_create"),
    path("propositions/<int:pk>/reponse/", views.proposal_decide, name="proposal_decide"),
]
