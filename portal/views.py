"""Pages that read several apps: each role's home, the legal entity's page,
the CPOM page with its follow-up, and the follow-up edition of the annex."""

import hashlib
import io

from django.contrib.auth.decorators import login_required
from django.db.models import Count, prefetch_related_objects
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.memberships import acting_membership
from accounts.scopes import has_role
from cooperations.models import CooperationStructure, Establishment, LegalEntity, StructureKind
from cooperations.permissions import can_create_structure, can_set_entity_name
from cooperations.selectors import links_context
from core.pages import crumbs
from core.printing import preview_context
from cpom import permissions, services, workflow
from cpom.annex import annex_context, annex_filename, annex_pdf, render_pdf
from cpom.forms import STATUS_STEPS, CommentForm
from cpom.models import Cpom
from cpom.permissions import can_create_cpom
from cpom.selectors import compare_cpoms, cpom_threads
from cpom.tables import STATUS_BADGES
from cpom.versions import commitments_with_content, cpom_history, version_diffs
from cpom.views import HISTORY_ON_PAGE, annex_version, cpom_crumbs, visible_cpom
from indicators.models import Campaign
from indicators.progress import attach_progress
from indicators.selectors import known_value_displays, sent_back_to
from notifications.models import Notification
from reviews.selectors import cpom_links as review_links


def _known_values_of(request):
    """The follow-up edition (``?suivi=1``) shows each indicator's known values; the contract itself none."""
    return known_value_displays if request.GET.get("suivi") else None


@login_required
def home(request):
    user = request.user
    context = {"nav": "home", "title": _("Accueil")}
    if not has_role(user):
        return redirect("portal:access_request")
    if user.is_director:
        acting = acting_membership(request)
        entity = get_object_or_404(
            LegalEntity.objects.visible_to(user).select_related("legal_status", "department"),
            pk=acting.legal_entity_id if acting else None,
        )
        context["entity"] = entity
        context["site_count"] = entity.establishments.count()
        context["structures"] = (
            CooperationStructure.objects.visible_to(user).annotate(member_count=Count("memberships")).order_by("kind")
        )
        context["cpoms"] = list(Cpom.objects.visible_to(user).order_by("-first_year"))
        for cpom in context["cpoms"]:
            cpom.awaits_establishment = workflow.awaits_establishment(cpom)
        campaigns = Campaign.objects.visible_to(user)
        context["open_campaigns"] = campaigns.accepting_on(timezone.localdate()).order_by("-year")
        context["sent_back"] = sent_back_to(user)
        context["latest_unread"] = list(Notification.objects.filter(recipient=user).unread()[:5])
        return render(request, "portal/home_director.html", context)
    establishments = Establishment.objects.visible_to(user)
    structures = CooperationStructure.objects.visible_to(user)
    context.update(
        {
            "establishment_count": establishments.count(),
            "entity_count": LegalEntity.objects.visible_to(user).count(),
            "structure_counts": [
                (StructureKind(row["kind"]).label, row["n"])
                for row in structures.values("kind").annotate(n=Count("pk")).order_by("-n")
            ],
            "ght_count": structures.filter(kind=StructureKind.GHT).count(),
            "reconstructed_count": structures.filter(composition_source="reconstituee").count(),
            "can_create": can_create_structure(user),
        }
    )
    return render(request, "portal/home.html", context)


@login_required
def legal_entity_detail(request, finess):
    entity = get_object_or_404(
        LegalEntity.objects.visible_to(request.user).select_related(
            "legal_status", "department", "region", "name_set_by"
        ),
        finess=finess,
    )
    sites = entity.establishments.select_related("category", "department").order_by("name")
    context = {
        "entity": entity,
        "sites": sites,
        "nav": "establishments",
        "title": entity.name,
        "breadcrumb_data": crumbs(entity.name, (_("Établissements"), reverse("cooperations:establishment_list"))),
    }
    context.update(links_context(request.user, entity))
    engagements = list(entity.register_engagements.select_related("establishment").order_by("-effective_date"))
    context["register_engagements"] = engagements
    app_cpoms = list(Cpom.objects.visible_to(request.user).filter(legal_entity=entity).order_by("-first_year"))
    context["app_cpoms"] = app_cpoms
    context.update(compare_cpoms([e for e in engagements if e.is_cpom], app_cpoms, register_loaded=bool(engagements)))
    context["can_set_name"] = can_set_entity_name(request.user, entity)
    context["can_create_cpom"] = can_create_cpom(request.user) and (
        request.user.is_admin or entity.region_id == request.user.region_id
    )
    return render(request, "portal/legal_entity_detail.html", context)


