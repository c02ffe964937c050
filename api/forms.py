from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from cooperations.models import Region
from core.forms import DsfrFormMixin


class TokenForm(DsfrFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Nom du jeton"),
        max_length=100,
        help_text=_("L’outil ou le système qui l’utilisera, pour le reconnaître ensuite."),
        error_messages={"required": _("Donnez un nom au jeton (l’outil ou le système qui l’utilise).")},
    )
    days = forms.IntegerField(
        label=_("Durée de validité (jours)"),
        min_value=1,
        max_value=settings.API_TOKEN_MAX_DAYS,
        initial=settings.API_TOKEN_DEFAULT_DAYS,
    )
    region = forms.ModelChoiceField(label=_("Région"), queryset=Region.objects.order_by("name"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not user.is_admin:
            del self.fields["region"]
