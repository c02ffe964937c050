"""CPOM pages: the list, a CPOM with its commitments, the negotiation steps,
the commitment page (commitment, partners, indicators and targets), the
concertation and the history. Views parse and render; rules are in
``services``, who-sees-what in ``Cpom.objects.visible_to`` and who-does-what
in ``permissions``."""

from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cooperations.models import LegalEntity
from cooperations.selectors import ght_name_subquery
from core.concurrency import STALE_MESSAGE
from core.exports import export_response, requested_export
from core.jobs import job_status_response
from core.pages import crumbs, filtered_table
from cpom import permissions, services, workflow
from cpom.annex import pick_version, request_archive
from cpom.filters import CpomFilter
from cpom.forms import (
    CONFIRMED_ACTIONS,
    CommentForm,
    CommitmentForm,
    CpomForm,
    DecisionForm,
    PartnerFormSet,
    ProposalForm,
    TransitionForm,
)
from cpom.indicator_forms import IndicatorFormSet, template_prefill
from cpom.models import (
    AnnexArchive,
    ChangeProposal,
    Commitment,
    Cpom,
    CpomVersion,
    FrozenCpomError,
    Indicator,
    IndicatorTemplate,
    StaleVersionError,
)
from cpom.rules import VEHICLE_RULE
from cpom.tables import CpomTable
from cpom.versions import commitments_with_content, cpom_history

HISTORY_ON_PAGE = 10


def visible_cpom(request, pk):
    queryset = Cpom.objects.visible_to(request.user).select_related(
        "legal_entity__department", "legal_entity__legal_status", "region"
    )
    return get_object_or_404(queryset, pk=pk)


def cpom_crumbs(cpom, current=None):
    links = [(_("CPOM"), reverse("cpom:cpom_list"))]
    if current:
        links.append((str(cpom.legal_entity.name), cpom.get_absolute_url()))
        return crumbs(current, *links)
    return crumbs(cpom.legal_entity.name, *links)


def _cpom_queryset(user):
    return (
        Cpom.objects.visible_to(user)
        .select_related("legal_entity__department")
        # Correlated subqueries, not joins with GROUP BY: the database computes them for the page's rows
        # only (a join of commitments × versions grouped over every CPOM cost the whole table each time).
        .annotate(
            commitment_count=Coalesce(
                Subquery(
                    Commitment.objects.filter(cpom=OuterRef("pk"))
                    .order_by()
                    .values("cpom")
                    .annotate(n=Count("pk"))
                    .values("n")
                ),
                0,
            ),
            ght_name=ght_name_subquery(),
            latest_signed=Subquery(
                CpomVersion.objects.filter(cpom=OuterRef("pk"), signed_on__isnull=False)
                .order_by("-number")
                .values("number")[:1]
            ),
        )
    )


@login_required
def cpom_list(request):
    filterset, table = filtered_table(request, CpomFilter, CpomTable, _cpom_queryset(request.user))
    export = requested_export(request)
    if export:
        return export_response(export, CpomTable(filterset.qs, order_by=request.GET.get("sort") or None), "cpom")
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cpom/cpom_list.html",
        {
            "filter": filterset,
            "table": table,
            "query": query,
            "can_create": permissions.can_create_cpom(request.user),
            "can_archive": permissions.can_export_archive(request.user),
            "nav": "cpoms",
            "title": _("CPOM"),
            "breadcrumb_data": crumbs(_("CPOM")),
        },
    )


@login_required
def cpom_create(request):
    permissions.require(permissions.can_create_cpom(request.user))
    initial = {}
    finess = request.GET.get("entite")
    if finess:
        entity = LegalEntity.objects.visible_to(request.user).filter(finess=finess).first()
        if entity:
            initial["legal_entity"] = entity
    form = CpomForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            cpom = services.create_cpom(
                request.user, data["legal_entity"], data["first_year"], data["last_year"], data["reference"]
            )
            messages.success(request, _("CPOM créé. Ajoutez ses engagements du volet 3."))
            return redirect(cpom)
        messages.error(request, _("Le formulaire contient des erreurs : rien n’a été enregistré."))
    title = _("Nouveau CPOM")
    return render(
        request,
        "cpom/cpom_form.html",
        {
            "form": form,
            "nav": "cpoms",
            "title": title,
            "breadcrumb_data": crumbs(title, (_("CPOM"), reverse("cpom:cpom_list"))),
        },
    )


