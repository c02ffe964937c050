"""The server error page. A database that does not answer (restarted,
failover, connections exhausted) is a temporary outage, not a bug: the
answer is 503 with Retry-After, so that a proxy or a browser may try again,
and a French page saying nothing was half-saved (each write is one
transaction). Any other error stays a 500.

Wired by ``handler500 = "config.errors.server_error"`` in config/urls.py; it
renders static templates only, never touching the database."""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError
from django.template import loader
from django.views import defaults
from django.views.decorators.csrf import requires_csrf_token

RETRY_AFTER_SECONDS = 30


def database_unavailable(error: BaseException | None) -> bool:
    """The error, or one it was raised from, is a lost or refused database connection."""
    while error is not None:
        if isinstance(error, OperationalError | InterfaceError):
            return True
        error = error.__cause__ or error.__context__
    return False


@requires_csrf_token
def server_error(request, template_name="500.html"):
    if database_unavailable(sys.exc_info()[1]):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponseServerError(loader.get_template(template_name).render())


access_log = logging.getLogger("access.refused")


@requires_csrf_token
def permission_denied(request, exception, template_name="403.html"):
    """The French 403 page, and a structured WARNING of every refusal: who, what, why."""
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    access_log.warning(
        "accès refusé",
        extra={
            "user_id": user.pk if signed_in else None,
            "username": user.get_username() if signed_in else None,
            "role": getattr(user, "role", None) if signed_in else None,
            "method": request.method,
            "path": request.path,
            "reason": str(exception) or type(exception).__name__,
        },
    )
    return defaults.permission_denied(request, exception, template_name=template_name)
