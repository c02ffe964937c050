"""The second factor of password accounts: a TOTP code (django-otp and its
TOTP plugin, RFC 6238, any authenticator app).

Required for a password session of an account holding an ARS role (national
admin, negotiator, observer, regional user manager): after the password, such
a person sets up his authenticator (QR code and secret shown) or enters its
code before any other page. Offered to the others from their account page;
once set up, it is asked at each of their password logins too.

Only sessions opened by the login form are asked (the form marks them, see
accounts.signin): ProConnect asks its own second factor of ARS agents
(accounts.proconnect), and the test client's ``force_login`` marks nothing."""

import base64
import io
import secrets
from urllib.parse import quote, urlencode

import django_otp
import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.proconnect import AUTH_METHOD_KEY, needs_second_factor
from core.forms import DsfrFormMixin
from core.pages import crumbs

PASSWORD = "password"  # nosec B105 - the name of an authentication method
PENDING_KEY = "otp_pending_key"
DEVICE_NAME = "Application d’authentification"


def confirmed_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def is_required(user) -> bool:
    """An ARS role asks for it; anyone who set it up keeps it."""
    return needs_second_factor(user) or confirmed_device(user) is not None


def is_password_session(request) -> bool:
    return request.session.get(AUTH_METHOD_KEY) == PASSWORD


def _safe_next(request, default="home"):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse(default)


class SecondFactorMiddleware:
    """A password session that owes a second factor reaches only the pages to
    give it (and the logout) until it is given."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._open = None

    def open_paths(self):
        if self._open is None:
            self._open = {reverse(name) for name in ("otp_setup", "otp_verify", "logout")}
        return self._open

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and is_password_session(request)
            and not user.is_verified()
            and request.path_info not in self.open_paths()
            and not request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/"))
            and is_required(user)
        ):
            target = "otp_verify" if confirmed_device(user) else "otp_setup"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class CodeForm(DsfrFormMixin, forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code à 6 chiffres"),
        max_length=6,
        min_length=6,
        help_text=gettext_lazy("Affiché par votre application d’authentification."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not code.isdigit():
            raise forms.ValidationError(_("Le code ne contient que des chiffres."))
        return code


def _matching_step(key_hex: str, code: str) -> int | None:
    """The 30-second step whose code this is (one step of clock drift either way), else None."""
    totp = TOTP(bytes.fromhex(key_hex), step=30, t0=0, digits=6, drift=0)
    for drift in (-1, 0, 1):
        totp.drift = drift
        if secrets.compare_digest(f"{totp.token():06d}", code):
            return totp.t()
    return None


def _qr_data_uri(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _render(request, template, title, context):
    return render(request, template, {**context, "title": title, "breadcrumb_data": crumbs(title)})


@login_required
@require_http_methods(["GET", "POST"])
def setup(request):
    """The QR code and the secret of a new TOTP key (kept in the session until
    a first code proves the app holds it), then the code."""
    user = request.user
    if confirmed_device(user) is not None and not user.is_verified() and is_password_session(request):
        return redirect(f"{reverse('otp_verify')}?{urlencode({'next': _safe_next(request)})}")
    key = request.session.get(PENDING_KEY)
    if not key:
        key = secrets.token_hex(20)
        request.session[PENDING_KEY] = key
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        step = _matching_step(key, form.cleaned_data["code"])
        if step is not None:
            with transaction.atomic():
                TOTPDevice.objects.filter(user=user).delete()
                # The step used is remembered: the same code cannot serve again at the next login.
                device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, key=key, confirmed=True, last_t=step)
            del request.session[PENDING_KEY]
            django_otp.login(request, device)
            messages.success(request, _("Double authentification activée."))
            return redirect(_safe_next(request))
        form.add_error("code", _("Code incorrect : vérifiez l’heure de votre téléphone et saisissez le code affiché."))
    secret = base64.b32encode(bytes.fromhex(key)).decode()
    label = quote(f"{settings.OTP_TOTP_ISSUER}:{user.get_username()}")
    uri = f"otpauth://totp/{label}?" + urlencode(
        {"secret": secret, "issuer": settings.OTP_TOTP_ISSUER, "algorithm": "SHA1", "digits": 6, "period": 30}
    )
    return _render(
        request,
        "accounts/otp_setup.html",
        _("Activer la double authentification"),
        {
            "form": form,
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "qr": _qr_data_uri(uri),
            "required": needs_second_factor(user),
            "next": _safe_next(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    """The code of the authenticator set up earlier; its tries are throttled by django-otp."""
    user = request.user
    device = confirmed_device(user)
    if device is None:
        return redirect(f"{reverse('otp_setup')}?{urlencode({'next': _safe_next(request)})}")
    if user.is_verified():
        return redirect(_safe_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _details = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["code"]):
            django_otp.login(request, device)
            return redirect(_safe_next(request))
        form.add_error(
            "code",
            _("Code incorrect. Patientez quelques secondes avant un nouvel essai.")
            if allowed
            else _("Trop d’essais : patientez une minute avant de réessayer."),
        )
    return _render(
        request,
        "accounts/otp_verify.html",
        _("Code de double authentification"),
        {"form": form, "next": _safe_next(request)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request):
    """The account's page: the second factor's state; set it up, or remove it when not required."""
    user = request.user
    device = confirmed_device(user)
    if request.method == "POST":
        if device is None or needs_second_factor(user):
            raise PermissionDenied("double authentification : obligatoire pour ce compte")
        TOTPDevice.objects.filter(user=user).delete()
        messages.success(request, _("Double authentification désactivée."))
        return redirect("otp_settings")
    return _render(
        request,
        "accounts/otp_settings.html",
        _("Mon compte"),
        {"device": device, "required": needs_second_factor(user), "has_password": user.has_usable_password()},
    )
