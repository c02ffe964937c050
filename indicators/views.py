"""Pages of the follow-up: campaigns and their dashboard, the establishment's
values to declare, the ARS's validation queue, a declaration, an indicator
over the years. Views parse and render; rules are in ``services``."""

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.memberships import acting_membership
from cooperations.models import ImportRun, LegalEntity
from core.concurrency import STALE_MESSAGE, edit_token, edit_tokens
from core.exports import export_response, requested_export
from core.jobs import job_status_response
from core.pages import configure_table, crumbs
from core.values import ngettext
from cpom.models import Indicator, IndicatorKind, StaleVersionError
from indicators import permissions, selectors, services
from indicators.computations import indicators_to_compute
from indicators.filters import DeclarationFilter
from indicators.follow_up import entity_rows, region_totals
from indicators.forms import (
    CampaignForm,
    ComputationForm,
    EntryForm,
    InputImportForm,
    NoteForm,
    ReopenForm,
    SendBackForm,
)
from indicators.inputs import deposit_input_file
from indicators.models import (
    DIRECTOR_EDITABLE,
    Campaign,
    ComputationRun,
    ComputedValue,
    Declaration,
    DeclarationStatus,
    InputImport,
)
from indicators.progress import PROGRESS_BADGES, Progress, build_chart, due_cpom_ids, indicator_progress
from indicators.tables import DECLARATION_BADGES, DashboardTable, DeclarationTable

DASHBOARD_PAGE = 50


def _visible_campaign(request, pk):
    return get_object_or_404(Campaign.objects.visible_to(request.user).select_related("region"), pk=pk)


def _campaign_crumbs(campaign, current):
    return crumbs(
        current,
        (_("Suivi des indicateurs"), reverse("indicators:campaign_list")),
        (str(campaign), campaign.get_absolute_url()),
    )


def _require_ars(request, campaign):
    """Pages that show every establishment of a campaign stay within the ARS."""
    if not permissions.can_read_notes(request.user, campaign):
        raise PermissionDenied


# --- Campaigns --------------------------------------------------------------------------------


@login_required
def campaign_list(request):
    user = request.user
    campaigns = Campaign.objects.visible_to(user).select_related("region").order_by("-year", "region__name")
    return render(
        request,
        "indicators/campaign_list.html",
        {
            "campaigns": campaigns,
            "today": timezone.localdate(),
            "can_open": permissions.can_open_campaign(user),
            "is_ars": user.is_admin or user.is_regional,
            "nav": "follow_up",
            "title": _("Suivi des indicateurs"),
            "breadcrumb_data": crumbs(_("Suivi des indicateurs")),
        },
    )


def _cpom_choices(user, region=None, year=None):
    from cpom.models import Cpom

    queryset = Cpom.objects.visible_to(user).filter(signed_on__isnull=False).select_related("legal_entity")
    if region is not None:
        queryset = queryset.filter(region=region)
    if year is not None:
        queryset = queryset.filter(first_year__lte=year, last_year__gte=year)
    if user.is_admin and region is None:
        return queryset.none()  # an admin follows every CPOM of the région he picks
    return queryset.order_by("legal_entity__name", "first_year")


