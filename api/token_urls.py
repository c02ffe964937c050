from django.urls import path

from api import token_pages

app_name = "api_tokens"

urlpatterns = [
    path("", token_pages.token_list, name="list"),
    path("<int:pk>/revoquer/", token_pages.token_revoke, name="revoke"),
]
