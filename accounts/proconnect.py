"""ProConnect, the State's sign-in for public agents and professionals
(OpenID Connect, code flow).

Built on mozilla-django-oidc: small, maintained by Mozilla for years, a
Django authentication backend and three views, no model of its own, and
every step (authorize parameters, token, userinfo, user matching) a method
to override. django-lasuite wraps the same library with La Suite's own
conventions; authlib is a toolkit from which the Django glue (session state,
backend, views) would have to be written here. What ProConnect asks beyond
plain OIDC is done below:

- the authorize request carries only ProConnect's parameters, ``state`` and
  ``nonce`` of 48 characters, ``acr_values`` and, for the step-up of an ARS
  agent, an essential ``acr`` claim with the second-factor levels;
- the userinfo is a JWT signed by the provider: its signature is checked
  against the provider's keys (JWKS), its ``sub`` against the ID token's;
- a returning person is found by ``sub``, then by email (``sub`` changes when
  a person recreates his ProConnect account); a newcomer gets an account with
  no role: the sign-in never grants one;
- logout goes through the end-session endpoint with ``id_token_hint``.

Configured only by the environment (``PROCONNECT_*`` settings): the endpoints
come from the discovery document unless given one by one."""

import json
import logging
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from accounts import scopes
from accounts.models import User

log = logging.getLogger("accounts.proconnect")

SCOPES = "openid email given_name usual_name siret uid"
STATE_SIZE = 48
DISCOVERY_CACHE_SECONDS = 3600
# Session keys: how the session was opened (read by accounts.second_factor), the ID token for the logout.
AUTH_METHOD_KEY = "auth_method"
ID_TOKEN_KEY = "oidc_id_token"  # nosec B105 - a session key name, not a secret
STEP_UP_KEY = "proconnect_step_up"


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    end_session_endpoint: str


_discovered: dict[str, tuple[float, dict]] = {}


def is_configured() -> bool:
    """Without a network call: the client is set, and either the discovery URL or the endpoints."""
    endpoints = (
        settings.PROCONNECT_AUTHORIZATION_ENDPOINT,
        settings.PROCONNECT_TOKEN_ENDPOINT,
        settings.PROCONNECT_USERINFO_ENDPOINT,
        settings.PROCONNECT_JWKS_ENDPOINT,
    )
    return bool(
        settings.PROCONNECT_CLIENT_ID
        and settings.PROCONNECT_CLIENT_SECRET
        and (settings.PROCONNECT_DISCOVERY_URL or all(endpoints))
    )


def _discovery() -> dict:
    url = settings.PROCONNECT_DISCOVERY_URL
    if not url:
        return {}
    cached = _discovered.get(url)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    response = requests.get(url, timeout=settings.PROCONNECT_TIMEOUT)
    response.raise_for_status()
    document = response.json()
    _discovered[url] = (time.monotonic() + DISCOVERY_CACHE_SECONDS, document)
    return document


def provider() -> Provider:
    """The endpoints: each explicit setting, else the discovery document's."""
    document = _discovery()
    return Provider(
        issuer=settings.PROCONNECT_ISSUER or document.get("issuer", ""),
        authorization_endpoint=settings.PROCONNECT_AUTHORIZATION_ENDPOINT or document["authorization_endpoint"],
        token_endpoint=settings.PROCONNECT_TOKEN_ENDPOINT or document["token_endpoint"],
        userinfo_endpoint=settings.PROCONNECT_USERINFO_ENDPOINT or document["userinfo_endpoint"],
        jwks_uri=settings.PROCONNECT_JWKS_ENDPOINT or document["jwks_uri"],
        end_session_endpoint=settings.PROCONNECT_END_SESSION_ENDPOINT or document.get("end_session_endpoint", ""),
    )


def _oidc_setting(name, *default):
    """mozilla-django-oidc's settings, read from ProConnect's."""
    if name.startswith("OIDC_OP_"):
        op = provider()
        return {
            "OIDC_OP_AUTHORIZATION_ENDPOINT": op.authorization_endpoint,
            "OIDC_OP_TOKEN_ENDPOINT": op.token_endpoint,
            "OIDC_OP_USER_ENDPOINT": op.userinfo_endpoint,
            "OIDC_OP_JWKS_ENDPOINT": op.jwks_uri,
        }[name]
    values = {
        "OIDC_RP_CLIENT_ID": settings.PROCONNECT_CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": settings.PROCONNECT_CLIENT_SECRET,
        "OIDC_RP_SIGN_ALGO": settings.PROCONNECT_SIGN_ALGO,
        "OIDC_RP_SCOPES": SCOPES,
        "OIDC_STATE_SIZE": STATE_SIZE,
        "OIDC_NONCE_SIZE": STATE_SIZE,
        "OIDC_USE_NONCE": True,
        "OIDC_USE_PKCE": False,  # code_challenge is not among ProConnect's authorize parameters
        "OIDC_STORE_ID_TOKEN": True,  # nosec B105 - a setting flag, not a secret
        "OIDC_CREATE_USER": True,
        "OIDC_TIMEOUT": settings.PROCONNECT_TIMEOUT,
        "OIDC_AUTHENTICATION_CALLBACK_URL": "proconnect_callback",
        "OIDC_REDIRECT_FIELD_NAME": "next",
        "OIDC_ALLOW_UNSECURED_JWT": False,
        "LOGIN_REDIRECT_URL": settings.LOGIN_REDIRECT_URL,
        "LOGIN_REDIRECT_URL_FAILURE": "login",
    }
    if name in values:
        return values[name]
    if default:
        return default[0]
    return getattr(settings, name)


