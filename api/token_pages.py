"""The page of API tokens: create one (shown once), list, revoke. Rules are
in ``api.tokens`` and ``api.permissions``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from api import permissions, tokens
from api.forms import TokenForm
from api.models import ApiToken, TokenKind
from core.pages import crumbs

SHOWN_ONCE = "api_token_shown_once"


@login_required
def token_list(request):
    user = request.user
    if not permissions.can_use_token_page(user):
        raise PermissionDenied
    form = TokenForm(request.POST or None, user=user)
    created = key = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created, key = tokens.issue_token(user, data["name"], data["days"], data.get("region"))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # Shown once, on the page the redirect leads to: reloading it creates no second token.
            request.session[SHOWN_ONCE] = {"pk": created.pk, "key": key}
            return redirect("api_tokens:list")
    shown = request.session.pop(SHOWN_ONCE, None)
    if shown and request.method == "GET":
        created = ApiToken.objects.visible_to(user).filter(pk=shown["pk"]).first()
        key = shown["key"] if created else None
    listed = ApiToken.objects.visible_to(user).select_related("user", "region", "legal_entity", "revoked_by")
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "created": created,
            "key": key,
            "tokens": listed,
            "kind": TokenKind.ENTITY if user.is_director else TokenKind.REGION,
            "kinds": TokenKind,
            "nav": "api_tokens",
            "title": _("Jetons d’API"),
            "breadcrumb_data": crumbs(_("Jetons d’API")),
        },
    )


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken.objects.visible_to(request.user), pk=pk)
    tokens.revoke_token(request.user, token)
    messages.success(request, _("Jeton « %(name)s » révoqué : il n’ouvre plus l’API.") % {"name": token.name})
    return redirect("api_tokens:list")
