from django.urls import path

from portal import legal, user_management, views

app_name = "portal"

# The paths users know (bookmarks, links in sent emails) are those of before the move.
urlpatterns = [
    path("entites/<str:finess>/", views.legal_entity_detail, name="legal_entity_detail"),
    path("cpom/<int:pk>/", views.cpom_detail, name="cpom_detail"),
    path("cpom/<int:pk>/annexe/", views.annex_preview, name="annex_preview"),
    path("cpom/<int:pk>/annexe.pdf", views.annex_download, name="annex_download"),
    # Reachable by anyone, from every page's footer.
    path("accessibilite/", legal.accessibility, name="accessibility"),
    path("mentions-legales/", legal.legal_notice, name="legal_notice"),
    path("donnees-personnelles/", legal.personal_data, name="personal_data"),
    path("plan-du-site/", legal.sitemap, name="sitemap"),
]


urlpatterns += [
    path("utilisateurs/", user_management.user_list, name="user_list"),
    path("utilisateurs/<int:pk>/", user_management.user_detail, name="user_detail"),
    path("utilisateurs/<int:pk>/action/", user_management.user_action, name="user_action"),
    path("utilisateurs/inviter/", user_management.invitation_create, name="invitation_create"),
    path("utilisateurs/invitations/<int:pk>/renvoyer/", user_management.invitation_resend, name="invitation_resend"),
    path("utilisateurs/invitations/<int:pk>/revoquer/", user_management.invitation_revoke, name="invitation_revoke"),
    path("invitation/<str:token>/", user_management.invitation_accept, name="invitation_accept"),
    path("demande-acces/", user_management.access_request, name="access_request"),
    path("demande-acces/<int:pk>/decision/", user_management.access_request_decide, name="access_request_decide"),
    path("entite-active/", user_management.choose_entity, name="choose_entity"),
]
