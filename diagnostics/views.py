"""Pages of the diagnostic: the list, opening one, its page (territorial
and per-structure views, answers to the grid, inventory, axes and their
matrix), their edit pages, the conversion of an axis, the exports."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import printing
from core.concurrency import STALE_MESSAGE, edit_tokens
from core.exports import neutralised_dataset
from core.pages import crumbs
from cpom.models import FrozenCpomError, StaleVersionError
from diagnostics import permissions, services
from diagnostics.forms import (
    AnswersForm,
    AxisForm,
    ConvertForm,
    DiagnosticForm,
    InventoryItemForm,
    MissingCooperationForm,
    StructureViewForm,
)
from diagnostics.matrix import build_matrix
from diagnostics.models import Axis, Diagnostic, GridObjective, GridQuestion, InventoryItem, StructureView


def _visible(request, pk):
    queryset = Diagnostic.objects.visible_to(request.user).select_related(
        "region", "ght", "department", "legal_entity", "created_by"
    )
    return get_object_or_404(queryset, pk=pk)


def _require_edit(request, diagnostic):
    if not permissions.can_edit_diagnostic(request.user, diagnostic):
        raise PermissionDenied


def _diag_crumbs(diagnostic, current=None):
    links = [(_("Diagnostics"), reverse("diagnostics:diagnostic_list"))]
    if current:
        links.append((diagnostic.title, diagnostic.get_absolute_url()))
        return crumbs(current, *links)
    return crumbs(diagnostic.title, *links)


@login_required
def diagnostic_list(request):
    diagnostics = Diagnostic.objects.visible_to(request.user).select_related(
        "region", "ght", "department", "legal_entity"
    )
    return render(
        request,
        "diagnostics/diagnostic_list.html",
        {
            "diagnostics": diagnostics,
            "can_open": permissions.can_open_diagnostic(request.user),
            "nav": "diagnostics",
            "title": _("Diagnostics"),
            "breadcrumb_data": crumbs(_("Diagnostics")),
        },
    )


@login_required
def diagnostic_create(request):
    if not permissions.can_open_diagnostic(request.user):
        raise PermissionDenied
    form = DiagnosticForm(request.POST or None, user=request.user, initial=request.GET.dict() or None)
    if request.method == "POST" and form.is_valid():
        try:
            diagnostic = services.open_diagnostic(
                request.user, form.cleaned_data["scope"], form.cleaned_data["subject"], form.cleaned_data["title"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Diagnostic ouvert."))
            return redirect(diagnostic)
    return render(
        request,
        "diagnostics/diagnostic_form.html",
        {
            "form": form,
            "nav": "diagnostics",
            "title": _("Ouvrir un diagnostic"),
            "breadcrumb_data": crumbs(
                _("Ouvrir un diagnostic"), (_("Diagnostics"), reverse("diagnostics:diagnostic_list"))
            ),
        },
    )


def _detail_context(request, diagnostic):
    user = request.user
    answers = {answer.question_id: answer for answer in diagnostic.answers.all()}
    sections = {}
    for question in GridQuestion.objects.filter(active=True):
        sections.setdefault(question.get_section_display(), []).append((question, answers.get(question.pk)))
    entities = list(diagnostic.entities().order_by("name").only("name", "finess"))
    views = {view.legal_entity_id: view for view in diagnostic.structure_views.all()}
    structures = [
        {
            "entity": entity,
            "view": views.get(entity.pk),
            "can_edit": permissions.can_edit_structure_view(user, diagnostic, entity.pk),
        }
        for entity in entities
        if permissions.can_see_structure_view(user, diagnostic, entity.pk)
    ]
    # Each user sees the cooperations and the CPOM content he may see elsewhere, no more.
    axes = services.prioritised(diagnostic, user)
    inventory = services.inventory(diagnostic, user)
    return {
        "diagnostic": diagnostic,
        "objectives": GridObjective.objects.all(),
        "sections": sections,
        "structures": structures,
        "inventory": inventory,
        "axes": axes,
        "matrix": build_matrix(axes),
        "can_edit": permissions.can_edit_diagnostic(user, diagnostic),
        "generated_at": timezone.localtime(),
    }


@login_required
def diagnostic_detail(request, pk):
    diagnostic = _visible(request, pk)
    context = _detail_context(request, diagnostic)
    context.update({"nav": "diagnostics", "title": diagnostic.title, "breadcrumb_data": _diag_crumbs(diagnostic)})
    return render(request, "diagnostics/diagnostic_detail.html", context)


@login_required
def diagnostic_answers(request, pk):
    diagnostic = _visible(request, pk)
    _require_edit(request, diagnostic)
    questions = list(GridQuestion.objects.filter(active=True).exclude(section__in=["structure", "territoire"]))
    answers = dict(diagnostic.answers.values_list("question_id", "text"))
    form = AnswersForm(
        request.POST or None,
        questions=questions,
        answers=answers,
        initial={"health_needs": diagnostic.health_needs, "prs_orientations": diagnostic.prs_orientations},
        edited=diagnostic,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_answers(
                request.user,
                diagnostic,
                form.answers(),
                form.cleaned_data["health_needs"].strip(),
                form.cleaned_data["prs_orientations"].strip(),
                form.cleaned_data["edit_token"],
            )
        except StaleVersionError as error:
            form.refresh_token(error.current)
            messages.error(request, STALE_MESSAGE)
        else:
            messages.success(request, _("Réponses enregistrées."))
            return redirect(diagnostic)
    return render(
        request,
        "diagnostics/answers_form.html",
        {
            "form": form,
            "diagnostic": diagnostic,
            "nav": "diagnostics",
            "title": _("Vision territoriale et questions du diagnostic"),
            "breadcrumb_data": _diag_crumbs(diagnostic, _("Réponses")),
        },
    )


@login_required
def structure_view_edit(request, pk, finess):
    diagnostic = _visible(request, pk)
    entity = get_object_or_404(diagnostic.entities(), finess=finess)
    # Editing implies seeing: one check.
    if not permissions.can_edit_structure_view(request.user, diagnostic, entity.pk):
        raise PermissionDenied
    instance = StructureView.objects.filter(diagnostic=diagnostic, legal_entity=entity).first()
    form = StructureViewForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.save_structure_view(
                request.user, diagnostic, entity, data["needs"], data["constraints"], data["edit_token"]
            )
        except StaleVersionError as error:
            form.refresh_token(error.current)
            messages.error(request, STALE_MESSAGE)
        else:
            messages.success(request, _("Vision de %(entity)s enregistrée.") % {"entity": entity.name})
            return redirect(diagnostic)
    return render(
        request,
        "diagnostics/structure_view_form.html",
        {
            "form": form,
            "diagnostic": diagnostic,
            "entity": entity,
            "nav": "diagnostics",
            "title": _("Vision par structure — %(entity)s") % {"entity": entity.name},
            "breadcrumb_data": _diag_crumbs(diagnostic, entity.name),
        },
    )


@login_required
def inventory_view(request, pk):
    diagnostic = _visible(request, pk)
    _require_edit(request, diagnostic)
    rows = services.inventory(diagnostic, request.user)
    posted = request.method == "POST"
    tokens = edit_tokens(InventoryItem, diagnostic=diagnostic)
    on_page = {key.split("-", 1)[0] for key in request.POST} if posted else set()
    forms = [
        (
            structure,
            InventoryItemForm(
                # Only the rows the page carried: one added meanwhile is not taken as emptied.
                request.POST if posted and f"s{structure.pk}" in on_page else None,
                instance=item,
                prefix=f"s{structure.pk}",
                token=tokens.get(item.pk) if item else None,
            ),
        )
        for structure, item in rows
    ]
    bound = [(structure, form) for structure, form in forms if form.is_bound]
    if posted and all(form.is_valid() for _structure, form in bound):
        changed = [(structure, form) for structure, form in bound if form.has_changed()]
        try:
            services.qualify_many(request.user, diagnostic, [(s, form.cleaned_data) for s, form in changed])
        except StaleVersionError as error:
            tokens = edit_tokens(InventoryItem, diagnostic=diagnostic)
            items = {item.structure_id: item.pk for item in diagnostic.inventory.all()}
            for structure, form in changed:
                if structure in error.current:
                    form.set_token(tokens.get(items.get(structure.pk)))
            messages.error(request, STALE_MESSAGE)
        else:
            messages.success(request, _("Inventaire enregistré."))
            return redirect(reverse("diagnostics:inventory", args=[diagnostic.pk]))
    missing = MissingCooperationForm(entities=diagnostic.entities().order_by("name"))
    return _inventory_page(request, diagnostic, forms, missing)


def _inventory_page(request, diagnostic, forms, missing, status=200):
    return render(
        request,
        "diagnostics/inventory.html",
        {
            "diagnostic": diagnostic,
            "forms": forms,
            "missing": missing,
            "nav": "diagnostics",
            "title": _("Inventaire des coopérations existantes"),
            "breadcrumb_data": _diag_crumbs(diagnostic, _("Inventaire")),
        },
        status=status,
    )


@login_required
@require_POST
def inventory_add(request, pk):
    diagnostic = _visible(request, pk)
    _require_edit(request, diagnostic)
    form = MissingCooperationForm(request.POST, entities=diagnostic.entities().order_by("name"))
    if form.is_valid():
        data = form.cleaned_data
        try:
            item = services.add_missing_cooperation(
                request.user, diagnostic, data["name"], data["kind"], list(data["members"]),
                data["nature"], data["purpose"], data["theme"],
            )  # fmt: skip
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("« %(name)s » ajoutée au répertoire des coopérations et à l’inventaire.")
                % {"name": item.structure.name},
            )
            return redirect(reverse("diagnostics:inventory", args=[diagnostic.pk]))
    forms = [
        (structure, InventoryItemForm(instance=item, prefix=f"s{structure.pk}"))
        for structure, item in services.inventory(diagnostic, request.user)
    ]
    return _inventory_page(request, diagnostic, forms, form, status=400)


def _axis_page(request, diagnostic, form, axis=None):
    return render(
        request,
        "diagnostics/axis_form.html",
        {
            "form": form,
            "diagnostic": diagnostic,
            "axis": axis,
            "nav": "diagnostics",
            "title": axis.title if axis else _("Nouvel axe de coopération"),
            "breadcrumb_data": _diag_crumbs(diagnostic, axis.title if axis else _("Nouvel axe")),
        },
    )


@login_required
def axis_create(request, pk):
    diagnostic = _visible(request, pk)
    _require_edit(request, diagnostic)
    form = AxisForm(request.POST or None, entities=diagnostic.entities().order_by("name"))
    if request.method == "POST" and form.is_valid():
        axis = form.save(commit=False)
        axis.diagnostic = diagnostic
        services.save_axis(request.user, axis, form.cleaned_data["partners"])
        messages.success(request, _("Axe « %(title)s » ajouté.") % {"title": axis.title})
        return redirect(f"{diagnostic.get_absolute_url()}#axes")
    return _axis_page(request, diagnostic, form)


@login_required
def axis_update(request, pk):
    axis = get_object_or_404(Axis, pk=pk, diagnostic__in=Diagnostic.objects.visible_to(request.user))
    diagnostic = axis.diagnostic
    _require_edit(request, diagnostic)
    form = AxisForm(request.POST or None, instance=axis, entities=diagnostic.entities().order_by("name"))
    if request.method == "POST" and form.is_valid():
        try:
            services.save_axis(
                request.user, form.save(commit=False), form.cleaned_data["partners"], form.cleaned_data["edit_token"]
            )
        except StaleVersionError as error:
            form.refresh_token(error.current)
            messages.error(request, STALE_MESSAGE)
        else:
            messages.success(request, _("Axe « %(title)s » enregistré.") % {"title": form.instance.title})
            return redirect(f"{diagnostic.get_absolute_url()}#axes")
    return _axis_page(request, diagnostic, form, axis)


@login_required
def axis_convert(request, pk):
    axis = get_object_or_404(Axis, pk=pk, diagnostic__in=Diagnostic.objects.visible_to(request.user))
    diagnostic = axis.diagnostic
    _require_edit(request, diagnostic)
    if axis.commitment_id:
        messages.info(request, _("Cet axe a déjà donné un engagement."))
        return redirect(axis.commitment.cpom.get_absolute_url() + f"#engagement-{axis.commitment_id}")
    cpoms = services.convertible_cpoms(diagnostic, request.user)
    form = ConvertForm(request.POST or None, cpoms=cpoms)
    if request.method == "POST" and form.is_valid():
        try:
            commitment = services.convert_axis(request.user, axis, form.cleaned_data["cpom"])
        except (ValidationError, FrozenCpomError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(
                request,
                _("L’axe est devenu l’engagement « %(title)s », à compléter (indicateurs, calendrier).")
                % {"title": commitment.title},
            )
            return redirect(reverse("cpom:commitment_update", args=[commitment.pk]))
    return render(
        request,
        "diagnostics/axis_convert.html",
        {
            "form": form,
            "axis": axis,
            "diagnostic": diagnostic,
            "cpoms": cpoms,
            "nav": "diagnostics",
            "title": _("Transformer en engagement"),
            "breadcrumb_data": _diag_crumbs(diagnostic, _("Transformer en engagement")),
        },
    )


# --- Exports ----------------------------------------------------------------------------------


@login_required
def diagnostic_print(request, pk):
    diagnostic = _visible(request, pk)
    return render(
        request, "diagnostics/diagnostic_print.html", printing.preview_context(_detail_context(request, diagnostic))
    )


@login_required
def diagnostic_pdf(request, pk):
    from django.http import HttpResponse

    diagnostic = _visible(request, pk)
    data = printing.render_pdf("diagnostics/diagnostic_print.html", _detail_context(request, diagnostic), request)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="diagnostic-{slugify(diagnostic.title)[:60]}.pdf"'
    return response


@login_required
def diagnostic_xlsx(request, pk):
    import tablib
    from django.http import HttpResponse

    diagnostic = _visible(request, pk)
    context = _detail_context(request, diagnostic)
    answers = tablib.Dataset(headers=[_("Partie"), _("Question"), _("Réponse")], title=_("Réponses"))
    answers.append([_("Vision territoriale"), _("Besoins de santé du territoire"), diagnostic.health_needs])
    answers.append([_("Vision territoriale"), _("Orientations du PRS"), diagnostic.prs_orientations])
    for section, rows in context["sections"].items():
        for question, answer in rows:
            answers.append([section, question.label, answer.text if answer else ""])
    for row in context["structures"]:
        view = row["view"]
        answers.append(
            [_("Vision par structure"), f"{row['entity'].name} — {_('besoins')}", view.needs if view else ""]
        )
        answers.append(
            [_("Vision par structure"), f"{row['entity'].name} — {_('contraintes')}", view.constraints if view else ""]
        )
    axes = tablib.Dataset(
        headers=[_("Axe"), _("Thème"), _("Impact"), _("Faisabilité"), _("Priorité"), _("Opération rapide"),
                 _("Mise en commun"), _("Engagement")],
        title=_("Axes"),
    )  # fmt: skip
    for axis in context["axes"]:
        axes.append([
            axis.title, axis.get_theme_display(), axis.impact or "", axis.feasibility or "", axis.priority or "",
            _("oui") if axis.quick_win else _("non"), axis.pooling, str(axis.visible_commitment or ""),
        ])  # fmt: skip
    # A cell typed as « =… », « +… », « -… » or « @… » by a user stays text, never a formula.
    book = tablib.Databook([neutralised_dataset(answers), neutralised_dataset(axes)])
    response = HttpResponse(
        book.export("xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="diagnostic-{slugify(diagnostic.title)[:60]}.xlsx"'
    return response
