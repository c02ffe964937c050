from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from audit.forms import AuditSearchForm
from audit.trail import page
from cooperations.permissions import require


def can_read_audit_trail(user) -> bool:
    return user.is_authenticated and user.is_admin


@login_required
def audit_log(request):
    """Admins search who changed what, when, before → after."""
    require(can_read_audit_trail(request.user))
    form = AuditSearchForm(request.GET)  # every field is optional: no criterion lists everything
    entries, following = page(form.search()) if form.is_valid() else ([], None)
    older = None
    if following:
        query = request.GET.copy()
        query["before"] = str(following)
        older = query.urlencode()
    return render(
        request,
        "audit/audit_log.html",
        {"form": form, "entries": entries, "older": older, "nav": "audit", "title": "Journal des modifications"},
    )
