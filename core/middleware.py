"""Nothing behind a login is kept by a browser or a proxy cache; no NUL
character reaches a view."""

from django.core.exceptions import SuspiciousOperation
from django.http import JsonResponse
from django.utils.cache import patch_cache_control


class PrivateNoStoreMiddleware:
    """``Cache-Control: private, no-store`` on every response to a signed-in
    user: pages, evidence files, annex PDFs, ZIP archives, CSV/XLSX exports."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response


class NulCharacterMiddleware:
    """A NUL character in the path or the query string is refused (400, the
    French page). No value this application reads holds one (its forms refuse
    it in every field), and PostgreSQL accepts none in a query: a FINESS
    number of a path or a parameter looked up as given was a 500. The API
    answers in its own format (JSON with a ``detail``), as its schema says."""

    API_PREFIX = "/api/v1/"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            if request.path.startswith(self.API_PREFIX):
                return JsonResponse({"detail": "Caractère nul refusé dans l’adresse ou ses paramètres."}, status=400)
            raise SuspiciousOperation("NUL character in the path or the query string")
        return self.get_response(request)
