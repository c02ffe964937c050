"""Error reporting with Sentry, started by the settings only when SENTRY_DSN
is set. Nothing personal leaves the site: the SDK sends no default personal
data, no local variables and no request bodies, and every event (errors and
traces alike) goes through ``scrub_event`` before it is sent, which keeps of
the user only the id and removes cookies, credentials, addresses, query
strings, bodies and any email address written in a message."""

import re
from urllib.parse import urlsplit, urlunsplit

import sentry_sdk
from django.core.exceptions import ImproperlyConfigured
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

FILTERED = "[Filtered]"
# An email address, also URL-encoded (%40) as in a logged link.
EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+")
# Keys whose value is personal or secret wherever they appear (request, extra, breadcrumbs, contexts).
SENSITIVE_KEYS = {
    "authorization",
    "proxy-authorization",
    "cookie",
    "cookies",
    "set-cookie",
    "x-csrftoken",
    "csrftoken",
    "csrfmiddlewaretoken",
    "sessionid",
    "x-forwarded-for",
    "x-real-ip",
    "forwarded",
    "remote_addr",
    "http_x_forwarded_for",
    "ip_address",
    "email",
    "username",
    "first_name",
    "last_name",
    "password",
    "secret",
    "token",
    "api_key",
}
USER_KEPT = {"id"}


def _redact(value):
    if isinstance(value, str):
        return EMAIL.sub(FILTERED, value)
    if isinstance(value, dict):
        return {
            key: FILTERED if isinstance(key, str) and key.lower() in SENSITIVE_KEYS else _redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact(item) for item in value]
    return value


def _without_query(url):
    if not isinstance(url, str):
        return url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def scrub_event(event, hint=None):
    """Sentry's before_send (and before_send_transaction): the event without
    personal data. Returns the event, scrubbed in place and as a copy."""
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {key: value for key, value in user.items() if key in USER_KEPT}
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("cookies", "data", "query_string"):
            request.pop(key, None)
        if "url" in request:
            request["url"] = _without_query(request["url"])
        headers = request.get("headers")
        if isinstance(headers, list):  # pairs, as some integrations send them
            request["headers"] = {name: value for name, value in headers}
        env = request.get("env")
        if isinstance(env, dict):
            env.pop("REMOTE_ADDR", None)
    for crumb in (event.get("breadcrumbs") or {}).get("values", []):
        data = crumb.get("data") if isinstance(crumb, dict) else None
        if isinstance(data, dict):
            data.pop("http.query", None)
            if "url" in data:
                data["url"] = _without_query(data["url"])
    scrubbed = _redact(event)
    event.clear()
    event.update(scrubbed)
    return event


def _sample_rate(value) -> float:
    try:
        rate = float(value)
    except (TypeError, ValueError):
        raise ImproperlyConfigured(
            f"SENTRY_TRACES_SAMPLE_RATE must be a number between 0 and 1, not {value!r}."
        ) from None
    if not 0 <= rate <= 1:
        raise ImproperlyConfigured(f"SENTRY_TRACES_SAMPLE_RATE must be between 0 and 1, not {rate}.")
    return rate


def init_sentry(dsn, *, environment=None, release=None, traces_sample_rate=0, **options):
    """Start the SDK for Django and Celery; ``options`` are passed on (the
    tests give their own transport)."""
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=_sample_rate(traces_sample_rate),
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        **options,
    )
