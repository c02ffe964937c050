"""The open data page (no login), its files, schema and example; and the
ARS's page of the CPOMs it keeps out of them."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.pages import crumbs
from cpom.models import Cpom
from opendata import permissions, publication, services
from opendata.forms import WithholdForm
from opendata.models import Withholding

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8"}


def index(request):
    files = publication.published_files()
    return render(
        request,
        "opendata/index.html",
        {
            "files": files,
            "fields": [field.descriptor() for field in publication.FIELDS],
            "not_published": publication.NOT_PUBLISHED,
            "licence": publication.LICENCE,
            "delimiter": publication.CSV_DELIMITER,
            "separator": publication.LIST_SEPARATOR,
            "schema_version": publication.SCHEMA_VERSION,
            "can_see_withholdings": permissions.can_see_withholdings(request.user),
            "title": _("Données ouvertes du volet 3"),
            "breadcrumb_data": crumbs(_("Données ouvertes")),
        },
    )


def schema(request):
    body = json.dumps(publication.table_schema(), ensure_ascii=False, indent=2)
    return HttpResponse(body, content_type="application/json; charset=utf-8")


def example(request):
    response = HttpResponse(publication.to_csv(publication.example_records()), content_type=CONTENT_TYPES["csv"])
    response["Content-Disposition"] = f'inline; filename="{publication.EXAMPLE_NAME}"'
    return response


def data_file(request, name):
    match = publication.FILE_NAME.match(name)
    path = settings.OPEN_DATA_ROOT / name if match else None
    if path is None or not path.is_file():
        raise Http404
    return FileResponse(path.open("rb"), as_attachment=True, filename=name, content_type=CONTENT_TYPES[match["format"]])


def _withholdable(user):
    """Signed CPOMs of the user's scope that are published today."""
    return (
        publication.published_cpoms()
        .filter(pk__in=Cpom.objects.visible_to(user))
        .select_related("legal_entity")
        .order_by("legal_entity__name", "first_year")
    )


@login_required
def withholdings(request):
    user = request.user
    if not permissions.can_see_withholdings(user):
        raise PermissionDenied
    can_act = user.is_admin or user.is_negotiator
    form = WithholdForm(request.POST or None, cpoms=_withholdable(user)) if can_act else None
    if request.method == "POST":
        if not can_act:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.withhold(user, form.cleaned_data["cpom"], form.cleaned_data["reason"])
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _("CPOM retenu : il sortira des fichiers publiés à leur prochaine production (chaque nuit)."),
                )
                return redirect("opendata:withholdings")
    rows = Withholding.objects.visible_to(user).select_related(
        "cpom__legal_entity", "cpom__region", "created_by", "released_by"
    )
    return render(
        request,
        "opendata/withholdings.html",
        {
            "form": form,
            "withholdings": rows,
            "nav": "cpoms",
            "title": _("CPOM retenus hors des données ouvertes"),
            "breadcrumb_data": crumbs(_("CPOM retenus"), (_("Données ouvertes"), "/donnees-ouvertes/")),
        },
    )


@login_required
@require_POST
def withholding_release(request, pk):
    withholding = get_object_or_404(Withholding.objects.visible_to(request.user), pk=pk)
    services.release(request.user, withholding)
    messages.success(request, _("Le CPOM sera de nouveau publié à la prochaine production des fichiers."))
    return redirect("opendata:withholdings")