@login_required
def cpom_detail(request, pk):
    cpom = visible_cpom(request, pk)
    user = request.user
    commitments = commitments_with_content(cpom)
    # The diagnostic an axis of which became the commitment (diagnostics points here, not the reverse).
    prefetch_related_objects(commitments, "diagnostic_axes__diagnostic", "carried_from__evaluation__cpom")
    threads, proposals = cpom_threads(cpom)
    for commitment in commitments:
        commitment.thread = threads.get(commitment.pk, [])
        commitment.proposal_list = proposals.get(commitment.pk, [])
        commitment.pending_count = sum(1 for p in commitment.proposal_list if p.is_pending)
        for indicator in commitment.indicators.all():
            targets = {t.year: t for t in indicator.targets.all()}
            for target in targets.values():
                target.indicator = indicator
            indicator.target_row = [(year, targets.get(year)) for year in cpom.years]
    versions = list(cpom.versions.select_related("opened_by", "signed_by").order_by("number"))
    can_manage = permissions.can_manage_cpom(user, cpom)
    context = {
        "cpom": cpom,
        "progress_totals": attach_progress(commitments) if cpom.has_been_signed else [],
        "commitments": commitments,
        "general_thread": threads.get(None, []),
        "versions": version_diffs(versions),
        "open_version": next((v for v in versions if not v.is_signed), None),
        "history": cpom_history(cpom, limit=HISTORY_ON_PAGE),
        "steps": [(step, step.label, i) for i, step in enumerate(STATUS_STEPS)],
        "step_index": STATUS_STEPS.index(cpom.status),
        "status_badge": STATUS_BADGES[cpom.status],
        "can_manage": can_manage,
        "actions": workflow.available(user, cpom),
        "can_edit": permissions.can_edit_cpom_content(user, cpom),
        "can_delete": permissions.can_delete_cpom(user, cpom),
        "can_comment": permissions.can_comment(user, cpom),
        "can_propose": permissions.can_propose_change(user, cpom),
        "is_director": permissions.is_director_of(user, cpom),
        "can_export": permissions.can_export_annex(user, cpom),
        "review_links": review_links(user, cpom),
        "signature_problems": services.signature_problems(cpom, commitments) if can_manage and cpom.is_editable else [],
        "comment_form": CommentForm(),
        "today": timezone.localdate(),
        "nav": "cpoms",
        "title": str(cpom),
        "breadcrumb_data": cpom_crumbs(cpom),
    }
    return render(request, "cpom/cpom_detail.html", context)


@login_required
def annex_preview(request, pk):
    cpom = visible_cpom(request, pk)
    permissions.require(permissions.can_export_annex(request.user, cpom))
    version = annex_version(request, cpom)
    return render(request, "cpom/annex.html", preview_context(annex_context(cpom, version, _known_values_of(request))))


@login_required
def annex_download(request, pk):
    cpom = visible_cpom(request, pk)
    permissions.require(permissions.can_export_annex(request.user, cpom))
    version = annex_version(request, cpom)
    known_values_of = _known_values_of(request)
    follow_up = known_values_of is not None
    filename = annex_filename(cpom, version, follow_up)
    if version.is_signed and not follow_up:
        # The signed document: stored at its first export, then served byte for byte (one file per version).
        annex = annex_pdf(cpom, version, request.user)
        response = FileResponse(annex.file.open("rb"), as_attachment=True, filename=filename)
        sha256 = annex.sha256
    else:
        # A draft or a follow-up edition: rendered for this request and stored nowhere (a GET never writes).
        data = render_pdf(annex_context(cpom, version, known_values_of))
        response = FileResponse(io.BytesIO(data), as_attachment=True, filename=filename)
        sha256 = hashlib.sha256(data).hexdigest()
    response["Content-Type"] = "application/pdf"
    response["X-Annex-SHA256"] = sha256
    return response
