from django.contrib import admin
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

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
    # Password, ProConnect, password reset, second factor.
    path("", include("accounts.signin_urls")),
    path("sante/", health, name="health"),
    path("sante/vivant/", alive, name="alive"),
    # The admin signs in through the site's login page, second factor included (accounts.second_factor).
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True), name="admin_login_redirect"),
    path("admin/", admin.site.urls),
    path("suivi/", include("indicators.urls")),
    path("diagnostics/", include("diagnostics.urls")),
    path("journal/", include("audit.urls")),
    path("notifications/", include("notifications.urls")),
    path("api/v1/", include("api.urls")),
    path("api/jetons/", include("api.token_urls")),
    path("donnees-ouvertes/", include("opendata.urls")),
    path("territoires/", include("territories.urls")),
    path("administration/", include("accounts.urls")),
    path("", include("reviews.urls")),
    path("", include("portal.urls")),
    path("", include("cpom.urls")),
    path("", include("cooperations.urls")),
]
