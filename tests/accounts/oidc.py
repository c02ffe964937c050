"""The local ProConnect of the tests (tooling.oidc_provider), started for one
test and wired into the settings; and the browserless walk through it."""

import contextlib
from urllib.parse import parse_qs, urlsplit

import requests

from accounts import proconnect
from tooling.oidc_provider import Identity, Provider


@contextlib.contextmanager
def local_proconnect(settings):
    provider = Provider().start()
    proconnect._discovered.clear()
    for name, value in provider.env().items():
        setattr(settings, name, value)
    try:
        yield provider
    finally:
        provider.stop()
        proconnect._discovered.clear()


def query_of(url):
    return {key: values[-1] for key, values in parse_qs(urlsplit(url).query).items()}


def to_provider(client, next_url=None):
    """The button: the application's redirect to the provider's authorize address."""
    response = client.get("/proconnect/connexion/", {"next": next_url} if next_url else {})
    assert response.status_code == 302, response.status_code
    return response["Location"]


def through_provider(authorize_url):
    """The provider answers the authorize request: the callback address it sends the browser to."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def back_to_app(client, callback_url):
    split = urlsplit(callback_url)
    return client.get(split.path, query_of(callback_url))


def sign_in(client, next_url=None):
    """The whole round trip; the application's answer to the callback."""
    return back_to_app(client, through_provider(to_provider(client, next_url)))


__all__ = ["Identity", "local_proconnect", "sign_in", "to_provider", "through_provider", "back_to_app", "query_of"]
