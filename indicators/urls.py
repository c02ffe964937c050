from django.urls import path

from indicators import views

app_name = "indicators"

urlpatterns = [
    path("", views.campaign_list, name="campaign_list"),
    path("mes-indicateurs/", views.my_declarations, name="my_declarations"),
    path("campagnes/nouvelle/", views.campaign_create, name="campaign_create"),
    path("campagnes/<int:pk>/", views.campaign_dashboard, name="campaign_dashboard"),
    path("campagnes/<int:pk>/modifier/", views.campaign_update, name="campaign_update"),
    path("campagnes/<int:pk>/validation/", views.validation_queue, name="validation_queue"),
    path("campagnes/<int:pk>/etablissements/<str:finess>/", views.declare, name="declare"),
    path(
        "campagnes/<int:pk>/etablissements/<str:finess>/validation-groupee/",
        views.bulk_validate,
        name="bulk_validate",
    ),
    path("declarations/<int:pk>/", views.declaration_detail, name="declaration_detail"),
    path("declarations/<int:pk>/valider/", views.declaration_validate, name="declaration_validate"),
    path("declarations/<int:pk>/renvoyer/", views.declaration_send_back, name="declaration_send_back"),
    path("declarations/<int:pk>/rouvrir/", views.declaration_reopen, name="declaration_reopen"),
    path("declarations/<int:pk>/notes/", views.declaration_note, name="declaration_note"),
    path("declarations/<int:pk>/justificatif/", views.declaration_evidence, name="declaration_evidence"),
    path("indicateurs/<int:pk>/", views.indicator_detail, name="indicator_detail"),
    path("donnees/", views.input_list, name="input_list"),
    path("donnees/<int:pk>/", views.input_detail, name="input_detail"),
    path("donnees/depots/<int:pk>/", views.input_run_detail, name="input_run_detail"),
    path("donnees/depots/<int:pk>/etat/", views.input_run_status, name="input_run_status"),
    path("calculs/", views.computation_list, name="computation_list"),
    path("calculs/<int:pk>/", views.computation_detail, name="computation_detail"),
    path("calculs/<int:pk>/etat/", views.computation_status, name="computation_status"),
]
