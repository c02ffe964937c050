from django.urls import path

from cooperations import suggestions, views
from cooperations.views import imports

app_name = "cooperations"

urlpatterns = [
    path("etablissements/", views.establishment_list, name="establishment_list"),
    path("etablissements/<str:finess>/", views.establishment_detail, name="establishment_detail"),
    path("entites/<str:finess>/raison-sociale/", views.legal_entity_name, name="legal_entity_name"),
    path("cooperations/", views.structure_list, name="structure_list"),
    path("cooperations/nouvelle/", views.structure_create, name="structure_create"),
    path("cooperations/<int:pk>/", views.structure_detail, name="structure_detail"),
    path("cooperations/<int:pk>/modifier/", views.structure_update, name="structure_update"),
    path("suggestions/<str:kind>/", suggestions.suggestions, name="suggestions"),
    path("imports/", imports.import_list, name="import_list"),
    path("imports/<int:pk>/", imports.import_detail, name="import_detail"),
    path("imports/<int:pk>/etat/", imports.import_status, name="import_status"),
]