def is_second_factor(acr) -> bool:
    return acr in settings.PROCONNECT_MFA_ACR_VALUES


def needs_second_factor(user) -> bool:
    """ARS agents (and national admins) sign in with a second factor."""
    return user.is_admin or user.is_regional or user.manages_accounts


def _claims(userinfo, key):
    value = userinfo.get(key)
    return value.strip() if isinstance(value, str) else ""


def _free_username(userinfo) -> str:
    base = (_claims(userinfo, "email").split("@")[0] or "proconnect")[:120]
    username = base
    while User.objects.filter(username__iexact=username).exists():
        username = f"{base}-{secrets.token_hex(3)}"
    return username


class SignInRefusedError(Exception):
    """The sign-in is refused with a reason the person is told."""


class ProConnectBackend(OIDCAuthenticationBackend):
    """The backend of ProConnect's callback only: it answers nothing to a password login."""

    get_settings = staticmethod(_oidc_setting)

    def __init__(self, *args, **kwargs):
        # mozilla-django-oidc reads the endpoints here; they are read when a callback comes (below).
        self.UserModel = User

    def authenticate(self, request, **kwargs):
        if request is None or "nonce" not in kwargs or not is_configured():
            return None
        for name in ("TOKEN_ENDPOINT", "USER_ENDPOINT", "JWKS_ENDPOINT"):
            setattr(self, f"OIDC_OP_{name}", self.get_settings(f"OIDC_OP_{name}"))
        for name in ("RP_CLIENT_ID", "RP_CLIENT_SECRET", "RP_SIGN_ALGO"):
            setattr(self, f"OIDC_{name}", self.get_settings(f"OIDC_{name}"))
        self.OIDC_RP_IDP_SIGN_KEY = None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        """The signature (JWKS) and nonce by the library; the issuer and the audience here."""
        payload = super().verify_token(token, **kwargs)
        issuer = provider().issuer
        if issuer and payload.get("iss") != issuer:
            raise SuspiciousOperation("ProConnect: unexpected issuer")
        audience = payload.get("aud")
        if audience is not None:
            audiences = audience if isinstance(audience, list) else [audience]
            if self.OIDC_RP_CLIENT_ID not in audiences:
                raise SuspiciousOperation("ProConnect: token for another client")
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        """ProConnect answers the userinfo as a signed JWT: a plain JSON answer
        or a bad signature is refused, and its ``sub`` must be the ID token's."""
        response = requests.get(
            self.OIDC_OP_USER_ENDPOINT,
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=settings.PROCONNECT_TIMEOUT,
        )
        response.raise_for_status()
        if not response.headers.get("content-type", "").lower().startswith("application/jwt"):
            raise SuspiciousOperation("ProConnect: the userinfo is not a signed JWT")
        userinfo = self.verify_token(response.text)
        if not userinfo.get("sub") or userinfo.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("ProConnect: the userinfo is not the ID token's person")
        self.request.proconnect_acr = payload.get("acr", "")
        return userinfo

    def get_user(self, user_id):
        """A deactivated account's session ends at its next request."""
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None

    def verify_claims(self, claims):
        return bool(claims.get("sub"))

    def get_or_create_user(self, access_token, id_token, payload):
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if not self.verify_claims(userinfo):
            raise SuspiciousOperation("ProConnect: no sub")
        with transaction.atomic():
            user = self.match(userinfo)
            if user is None:
                return self.create_user(userinfo)
            if not user.is_active:
                self.request.proconnect_refusal = _("Ce compte est désactivé. Contactez l’administrateur de votre ARS.")
                return None
            return self.update_user(user, userinfo)

    def match(self, userinfo):
        """By ``sub``, then by a verified email (the ``sub`` is then updated)."""
        user = User.objects.select_for_update().filter(proconnect_sub=userinfo["sub"]).first()
        if user is not None:
            return user
        email = _claims(userinfo, "email")
        if not email or userinfo.get("email_verified") is False:
            return None
        same_email = list(User.objects.select_for_update().filter(email__iexact=email)[:2])
        if len(same_email) > 1:
            raise SignInRefusedError(
                _("Plusieurs comptes portent votre adresse : contactez l’administrateur de votre ARS.")
            )
        return same_email[0] if same_email else None

    def update_user(self, user, userinfo):
        user.proconnect_sub = userinfo["sub"]
        user.proconnect_siret = _claims(userinfo, "siret")[:14]
        user.first_name = _claims(userinfo, "given_name")[:150] or user.first_name
        user.last_name = _claims(userinfo, "usual_name")[:150] or user.last_name
        if not user.email:
            user.email = _claims(userinfo, "email")
        user._change_reason = _("Connexion ProConnect")
        user.save()
        return user

    def create_user(self, userinfo):
        """A newcomer: an account with no role, which may only ask for access."""
        user = User(
            username=_free_username(userinfo),
            email=_claims(userinfo, "email"),
            first_name=_claims(userinfo, "given_name")[:150],
            last_name=_claims(userinfo, "usual_name")[:150],
            proconnect_sub=userinfo["sub"],
            proconnect_siret=_claims(userinfo, "siret")[:14],
        )
        user.set_unusable_password()
        user._change_reason = _("Compte créé à la connexion ProConnect")
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as error:  # the same person's callback in two tabs
            raise SuspiciousOperation("ProConnect: account created twice") from error
        return user


