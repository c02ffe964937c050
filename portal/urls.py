from django.urls import path

from portal import views

app_name = "portal"

# The paths users know (bookmarks, links in sent emails) are those of before the move.
urlpatterns = [
    path("entites/<str:finess>/", views.legal_entity_detail, name="legal_entity_detail"),
    path("cpom/<int:pk>/", views.cpom_detail, name="cpom_detail"),
    path("cpom/<int:pk>/annexe/", views.annex_preview, name="annex_preview"),
    path("cpom/<int:pk>/annexe.pdf", views.annex_download, name="annex_download"),
]