@login_required
def campaign_create(request):
    user = request.user
    if not permissions.can_open_campaign(user):
        raise PermissionDenied
    form = CampaignForm(request.POST or None, user=user, cpom_choices=_cpom_choices(user, user.region))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        region = data.get("region") or user.region
        try:
            campaign = services.open_campaign(
                user,
                region,
                data["year"],
                data["opens_on"],
                data["closes_on"],
                data["corrections_until"],
                None if data["all_cpoms"] else data["cpoms"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _(
                    "Campagne %(year)s ouverte : %(n)s CPOM suivis ; les directeurs concernés sont prévenus par courriel."
                )
                % {"year": campaign.year, "n": campaign.cpoms.count()},
            )
            return redirect(campaign)
    return render(
        request,
        "indicators/campaign_form.html",
        {
            "form": form,
            "nav": "follow_up",
            "title": _("Ouvrir une campagne de suivi"),
            "breadcrumb_data": crumbs(
                _("Ouvrir une campagne"), (_("Suivi des indicateurs"), reverse("indicators:campaign_list"))
            ),
        },
    )


@login_required
def campaign_update(request, pk):
    campaign = _visible_campaign(request, pk)
    if not permissions.can_manage_campaign(request.user, campaign):
        raise PermissionDenied
    choices = _cpom_choices(request.user, campaign.region, campaign.year)
    form = CampaignForm(
        request.POST or None,
        instance=campaign,
        user=request.user,
        cpom_choices=choices,
        initial={"cpoms": list(campaign.cpoms.all())},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_campaign(
                request.user,
                campaign,
                data["opens_on"],
                data["closes_on"],
                data["corrections_until"],
                list(choices) if data["all_cpoms"] else data["cpoms"],
                data["edit_token"],
            )
        except StaleVersionError as error:
            form.refresh_token(error.current)
            messages.error(request, STALE_MESSAGE)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Campagne modifiée."))
            return redirect(campaign)
    return render(
        request,
        "indicators/campaign_form.html",
        {
            "form": form,
            "campaign": campaign,
            "nav": "follow_up",
            "title": _("Modifier la campagne"),
            "breadcrumb_data": _campaign_crumbs(campaign, _("Modifier")),
        },
    )


@login_required
def campaign_dashboard(request, pk):
    campaign = _visible_campaign(request, pk)
    _require_ars(request, campaign)
    rows = entity_rows(campaign)
    table = DashboardTable(rows, campaign=campaign)
    export = requested_export(request)
    if export:
        return export_response(export, table, f"campagne-{campaign.year}-tableau-de-bord")
    configure_table(request, table, per_page=DASHBOARD_PAGE)
    return render(
        request,
        "indicators/campaign_dashboard.html",
        {
            "campaign": campaign,
            "phase": campaign.current_phase,
            "table": table,
            "totals": region_totals(rows),
            "entity_count": len(rows),
            "can_manage": permissions.can_manage_campaign(request.user, campaign),
            "can_validate": permissions.can_validate(request.user, campaign),
            "nav": "follow_up",
            "title": str(campaign),
            "breadcrumb_data": crumbs(str(campaign), (_("Suivi des indicateurs"), reverse("indicators:campaign_list"))),
        },
    )


# --- The establishment's values ---------------------------------------------------------------


@login_required
def my_declarations(request):
    """A director's way in: the open campaign of his entity, or the list."""
    user = request.user
    if not user.is_director:
        return redirect("indicators:campaign_list")
    campaigns = Campaign.objects.visible_to(user).select_related("region").order_by("-year")
    today = timezone.localdate()
    accepting = list(campaigns.accepting_on(today)[:2])
    acting = acting_membership(request)
    if len(accepting) == 1 and acting is not None:
        return redirect("indicators:declare", accepting[0].pk, acting.legal_entity.finess)
    return render(
        request,
        "indicators/campaign_list.html",
        {
            "campaigns": campaigns,
            "today": today,
            "nav": "follow_up",
            "title": _("Mes indicateurs à renseigner"),
            "breadcrumb_data": crumbs(_("Mes indicateurs à renseigner")),
        },
    )


def _entry_forms(request, campaign, groups, can_edit):
    """One form per indicator the establishment may still change now. On a
    post, only the indicators the page carried are bound: a value the ARS
    sent back while the page was open had no field on it, and must not be
    taken as emptied."""
    forms = []
    posted = request.method == "POST"
    shown = [row["declaration"].pk for rows in groups.values() for row in rows if row["declaration"]]
    tokens = edit_tokens(Declaration, id__in=shown) if can_edit else {}
    for rows in groups.values():
        for row in rows:
            declaration = row["declaration"]
            editable = (
                can_edit
                and not row["computed"]
                and services.window_error(
                    campaign,
                    declaration.status if declaration else None,
                    reopened=declaration is not None and declaration.reopened_at is not None,
                )
                is None
            )
            row["editable"] = editable
            if editable:
                prefix = f"i{row['indicator'].pk}"
                bound = posted and f"{prefix}-value" in request.POST
                row["form"] = EntryForm(
                    request.POST if bound else None,
                    request.FILES if bound else None,
                    prefix=prefix,
                    indicator=row["indicator"],
                    declaration=declaration,
                    token=tokens.get(declaration.pk) if declaration else None,
                )
                forms.append(row["form"])
    return forms


@login_required
def declare(request, pk, finess):
    campaign = _visible_campaign(request, pk)
    user = request.user
    entity = get_object_or_404(LegalEntity.objects.filter(cpoms__campaigns=campaign).distinct(), finess=finess)
    can_edit = permissions.can_declare(user, entity.pk)
    if not can_edit and not permissions.can_read_notes(user, campaign):
        raise PermissionDenied
    groups = selectors.declaration_rows(campaign, entity)
    forms = _entry_forms(request, campaign, groups, can_edit)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        submit = "submit" in request.POST
        posted = [form for form in forms if form.is_bound]
        if all(form.is_valid() for form in posted):
            try:
                saved, submitted = services.save_declarations(
                    user, campaign, entity.pk, [form.entry() for form in posted], submit=submit
                )
            except services.FlaggedValuesError as error:
                for form in posted:
                    if form.indicator.pk in error.flags:
                        form.show_flags(error.flags[form.indicator.pk])
                messages.error(request, " ".join(error.messages))
            except services.StaleDeclarationError as error:
                current = Declaration.objects.filter(campaign=campaign, indicator__in=error.indicators)
                current = {declaration.indicator_id: declaration for declaration in current}
                for form in posted:
                    if form.indicator.pk in error.indicators:
                        form.refresh_token(current.get(form.indicator.pk))
                messages.error(request, " ".join(error.messages))
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                if submit:
                    messages.success(
                        request,
                        ngettext(
                            "%(n)s valeur soumise à l’ARS pour validation.",
                            "%(n)s valeurs soumises à l’ARS pour validation.",
                            submitted,
                        )
                        % {"n": submitted},
                    )
                else:
                    messages.success(
                        request,
                        ngettext("Brouillon enregistré (%(n)s valeur).", "Brouillon enregistré (%(n)s valeurs).", saved)
                        % {"n": saved},
                    )
                    _say_corrections_pending(request, campaign, entity)
                return redirect("indicators:declare", campaign.pk, entity.finess)
        else:
            messages.error(
                request,
                _(
                    "Rien n’a été enregistré : corrigez les valeurs signalées. "
                    "Un justificatif choisi doit l’être de nouveau."
                ),
            )
    counts = {status: 0 for status in DeclarationStatus}
    due = 0
    bulk = 0
    to_submit = []
    for rows in groups.values():
        for row in rows:
            if not row["computed"]:
                due += 1
                declaration = row["declaration"]
                if declaration:
                    counts[DeclarationStatus(declaration.status)] += 1
                    bulk += declaration.is_submitted and not declaration.flagged
            if row.get("form") is not None:
                to_submit.append(row)
    return render(
        request,
        "indicators/declare.html",
        {
            "campaign": campaign,
            "phase": campaign.current_phase,
            "entity": entity,
            "groups": groups,
            "can_edit": can_edit,
            "can_submit": permissions.can_submit(user, entity.pk),
            "has_forms": bool(forms),
            "due": due,
            "counts": counts,
            "to_submit": to_submit,
            "bulk_count": bulk if permissions.can_validate(user, campaign) else 0,
            "badges": DECLARATION_BADGES,
            "nav": "follow_up",
            "title": _("Indicateurs à renseigner — %(year)s") % {"year": campaign.year},
            "breadcrumb_data": _campaign_crumbs(campaign, entity.name)
            if permissions.can_read_notes(user, campaign)
            else crumbs(_("Mes indicateurs à renseigner")),
        },
    )


def _say_corrections_pending(request, campaign, entity):
    """After a draft: the corrections saved over sent-back values still wait for their submission."""
    pending = Declaration.objects.filter(
        campaign=campaign,
        indicator__commitment__cpom__legal_entity=entity,
        status=DeclarationStatus.SENT_BACK,
        corrected_at__isnull=False,
    ).count()
    if pending:
        messages.warning(
            request,
            ngettext(
                "Votre correction est enregistrée mais pas encore envoyée : soumettez-la pour que l’ARS la revoie.",
                "Vos %(n)s corrections sont enregistrées mais pas encore envoyées : soumettez-les pour que "
                "l’ARS les revoie.",
                pending,
            )
            % {"n": pending},
        )


# --- The ARS's validation ---------------------------------------------------------------------


@login_required
def validation_queue(request, pk):
    campaign = _visible_campaign(request, pk)
    _require_ars(request, campaign)
    filterset = DeclarationFilter(request.GET or None, queryset=selectors.validation_queue(campaign, request.user))
    export = requested_export(request)
    if export:
        exported = DeclarationTable(filterset.qs, order_by=request.GET.get("sort") or None, exclude=("actions",))
        return export_response(export, exported, f"campagne-{campaign.year}-declarations")
    declarations = filterset.qs
    counts = selectors.queue_counts(declarations)
    table = DeclarationTable(
        declarations, exclude=() if permissions.can_validate(request.user, campaign) else ("actions",)
    )
    table.data._length = counts["total"]  # django-tables2's cached length of its data: no second count
    configure_table(request, table)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "indicators/validation_queue.html",
        {
            "campaign": campaign,
            "filter": filterset,
            "table": table,
            "query": query,
            "waiting": counts["waiting"],
            "nav": "follow_up",
            "title": _("Déclarations à valider — %(year)s") % {"year": campaign.year},
            "breadcrumb_data": _campaign_crumbs(campaign, _("Validation")),
        },
    )


def _visible_declaration(request, pk):
    queryset = Declaration.objects.visible_to(request.user).select_related(
        "campaign__region", "indicator__commitment__cpom__legal_entity", "updated_by"
    )
    return get_object_or_404(queryset, pk=pk)


@login_required
def declaration_detail(request, pk, send_back_form=None, note_form=None, reopen_form=None):
    declaration = _visible_declaration(request, pk)
    campaign = declaration.campaign
    user = request.user
    indicator = declaration.indicator
    can_validate = permissions.can_validate(user, campaign)
    context = {
        "declaration": declaration,
        "indicator": indicator,
        "campaign": campaign,
        "entity": indicator.commitment.cpom.legal_entity,
        "target": indicator.targets.filter(year=declaration.year).first(),
        "events": declaration.events.select_related("user"),
        "badges": DECLARATION_BADGES,
        "can_decide": can_validate and declaration.status == DeclarationStatus.SUBMITTED,
        "can_reopen": declaration.is_frozen and permissions.can_reopen(user, campaign),
        "reopen_form": reopen_form or ReopenForm(),
        "edit_token": edit_token(declaration),
        "can_declare": permissions.can_declare(user, indicator.commitment.cpom.legal_entity_id)
        and declaration.status in DIRECTOR_EDITABLE,
        "send_back_form": send_back_form or SendBackForm(),
        "nav": "follow_up",
        "title": indicator.label,
        "breadcrumb_data": crumbs(
            _("Déclaration %(year)s") % {"year": declaration.year},
            (_("Suivi des indicateurs"), reverse("indicators:campaign_list")),
            (indicator.label, reverse("indicators:indicator_detail", args=[indicator.pk])),
        ),
    }
    if permissions.can_read_notes(user, campaign):
        context["notes"] = declaration.notes.select_related("author")
        context["can_write_note"] = permissions.can_write_note(user, campaign)
        context["note_form"] = note_form or NoteForm()
    status = 400 if send_back_form is not None or note_form is not None or reopen_form is not None else 200
    return render(request, "indicators/declaration_detail.html", context, status=status)


def _after_decision(request, declaration):
    target = request.POST.get("next", "")
    if target.startswith("/suivi/") and "//" not in target:
        return redirect(target)
    return redirect(declaration)


@login_required
@require_POST
def declaration_validate(request, pk):
    declaration = _visible_declaration(request, pk)
    token = request.POST.get("edit_token", "")
    try:
        services.validate_declaration(request.user, declaration, int(token) if token.isdigit() else services.UNCHECKED)
    except StaleVersionError:
        messages.error(
            request,
            _("La valeur a changé depuis l’ouverture de la page : rien n’a été validé. Relisez-la puis validez."),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Valeur validée : « %(label)s ».") % {"label": declaration.indicator.label})
    return _after_decision(request, declaration)


@login_required
@require_POST
def declaration_send_back(request, pk):
    declaration = _visible_declaration(request, pk)
    if not permissions.can_validate(request.user, declaration.campaign):
        raise PermissionDenied
    form = SendBackForm(request.POST)
    if not form.is_valid():
        return declaration_detail(request, pk, send_back_form=form)
    try:
        services.send_back(request.user, declaration, form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Valeur renvoyée à l’établissement, qui est prévenu par courriel."))
    return _after_decision(request, declaration)


@login_required
@require_POST
def declaration_reopen(request, pk):
    declaration = _visible_declaration(request, pk)
    if not permissions.can_reopen(request.user, declaration.campaign):
        raise PermissionDenied(
            _(
                "Une valeur validée est rouverte par l’ARS de sa région pendant la campagne ; une fois la fenêtre "
                "de correction passée, par un administrateur seulement."
            )
        )
    form = ReopenForm(request.POST)
    if not form.is_valid():
        return declaration_detail(request, pk, reopen_form=form)
    try:
        services.reopen(request.user, declaration, form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Valeur rouverte : elle revient à l’établissement, qui est prévenu par courriel."))
    return redirect(declaration)


@login_required
def bulk_validate(request, pk, finess):
    """The unflagged submitted values of an establishment, listed, then validated at once on confirmation."""
    campaign = _visible_campaign(request, pk)
    entity = get_object_or_404(LegalEntity.objects.filter(cpoms__campaigns=campaign).distinct(), finess=finess)
    if not permissions.can_validate(request.user, campaign):
        raise PermissionDenied(_("Seuls les négociateurs de l’ARS de la région valident les valeurs déclarées."))
    if request.method == "POST":
        tokens = {}
        for key, token in request.POST.items():
            if key.startswith("d") and key[1:].isdigit() and token.isdigit():
                tokens[int(key[1:])] = int(token)
        try:
            validated = services.validate_many(request.user, campaign, entity.pk, tokens)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                ngettext("%(n)s valeur validée.", "%(n)s valeurs validées.", validated) % {"n": validated},
            )
            return redirect("indicators:declare", campaign.pk, entity.finess)
    candidates = list(services.bulk_candidates(campaign, entity.pk))
    tokens = edit_tokens(Declaration, id__in=[declaration.pk for declaration in candidates])
    for declaration in candidates:
        declaration.edit_token = tokens.get(declaration.pk)
    flagged = Declaration.objects.filter(
        campaign=campaign,
        indicator__commitment__cpom__legal_entity=entity,
        status=DeclarationStatus.SUBMITTED,
        flagged=True,
    ).count()
    return render(
        request,
        "indicators/bulk_validate.html",
        {
            "campaign": campaign,
            "entity": entity,
            "candidates": candidates,
            "flagged": flagged,
            "nav": "follow_up",
            "title": _("Valider les valeurs sans alerte"),
            "breadcrumb_data": _campaign_crumbs(campaign, _("Validation groupée")),
        },
    )


@login_required
@require_POST
def declaration_note(request, pk):
    declaration = _visible_declaration(request, pk)
    if not permissions.can_write_note(request.user, declaration.campaign):
        raise PermissionDenied
    form = NoteForm(request.POST)
    if not form.is_valid():
        return declaration_detail(request, pk, note_form=form)
    services.add_note(request.user, declaration, form.cleaned_data["text"])
    messages.success(request, _("Note interne ajoutée."))
    return redirect(declaration)


@login_required
def declaration_evidence(request, pk):
    declaration = _visible_declaration(request, pk)
    if not declaration.evidence:
        raise Http404
    # The type comes from the stored name, whose suffix was set from the checked content.
    content_type = mimetypes.guess_type(declaration.evidence.name)[0] or "application/octet-stream"
    return FileResponse(
        declaration.evidence.open("rb"),
        as_attachment=True,
        filename=declaration.evidence_name or "justificatif",
        content_type=content_type,
    )


# --- An indicator over the years --------------------------------------------------------------


@login_required
def indicator_detail(request, pk):
    indicator = get_object_or_404(
        Indicator.objects.visible_to(request.user)
        # The template and the région are read by the peer distribution, when there is one.
        .select_related("commitment__cpom__legal_entity", "commitment__cpom__region", "template")
        .prefetch_related("targets", "declarations", "computed_values__imports__region"),
        pk=pk,
    )
    cpom = indicator.commitment.cpom
    targets = {t.year: t for t in indicator.targets.all()}
    values, declarations, computed = selectors.indicator_values(indicator)
    progress = indicator_progress(
        indicator, values, {y: t.value for y, t in targets.items()}, due=cpom.pk in due_cpom_ids([cpom.pk])
    )
    years = sorted(set(cpom.years) | set(declarations) | set(computed))
    rows = [
        {
            "year": year,
            "target": targets.get(year),
            "declaration": declarations.get(year),
            "computed": computed.get(year),
        }
        for year in years
    ]
    return render(
        request,
        "indicators/indicator_detail.html",
        {
            "indicator": indicator,
            "cpom": cpom,
            "rows": rows,
            "chart": build_chart(indicator, cpom.years, values, {y: t.value for y, t in targets.items()}),
            "progress": progress,
            "progress_badge": PROGRESS_BADGES[progress],
            "is_computed": indicator.kind == IndicatorKind.AUTOMATABLE,
            "can_compute": permissions.can_compute(request.user, cpom.region),
            "badges": DECLARATION_BADGES,
            "legend": Progress,
            "nav": "cpoms",
            "title": indicator.label,
            "breadcrumb_data": crumbs(
                indicator.label,
                (_("CPOM"), reverse("cpom:cpom_list")),
                (cpom.legal_entity.name, cpom.get_absolute_url()),
            ),
        },
    )


# --- Computed indicators: input data and runs -------------------------------------------------------


@login_required
def input_list(request):
    if not permissions.can_import_inputs(request.user):
        raise PermissionDenied
    form = InputImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        run = deposit_input_file(
            request.user, form.cleaned_data["kind"], form.cleaned_data["source"], form.cleaned_data["file"]
        )
        messages.success(request, _("Fichier déposé : l’import est lancé, cette page suit son avancement."))
        return redirect("indicators:input_run_detail", run.pk)
    return render(
        request,
        "indicators/input_list.html",
        {
            "form": form,
            "runs": ImportRun.objects.inputs()
            .visible_to(request.user)
            .filter(status__in=(ImportRun.Status.PENDING, ImportRun.Status.RUNNING))
            .select_related("created_by", "region")[:20],
            "imports": InputImport.objects.visible_to(request.user).select_related("created_by", "region")[:50],
            "nav": "follow_up",
            "title": _("Données des indicateurs calculés"),
            "breadcrumb_data": crumbs(
                _("Données des indicateurs calculés"), (_("Suivi des indicateurs"), reverse("indicators:campaign_list"))
            ),
        },
    )


@login_required
def input_detail(request, pk):
    if not permissions.can_import_inputs(request.user):
        raise PermissionDenied
    record = get_object_or_404(InputImport.objects.visible_to(request.user), pk=pk)
    return render(
        request,
        "indicators/input_detail.html",
        {
            "record": record,
            "nav": "follow_up",
            "title": str(record),
            "breadcrumb_data": crumbs(
                str(record),
                (_("Suivi des indicateurs"), reverse("indicators:campaign_list")),
                (_("Données des indicateurs calculés"), reverse("indicators:input_list")),
            ),
        },
    )


def _visible_input_run(request, pk):
    if not permissions.can_import_inputs(request.user):
        raise PermissionDenied
    return get_object_or_404(ImportRun.objects.inputs().visible_to(request.user), pk=pk)


@login_required
def input_run_detail(request, pk):
    """The progress of an uploaded file's import; once it has ended, the import it made (or the reason)."""
    run = _visible_input_run(request, pk)
    record = run.report.get("input_import") if run.is_finished else None
    if record and InputImport.objects.visible_to(request.user).filter(pk=record).exists():
        return redirect("indicators:input_detail", record)
    return render(
        request,
        "indicators/input_run_detail.html",
        {
            "run": run,
            "progress": run.progress,
            "nav": "follow_up",
            "title": str(run),
            "breadcrumb_data": crumbs(
                run.original_name,
                (_("Suivi des indicateurs"), reverse("indicators:campaign_list")),
                (_("Données des indicateurs calculés"), reverse("indicators:input_list")),
            ),
        },
    )


@login_required
def input_run_status(request, pk):
    return job_status_response(_visible_input_run(request, pk))


@login_required
def computation_list(request):
    user = request.user
    if not (user.is_admin or user.is_regional):
        raise PermissionDenied
    can_compute = permissions.can_compute(user, user.region) if not user.is_admin else True
    form = ComputationForm(request.POST or None, user=user) if can_compute else None
    if request.method == "POST":
        if not can_compute:
            raise PermissionDenied
        if form.is_valid():
            region = form.cleaned_data.get("region") if user.is_admin else user.region
            run, queued = services.request_computation(user, form.cleaned_data["year"], region)
            if queued:
                messages.success(request, _("Calcul lancé : la page suit son avancement."))
            else:
                messages.warning(
                    request,
                    _(
                        "Le service de calcul est momentanément indisponible : votre demande est enregistrée "
                        "et le calcul sera fait plus tard (au plus tard cette nuit)."
                    ),
                )
            return redirect(run)
    return render(
        request,
        "indicators/computation_list.html",
        {
            "form": form,
            "runs": ComputationRun.objects.visible_to(user).select_related("region", "created_by")[:30],
            "nav": "follow_up",
            "title": _("Indicateurs calculés"),
            "breadcrumb_data": crumbs(
                _("Indicateurs calculés"), (_("Suivi des indicateurs"), reverse("indicators:campaign_list"))
            ),
        },
    )


def _visible_run(request, pk):
    return get_object_or_404(ComputationRun.objects.visible_to(request.user).select_related("region"), pk=pk)


@login_required
def computation_detail(request, pk):
    run = _visible_run(request, pk)
    values = (
        ComputedValue.objects.filter(year=run.year, indicator__in=indicators_to_compute(run.year, run.region))
        .select_related("indicator__commitment__cpom__legal_entity")
        .prefetch_related("imports__region")
        .order_by("indicator__commitment__cpom__legal_entity__name", "indicator__pk")
    )
    return render(
        request,
        "indicators/computation_detail.html",
        {
            "run": run,
            "values": values if run.is_done else [],
            "nav": "follow_up",
            "title": str(run),
            "breadcrumb_data": crumbs(
                str(run),
                (_("Suivi des indicateurs"), reverse("indicators:campaign_list")),
                (_("Indicateurs calculés"), reverse("indicators:computation_list")),
            ),
        },
    )


@login_required
def computation_status(request, pk):
    return job_status_response(_visible_run(request, pk))
