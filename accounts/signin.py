"""The ways in and out: the password form (which marks its sessions for the
second factor), the logout (through ProConnect's end-session endpoint when
the session came from it), « Mot de passe oublié » (Django's password reset
views, the email sent by core.mail, the same answer whether the address is
known or not)."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import proconnect
from accounts.forms import LoginForm
from accounts.second_factor import PASSWORD
from core import mail
from core.forms import DsfrFormMixin


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        self.request.session[proconnect.AUTH_METHOD_KEY] = PASSWORD
        return response

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "proconnect_enabled": proconnect.is_configured()}


class LogoutView(auth_views.LogoutView):
    """A ProConnect session ends at ProConnect too (id_token_hint, back to the login page)."""

    def post(self, request, *args, **kwargs):
        id_token = request.session.get(proconnect.ID_TOKEN_KEY)
        response = super().post(request, *args, **kwargs)
        return proconnect.logout_redirect(request, id_token) or response


class ResetForm(DsfrFormMixin, PasswordResetForm):
    """The link sent through core.mail, in French, on SITE_URL."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("Adresse électronique")
        self._bound_fields_cache.clear()

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        link = mail.site_link(
            reverse("password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]})
        )
        mail.send_each(
            [
                mail.compose(
                    "accounts/email/password_reset",
                    {"link": link, "username": context["user"].get_username()},
                    to=to_email,
                    subject=_("[CPOM Volet 3] Réinitialisation de votre mot de passe"),
                    reason=_("une réinitialisation du mot de passe de votre compte a été demandée"),
                )
            ]
        )


class NewPasswordForm(DsfrFormMixin, SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = _("Nouveau mot de passe")
        self.fields["new_password2"].label = _("Confirmation du nouveau mot de passe")
        self._bound_fields_cache.clear()


def _titled(view_class, title, **attrs):
    class Titled(view_class):
        extra_context = {"title": title}

    for name, value in attrs.items():
        setattr(Titled, name, value)
    Titled.__name__ = view_class.__name__
    return Titled.as_view()


password_reset = _titled(
    auth_views.PasswordResetView,
    gettext_lazy("Mot de passe oublié"),
    form_class=ResetForm,
    template_name="registration/password_reset.html",
    success_url=reverse_lazy("password_reset_done"),
)
password_reset_done = _titled(
    auth_views.PasswordResetDoneView,
    gettext_lazy("Courriel envoyé"),
    template_name="registration/password_reset_sent.html",
)
password_reset_confirm = _titled(
    auth_views.PasswordResetConfirmView,
    gettext_lazy("Nouveau mot de passe"),
    form_class=NewPasswordForm,
    template_name="registration/password_reset_new.html",
    success_url=reverse_lazy("password_reset_complete"),
)
password_reset_complete = _titled(
    auth_views.PasswordResetCompleteView,
    gettext_lazy("Mot de passe changé"),
    template_name="registration/password_reset_changed.html",
)
