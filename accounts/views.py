from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import lockout
from accounts.scopes import is_admin
from core.pages import crumbs


class UnlockForm(forms.Form):
    kind = forms.ChoiceField(choices=[(counter.kind, counter.label) for counter in lockout.COUNTERS])
    username = forms.CharField(max_length=255, required=False, strip=False)
    ip_address = forms.GenericIPAddressField(required=False)

    def clean(self):
        data = super().clean()
        counter = lockout.COUNTER_BY_KIND.get(data.get("kind"))
        if counter is not None:
            data["counter"] = counter
            if counter.by_username and not data.get("username"):
                raise forms.ValidationError(_("Identifiant manquant."))
            if counter.by_address and not data.get("ip_address"):
                raise forms.ValidationError(_("Adresse manquante."))
        return data


def unlocked_message(counter, username, ip_address) -> str:
    if counter.by_username and counter.by_address:
        return _("Blocage levé pour l’identifiant « %(username)s » depuis l’adresse %(address)s.") % {
            "username": username,
            "address": ip_address,
        }
    if counter.by_username:
        return _("Blocage levé pour l’identifiant « %(username)s », toutes adresses.") % {"username": username}
    return _("Blocage levé pour l’adresse %(address)s, tous identifiants.") % {"address": ip_address}


@login_required
@require_http_methods(["GET", "POST"])
def lockout_list(request):
    """National admins see the login lockouts in force and lift one (POST)."""
    if not is_admin(request.user):
        raise PermissionDenied("verrouillages : réservé aux administrateurs")
    if request.method == "POST":
        form = UnlockForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Demande de déverrouillage invalide : rien n’a été modifié."))
        else:
            data = form.cleaned_data
            removed = lockout.unlock(data["counter"], data["username"], data["ip_address"], by=request.user)
            if removed:
                messages.success(request, unlocked_message(data["counter"], data["username"], data["ip_address"]))
            else:
                messages.info(request, _("Ce blocage était déjà levé : rien n’a été modifié."))
        return redirect("accounts:lockout_list")
    lockouts, truncated = lockout.current_lockouts()
    title = _("Connexions bloquées")
    return render(
        request,
        "accounts/lockouts.html",
        {
            "lockouts": lockouts,
            "truncated": truncated,
            "shown_per_counter": lockout.SHOWN_PER_COUNTER,
            "counters": lockout.COUNTERS,
            "minutes": lockout.cool_off_minutes(),
            "nav": "lockouts",
            "title": title,
            "breadcrumb_data": crumbs(title),
        },
    )
