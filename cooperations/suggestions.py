"""Suggestions for the search fields that replaced the long selects of the list filters (issue 19):
``GET /suggestions/<kind>/?q=…`` answers up to ``SUGGESTION_LIMIT`` ``{"value", "label"}`` pairs,
within what the user sees (``visible_to`` and the région of a regional user). Read by
``static/js/suggest.js``; without JavaScript the field still filters by code or name."""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cooperations.filters import SUGGESTION_LIMIT, visible_departments, visible_ghts
from cooperations.models import LegalEntity

MAX_QUERY = 100


def _ghts(user, query):
    ghts = visible_ghts(user)
    if query:
        ghts = ghts.filter(Q(short_code__icontains=query) | Q(code__icontains=query) | Q(name__icontains=query))
    rows = ghts.order_by("short_code", "name").values_list("short_code", "code", "name")[:SUGGESTION_LIMIT]
    return [{"value": short or code, "label": name} for short, code, name in rows]


def _departments(user, query):
    departments = visible_departments(user)
    if query:
        departments = departments.filter(Q(code__istartswith=query) | Q(name__icontains=query))
    rows = departments.order_by("code").values_list("code", "name")[:SUGGESTION_LIMIT]
    return [{"value": code, "label": name} for code, name in rows]


def _entities(user, query):
    entities = LegalEntity.objects.visible_to(user)
    if query:
        entities = entities.filter(Q(finess__startswith=query.replace(" ", "").upper()) | Q(name__icontains=query))
    rows = entities.order_by("name", "finess").values_list("finess", "name")[:SUGGESTION_LIMIT]
    return [{"value": finess, "label": name} for finess, name in rows]


KINDS = {"ght": _ghts, "departement": _departments, "entite": _entities}


@require_GET
@login_required
def suggestions(request, kind):
    suggest = KINDS.get(kind)
    if suggest is None:
        raise Http404(_("Aucune suggestion de ce type."))
    query = request.GET.get("q", "").strip()[:MAX_QUERY]
    return JsonResponse({"results": suggest(request.user, query)})
