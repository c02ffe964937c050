from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [path("verrouillages/", views.lockout_list, name="lockout_list")]
