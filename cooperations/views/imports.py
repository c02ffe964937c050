"""Upload of register files by an admin; the import runs as a Celery task,
followed on its page (the input files of the computed indicators use the same
runs, on the follow-up's pages)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from cooperations.forms import ImportUploadForm
from cooperations.models import ImportRun
from cooperations.permissions import can_import_registers, require
from cooperations.tasks import run_uploaded_import
from core.jobs import job_status_response
from core.pages import crumbs


@login_required
def import_list(request):
    require(can_import_registers(request.user))
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            run = form.save(commit=False)
            run.original_name = request.FILES["file"].name[:255]
            run.size = request.FILES["file"].size
            run.created_by = request.user
            run.save()
            # Queue once the row is committed, so that the worker finds it; robust: the broker down is no 500.
            transaction.on_commit(lambda: run_uploaded_import.delay(run.pk), robust=True)
            messages.success(request, _("Fichier déposé : l’import est lancé."))
            return redirect(run)
        messages.error(request, _("Le fichier n’a pas été accepté : rien n’a été importé."))
    runs = ImportRun.objects.registers().select_related("created_by")[:50]
    return render(
        request,
        "cooperations/import_list.html",
        {
            "form": form,
            "runs": runs,
            "nav": "imports",
            "title": _("Imports du répertoire"),
            "breadcrumb_data": crumbs(_("Imports")),
        },
    )


@login_required
def import_detail(request, pk):
    require(can_import_registers(request.user))
    run = get_object_or_404(ImportRun.objects.registers().select_related("created_by"), pk=pk)
    return render(
        request,
        "cooperations/import_detail.html",
        {
            "run": run,
            "progress": run.progress,
            "nav": "imports",
            "title": str(run),
            "breadcrumb_data": crumbs(str(run), (_("Imports"), reverse("cooperations:import_list"))),
        },
    )


@login_required
def import_status(request, pk):
    require(can_import_registers(request.user))
    run = get_object_or_404(ImportRun.objects.registers(), pk=pk)
    return job_status_response(run)