def _require_configured():
    if not is_configured():
        raise Http404("ProConnect n’est pas configuré.")


class ProConnectLoginView(OIDCAuthenticationRequestView):
    """To ProConnect's authorize endpoint, with only its parameters."""

    get_settings = staticmethod(_oidc_setting)

    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request):
        _require_configured()
        self.OIDC_OP_AUTH_ENDPOINT = self.get_settings("OIDC_OP_AUTHORIZATION_ENDPOINT")
        self.OIDC_RP_CLIENT_ID = self.get_settings("OIDC_RP_CLIENT_ID")
        return super().get(request)

    def get_extra_params(self, request):
        params = {"acr_values": settings.PROCONNECT_ACR_VALUES}
        if request.session.pop(STEP_UP_KEY, False):
            # An ARS agent came back without a second factor: ask for one, and a fresh authentication.
            params["claims"] = json.dumps(
                {"id_token": {"acr": {"essential": True, "values": settings.PROCONNECT_MFA_ACR_VALUES}}}
            )
            params["prompt"] = "login"
        return params


class ProConnectCallbackView(OIDCAuthenticationCallbackView):
    """Back from ProConnect: every failure (tampered state, expired code, bad
    signature, deactivated account) ends on the login page with a message."""

    get_settings = staticmethod(_oidc_setting)

    def get(self, request):
        _require_configured()
        try:
            return super().get(request)
        except (
            SuspiciousOperation,
            SignInRefusedError,
            jwt.PyJWTError,
            requests.RequestException,
            KeyError,
            ValueError,
        ) as error:
            log.warning("ProConnect sign-in refused: %s", error)
            if isinstance(error, SignInRefusedError):
                request.proconnect_refusal = str(error)
            return self.login_failure()

    def login_failure(self):
        refusal = getattr(self.request, "proconnect_refusal", None)
        messages.error(self.request, refusal or _("La connexion avec ProConnect a échoué. Réessayez."))
        return redirect("login")

    def login_success(self):
        if needs_second_factor(self.user) and not is_second_factor(getattr(self.request, "proconnect_acr", "")):
            if self.request.session.get(STEP_UP_KEY + "_tried"):
                self.request.session.pop(STEP_UP_KEY + "_tried")
                self.request.proconnect_refusal = _(
                    "Les agents de l’ARS se connectent avec une double authentification : activez-la dans ProConnect."
                )
                return self.login_failure()
            self.request.session[STEP_UP_KEY] = True
            self.request.session[STEP_UP_KEY + "_tried"] = True
            return redirect("proconnect_login")
        self.request.session.pop(STEP_UP_KEY + "_tried", None)
        response = super().login_success()
        self.request.session[AUTH_METHOD_KEY] = "proconnect"
        if not scopes.has_role(self.user) and not self.request.session.get("oidc_login_next"):
            return redirect("portal:access_request")
        return response


def logout_url(request, id_token) -> str | None:
    """ProConnect's end-session address for this session, None when it has none."""
    if not id_token or not is_configured():
        return None
    try:
        endpoint = provider().end_session_endpoint
    except (requests.RequestException, KeyError, ValueError):
        return None
    if not endpoint:
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "state": secrets.token_urlsafe(36),
            "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
        }
    )
    return f"{endpoint}?{query}"


def logout_redirect(request, id_token):
    url = logout_url(request, id_token)
    return HttpResponseRedirect(url) if url else None
