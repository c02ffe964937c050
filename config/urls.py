from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts.forms import LoginForm
from portal.views import home

admin.site.site_header = _("Administration — Coopérations territoriales CPOM")
admin.site.site_title = _("Administration CPOM Volet 3")


def health(request):
    """For the container health check: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def alive(request):
    """Liveness: the process answers, nothing else is touched (the benchmarks' bare view)."""
    return HttpResponse("ok", content_type="text/plain")


# A database that does not answer gets a French 503 with Retry-After; any other error the French 500.
handler500 = "config.errors.server_error"
# Every refusal is logged (who, what, why) at WARNING before the French 403 page.
handler403 = "config.errors.permission_denied"

urlpatterns = [
    path("", home, name="home"),
    path(
        "connexion/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("sante/", health, name="health"),
    path("sante/vivant/", alive, name="alive"),
    path("admin/", admin.site.urls),
    path("suivi/", include("indicators.urls")),
    path("diagnostics/", include("diagnostics.urls")),
    path("journal/", include("audit.urls")),
    path("api/v1/", include("api.urls")),
    path("api/jetons/", include("api.token_urls")),
    path("donnees-ouvertes/", include("opendata.urls")),
    path("administration/", include("accounts.urls")),
    path("", include("portal.urls")),
    path("", include("cpom.urls")),
    path("", include("cooperations.urls")),
]
