from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from core.forms import DsfrFormMixin


class LoginForm(DsfrFormMixin, AuthenticationForm):
    error_messages = {
        "invalid_login": _("Identifiant ou mot de passe incorrect. Vérifiez votre saisie (majuscules comprises)."),
        "inactive": _("Ce compte est désactivé. Contactez l’administrateur de votre ARS."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Identifiant")
        self.fields["password"].label = _("Mot de passe")
        # Django sets the length after building the field, so without a validator: an over-long name
        # reached authenticate() and django-axes' record of the failure (255 characters, a 500 on PostgreSQL).
        self.fields["username"].validators.append(MaxLengthValidator(self.fields["username"].max_length))
        # Bound fields copied the labels when the DSFR mixin first built them.
        self._bound_fields_cache.clear()
