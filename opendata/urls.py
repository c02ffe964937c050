from django.urls import path

from opendata import views

app_name = "opendata"

urlpatterns = [
    path("", views.index, name="index"),
    path("schema.json", views.schema, name="schema"),
    path("exemple-valide.csv", views.example, name="example"),
    path("fichiers/<str:name>", views.data_file, name="file"),
    path("cpom-retenus/", views.withholdings, name="withholdings"),
    path("cpom-retenus/<int:pk>/publier/", views.withholding_release, name="withholding_release"),
]