@login_required
def cpom_update(request, pk):
    cpom = visible_cpom(request, pk)
    permissions.require(permissions.can_manage_cpom(request.user, cpom))
    if not cpom.is_editable:
        messages.error(request, _("Ce CPOM n’est pas modifiable à son étape actuelle."))
        return redirect(cpom)
    form = CpomForm(request.POST or None, instance=cpom, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.update_cpom(
                    cpom,
                    request.user,
                    data["edit_token"],
                    first_year=data["first_year"],
                    last_year=data["last_year"],
                    reference=data["reference"],
                )
            except StaleVersionError as error:
                messages.error(request, STALE_MESSAGE)
                form.refresh_token(error.current)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("CPOM enregistré."))
                return redirect(cpom)
        messages.error(request, _("Le formulaire contient des erreurs : rien n’a été enregistré."))
    title = _("Modifier le CPOM")
    return render(
        request,
        "cpom/cpom_form.html",
        {"form": form, "cpom": cpom, "nav": "cpoms", "title": title, "breadcrumb_data": cpom_crumbs(cpom, title)},
    )


@login_required
@require_POST
def cpom_delete(request, pk):
    cpom = visible_cpom(request, pk)
    permissions.require(permissions.can_delete_cpom(request.user, cpom))
    services.delete_cpom(cpom, request.user)
    messages.success(request, _("Le projet de CPOM a été supprimé."))
    return redirect("cpom:cpom_list")


@login_required
def cpom_history_view(request, pk):
    cpom = visible_cpom(request, pk)
    title = _("Historique des modifications")
    return render(
        request,
        "cpom/cpom_history.html",
        {
            "cpom": cpom,
            "history": cpom_history(cpom),
            "nav": "cpoms",
            "title": title,
            "breadcrumb_data": cpom_crumbs(cpom, title),
        },
    )


