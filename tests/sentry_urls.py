"""A view that fails, for tests/test_sentry.py: what Sentry receives of a
request that raised."""

from django.urls import path


def failing(request):
    raise RuntimeError(f"Panne en traitant la demande de {request.GET.get('email')}")


urlpatterns = [path("panne/", failing)]
