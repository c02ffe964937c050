from django.urls import path, re_path

from territories import views

app_name = "territories"

urlpatterns = [
    path("", views.index, name="index"),
    path("regions/<str:code>/", views.region, name="region"),
    path("departements/<str:code>/", views.department, name="department"),
    path("ght/<str:code>/", views.ght, name="ght"),
    re_path(
        r"^(?P<kind>regions|departements|ght)/(?P<code>[^/]+)/telechargements/(?P<filename>[\w.-]+)$",
        views.download,
        name="download",
    ),
    path("comparaison/<str:finess>/", views.comparison, name="comparison"),
    path(
        "comparaison/<str:finess>/telechargements/<str:filename>", views.comparison_download, name="comparison_download"
    ),
]