@login_required
@require_POST
def cpom_transition(request, pk):
    cpom = visible_cpom(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Action inconnue."))
        return redirect(cpom)
    action, data, user = form.cleaned_data["action"], form.cleaned_data, request.user
    permissions.require(workflow.is_actor(user, cpom, action))
    if action in CONFIRMED_ACTIONS and not data["confirmed"]:
        messages.error(
            request,
            _("Rien n’a été fait : cette étape fige le contenu du CPOM et se confirme dans la fenêtre qui dit ce "
              "qui sera figé."),
        )  # fmt: skip
        return redirect(cpom)
    try:
        if action == "share":
            services.share_with_director(cpom, user, data["message"])
            messages.success(request, _("Le CPOM est partagé avec l’établissement pour concertation."))
        elif action == "return":
            services.return_to_ars(cpom, user, data["message"])
            messages.success(request, _("Le tour de concertation est clos : l’ARS a la main."))
        elif action == "ready":
            services.mark_ready_to_sign(cpom, user)
            messages.success(request, _("Le CPOM est prêt à signer : son contenu est figé."))
        elif action == "back":
            services.back_to_drafting(cpom, user)
            messages.success(request, _("Le CPOM est de nouveau en préparation."))
        elif action == "sign":
            if not data["signed_on"]:
                raise ValidationError(_("Indiquez la date de signature."))
            services.sign(cpom, user, data["signed_on"])
            messages.success(request, _("Signature enregistrée : le contenu du CPOM est figé."))
        elif action == "amend":
            version = services.open_amendment(cpom, user, data["reason"])
            messages.success(
                request,
                _("%(label)s ouvert : modifiez les engagements puis faites-le signer.") % {"label": version.label},
            )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect(cpom)


# --- The commitment page ---------------------------------------------------------------------


def _editable_cpom_or_redirect(request, cpom):
    """A negotiator on a frozen CPOM is told why and sent back; anyone else
    who may not edit gets a 403."""
    if permissions.can_edit_cpom_content(request.user, cpom):
        return None
    if permissions.can_manage_cpom(request.user, cpom):
        messages.error(request, str(FrozenCpomError()))
        return redirect(cpom)
    raise PermissionDenied


def _commitment_page(request, cpom, commitment):
    user = request.user
    data = request.POST or None
    form = CommitmentForm(data, instance=commitment, user=user, cpom=cpom)
    partners = PartnerFormSet(data, instance=commitment, prefix="partenaires", cpom=cpom, user=user)
    indicators = IndicatorFormSet(data, instance=commitment, prefix="indicateurs", years=cpom.years)
    if not commitment.pk:
        indicators.extra = 1  # a new commitment starts with one indicator row
    newer = None
    if request.method == "POST":
        if form.is_valid() and partners.is_valid() and indicators.is_valid():
            try:
                saved = services.save_commitment(
                    cpom, user, form, partners, indicators, form.cleaned_data["edit_token"]
                )
            except StaleVersionError as error:
                newer = error.current
                messages.error(
                    request,
                    _("Un autre utilisateur a enregistré cet engagement depuis que vous l’avez ouvert. "
                      "Rien n’a été écrasé : comparez avec sa version ci-dessous, puis enregistrez de nouveau."),
                )  # fmt: skip
                form.refresh_token(newer)
            except FrozenCpomError as error:
                messages.error(request, str(error))
                return redirect(cpom)
            else:
                messages.success(request, _("Engagement « %(title)s » enregistré.") % {"title": saved.title})
                return redirect(saved.get_absolute_url())
        else:
            messages.error(request, _("Le formulaire contient des erreurs : rien n’a été enregistré."))
    title = _("Modifier l’engagement") if commitment.pk else _("Nouvel engagement")
    if newer is not None:
        newer = commitments_with_content(cpom, pk=newer.pk)[0]
    return render(
        request,
        "cpom/commitment_form.html",
        {
            "cpom": cpom,
            "commitment": commitment,
            "form": form,
            "partners": partners,
            "indicators": indicators,
            "newer": newer,
            "prefill": template_prefill(),
            "vehicle_rule": VEHICLE_RULE,
            "nav": "cpoms",
            "title": title,
            "breadcrumb_data": cpom_crumbs(cpom, title),
        },
    )


@login_required
def commitment_create(request, pk):
    cpom = visible_cpom(request, pk)
    refused = _editable_cpom_or_redirect(request, cpom)
    if refused:
        return refused
    return _commitment_page(request, cpom, Commitment(cpom=cpom))


def _visible_commitment(request, pk):
    commitment = get_object_or_404(Commitment.objects.visible_to(request.user).select_related("cpom"), pk=pk)
    return commitment.cpom, commitment


@login_required
def commitment_update(request, pk):
    cpom, commitment = _visible_commitment(request, pk)
    refused = _editable_cpom_or_redirect(request, cpom)
    if refused:
        return refused
    return _commitment_page(request, cpom, commitment)


@login_required
@require_POST
def commitment_delete(request, pk):
    cpom, commitment = _visible_commitment(request, pk)
    refused = _editable_cpom_or_redirect(request, cpom)
    if refused:
        return refused
    services.delete_commitment(commitment, request.user)
    messages.success(request, _("Engagement « %(title)s » supprimé.") % {"title": commitment.title})
    return redirect(cpom)


@login_required
@require_POST
def commitment_move(request, pk):
    cpom, commitment = _visible_commitment(request, pk)
    refused = _editable_cpom_or_redirect(request, cpom)
    if refused:
        return refused
    step = -1 if request.POST.get("direction") == "up" else 1
    services.move_commitment(commitment, request.user, step)
    return redirect(commitment.get_absolute_url())


# --- Concertation ----------------------------------------------------------------------------


@login_required
@require_POST
def cpom_comment(request, pk):
    cpom = visible_cpom(request, pk)
    permissions.require(permissions.can_comment(request.user, cpom))
    form = CommentForm(request.POST, cpom=cpom)
    commitment = None
    if form.is_valid():
        commitment = form.cleaned_data["commitment"]
        services.add_comment(cpom, request.user, form.cleaned_data["body"], commitment)
        messages.success(request, _("Message ajouté."))
    elif "commitment" in form.errors:
        messages.error(request, _("Cet engagement n’appartient pas à ce CPOM : rien n’a été enregistré."))
    else:
        messages.error(request, _("Le message est vide ou trop long : rien n’a été enregistré."))
    anchor = f"#engagement-{commitment.pk}" if commitment else "#concertation"
    return redirect(cpom.get_absolute_url() + anchor)


@login_required
def proposal_create(request, pk):
    cpom, commitment = _visible_commitment(request, pk)
    permissions.require(permissions.can_propose_change(request.user, cpom))
    commitment = Commitment.objects.prefetch_related(
        Prefetch("indicators", queryset=commitment.indicators.order_by("position", "pk"))
    ).get(pk=commitment.pk)
    commitment.cpom = cpom
    targets = services.proposal_targets(commitment)
    form = ProposalForm(request.POST or None, targets=targets)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.propose_change(
                    commitment, request.user, data["target"], data["proposed_value"], data["reason"]
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Proposition transmise à l’ARS."))
                return redirect(commitment.get_absolute_url())
        messages.error(request, _("Le formulaire contient des erreurs : rien n’a été enregistré."))
    title = _("Proposer une modification")
    return render(
        request,
        "cpom/proposal_form.html",
        {
            "cpom": cpom,
            "commitment": commitment,
            "form": form,
            "nav": "cpoms",
            "title": title,
            "breadcrumb_data": cpom_crumbs(cpom, title),
        },
    )


@login_required
@require_POST
def proposal_decide(request, pk):
    proposal = get_object_or_404(
        ChangeProposal.objects.filter(commitment__in=Commitment.objects.visible_to(request.user)).select_related(
            "commitment__cpom"
        ),
        pk=pk,
    )
    cpom = proposal.commitment.cpom
    permissions.require(permissions.can_manage_cpom(request.user, cpom))
    form = DecisionForm(request.POST)
    if not form.is_valid():
        raise Http404
    try:
        services.decide_proposal(
            proposal, request.user, form.cleaned_data["decision"] == "accept", form.cleaned_data["note"]
        )
    except (ValidationError, FrozenCpomError) as error:
        for message in getattr(error, "messages", [str(error)]):
            messages.error(request, message)
    else:
        messages.success(request, _("Réponse enregistrée."))
    return redirect(proposal.commitment.get_absolute_url())


# --- Technical sheets of the indicators -------------------------------------------------------


@login_required
def indicator_sheet(request, pk):
    """The technical sheet of an indicator of a CPOM, for whoever sees the CPOM."""
    indicator = get_object_or_404(
        Indicator.objects.visible_to(request.user).select_related(
            "commitment__cpom__legal_entity", "commitment__cpom__region", "template"
        ),
        pk=pk,
    )
    cpom = indicator.commitment.cpom
    title = _("Fiche technique — %(label)s") % {"label": indicator.label}
    return render(
        request,
        "cpom/indicator_sheet.html",
        {
            "indicator": indicator,
            "commitment": indicator.commitment,
            "cpom": cpom,
            "rows": indicator.sheet_rows(),
            "can_edit": permissions.can_edit_cpom_content(request.user, cpom),
            "nav": "cpoms",
            "title": title,
            "breadcrumb_data": cpom_crumbs(cpom, _("Fiche technique")),
        },
    )


def _library_crumbs(current=None):
    links = [(_("CPOM"), reverse("cpom:cpom_list"))]
    if current:
        return crumbs(current, *links, (_("Bibliothèque d’indicateurs"), reverse("cpom:indicator_library")))
    return crumbs(_("Bibliothèque d’indicateurs"), *links)


@login_required
def indicator_library(request):
    """The library's model indicators, each with its sheet: reference text, read by every signed-in user."""
    title = _("Bibliothèque d’indicateurs")
    return render(
        request,
        "cpom/indicator_library.html",
        {
            "templates": IndicatorTemplate.objects.all(),
            "nav": "cpoms",
            "title": title,
            "breadcrumb_data": _library_crumbs(),
        },
    )


@login_required
def template_sheet(request, pk):
    template = get_object_or_404(IndicatorTemplate, pk=pk)
    title = _("Fiche technique — %(label)s") % {"label": template.label}
    return render(
        request,
        "cpom/indicator_sheet.html",
        {
            "template": template,
            "rows": template.sheet_rows(),
            "nav": "cpoms",
            "title": title,
            "breadcrumb_data": _library_crumbs(template.label),
        },
    )


# --- The annex -------------------------------------------------------------------------------


def annex_version(request, cpom):
    number = request.GET.get("version")
    try:
        return pick_version(cpom, int(number) if number not in (None, "") else None)
    except (ValueError, CpomVersion.DoesNotExist):
        raise Http404 from None


# --- Archives of annexes ---------------------------------------------------------------------


@login_required
@require_POST
def annex_archive_create(request):
    """The annexes of the CPOMs the list shows with its current filters."""
    permissions.require(permissions.can_export_archive(request.user))
    filterset = CpomFilter(request.POST, queryset=Cpom.objects.visible_to(request.user), user=request.user)
    cpoms = list(filterset.qs.select_related("legal_entity").order_by("legal_entity__name", "first_year"))
    if not cpoms:
        messages.error(request, _("Aucun CPOM ne correspond à ces critères : aucune archive n’a été demandée."))
        return redirect("cpom:cpom_list")
    user = request.user
    region = filterset.form.cleaned_data.get("region") if user.is_admin else user.region
    filtered = any(v for k, v in filterset.data.items() if k not in ("csrfmiddlewaretoken", "region"))
    scope = region.name if region else _("toutes régions")
    label = _("Annexes volet 3 — %(scope)s%(filtered)s (%(n)s CPOM)") % {
        "scope": scope,
        "filtered": _(", liste filtrée") if filtered else "",
        "n": len(cpoms),
    }
    archive = request_archive(user, cpoms, label, region)
    messages.success(request, _("Archive demandée : elle se construit, cette page suit son avancement."))
    return redirect(archive)


def _visible_archive(request, pk):
    archive = get_object_or_404(AnnexArchive.objects.select_related("created_by", "region"), pk=pk)
    if not permissions.can_export_archive(request.user):
        raise PermissionDenied
    if not permissions.can_see_archive(request.user, archive):
        raise Http404
    return archive


@login_required
def annex_archive_detail(request, pk):
    archive = _visible_archive(request, pk)
    title = _("Archive d’annexes")
    return render(
        request,
        "cpom/annex_archive.html",
        {
            "archive": archive,
            "expired": archive.is_expired,
            "nav": "cpoms",
            "title": title,
            "breadcrumb_data": crumbs(title, (_("CPOM"), reverse("cpom:cpom_list"))),
        },
    )


@login_required
def annex_archive_status(request, pk):
    return job_status_response(_visible_archive(request, pk))


@login_required
def annex_archive_download(request, pk):
    archive = _visible_archive(request, pk)
    if not archive.is_done:
        raise Http404
    if archive.is_expired:
        return render(
            request,
            "cpom/annex_archive.html",
            {"archive": archive, "expired": True, "nav": "cpoms", "title": _("Archive expirée")},
            status=410,
        )
    return FileResponse(archive.file.open("rb"), as_attachment=True, filename=Path(archive.file.name).name)
