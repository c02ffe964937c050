"""The sign-in's addresses, at the root (Django's reset views find each other by these names)."""

from django.urls import path

from accounts import proconnect, second_factor, signin

urlpatterns = [
    path("connexion/", signin.LoginView.as_view(), name="login"),
    path("deconnexion/", signin.LogoutView.as_view(), name="logout"),
    path("proconnect/connexion/", proconnect.ProConnectLoginView.as_view(), name="proconnect_login"),
    path("proconnect/retour/", proconnect.ProConnectCallbackView.as_view(), name="proconnect_callback"),
    path("mot-de-passe-oublie/", signin.password_reset, name="password_reset"),
    path("mot-de-passe-oublie/envoye/", signin.password_reset_done, name="password_reset_done"),
    path(
        "mot-de-passe-oublie/<uidb64>/<token>/",
        signin.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("mot-de-passe-oublie/termine/", signin.password_reset_complete, name="password_reset_complete"),
    path("double-authentification/", second_factor.settings_page, name="otp_settings"),
    path("double-authentification/activer/", second_factor.setup, name="otp_setup"),
    path("double-authentification/code/", second_factor.verify, name="otp_verify"),
]
