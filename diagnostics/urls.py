from django.urls import path

from diagnostics import views

app_name = "diagnostics"

urlpatterns = [
    path("", views.diagnostic_list, name="diagnostic_list"),
    path("nouveau/", views.diagnostic_create, name="diagnostic_create"),
    path("<int:pk>/", views.diagnostic_detail, name="diagnostic_detail"),
    path("<int:pk>/reponses/", views.diagnostic_answers, name="diagnostic_answers"),
    path("<int:pk>/structures/<str:finess>/", views.structure_view_edit, name="structure_view"),
    path("<int:pk>/inventaire/", views.inventory_view, name="inventory"),
    path("<int:pk>/inventaire/ajouter/", views.inventory_add, name="inventory_add"),
    path("<int:pk>/axes/nouveau/", views.axis_create, name="axis_create"),
    path("axes/<int:pk>/", views.axis_update, name="axis_update"),
    path("axes/<int:pk>/engagement/", views.axis_convert, name="axis_convert"),
    path("<int:pk>/impression/", views.diagnostic_print, name="diagnostic_print"),
    path("<int:pk>/diagnostic.pdf", views.diagnostic_pdf, name="diagnostic_pdf"),
    path("<int:pk>/reponses.xlsx", views.diagnostic_xlsx, name="diagnostic_xlsx"),
]
