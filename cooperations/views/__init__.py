"""The pages of the register: establishments, legal entities, cooperation
structures and their members (the imports of register files: ``imports``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from cooperations.filters import EstablishmentFilter, StructureFilter
from cooperations.forms import CooperationStructureForm, LegalNameForm, MembershipFormSet
from cooperations.models import CooperationStructure, Establishment, LegalEntity, MemberRole, Membership, StructureKind
from cooperations.permissions import (
    can_create_ght,
    can_create_structure,
    can_edit_structure,
    can_set_entity_name,
    require,
)
from cooperations.selectors import ght_name_subquery, links_context
from cooperations.services import save_structure, set_legal_name
from cooperations.tables import EstablishmentTable, StructureTable
from core.concurrency import STALE_MESSAGE, StaleVersionError
from core.pages import crumbs, filtered_table


@login_required
def establishment_list(request):
    queryset = (
        Establishment.objects.visible_to(request.user)
        .select_related("legal_entity__legal_status", "category", "department")
        .annotate(ght_name=ght_name_subquery())
    )
    filterset, table = filtered_table(request, EstablishmentFilter, EstablishmentTable, queryset)
    return render(
        request,
        "cooperations/establishment_list.html",
        {
            "filter": filterset,
            "table": table,
            "nav": "establishments",
            "title": _("Établissements"),
            "breadcrumb_data": crumbs(_("Établissements")),
        },
    )


@login_required
def establishment_detail(request, finess):
    site = get_object_or_404(
        Establishment.objects.visible_to(request.user).select_related(
            "legal_entity__legal_status", "legal_entity__department", "category", "department", "region"
        ),
        finess=finess,
    )
    entity = site.legal_entity
    siblings = entity.establishments.exclude(pk=site.pk).select_related("category").order_by("name")
    context = {
        "site": site,
        "entity": entity,
        "siblings": siblings,
        "entity_visible": LegalEntity.objects.visible_to(request.user).filter(pk=entity.pk).exists(),
        "nav": "establishments",
        "title": site.name,
        "breadcrumb_data": crumbs(site.name, (_("Établissements"), reverse("cooperations:establishment_list"))),
    }
    context.update(links_context(request.user, entity, site))
    return render(request, "cooperations/establishment_detail.html", context)


@login_required
def structure_list(request):
    support = Membership.objects.filter(structure=OuterRef("pk"), role=MemberRole.SUPPORT).values("legal_entity__name")[
        :1
    ]
    queryset = (
        CooperationStructure.objects.visible_to(request.user)
        .select_related("region")
        .annotate(member_count=Count("memberships", distinct=True), support_name=Subquery(support))
    )
    filterset, table = filtered_table(request, StructureFilter, StructureTable, queryset)
    return render(
        request,
        "cooperations/structure_list.html",
        {
            "filter": filterset,
            "table": table,
            "can_create": can_create_structure(request.user),
            "nav": "structures",
            "title": _("Structures de coopération"),
            "breadcrumb_data": crumbs(_("Coopérations")),
        },
    )


@login_required
def structure_detail(request, pk):
    structure = get_object_or_404(
        CooperationStructure.objects.visible_to(request.user).select_related("region", "updated_by"), pk=pk
    )
    members = list(
        structure.memberships.select_related(
            "legal_entity__department", "legal_entity__region", "establishment"
        ).order_by("role", "legal_entity__name", "external_name")
    )
    entity_ids = {m.legal_entity_id for m in members if m.legal_entity_id}
    visible = set(LegalEntity.objects.visible_to(request.user).filter(pk__in=entity_ids).values_list("pk", flat=True))
    return render(
        request,
        "cooperations/structure_detail.html",
        {
            "structure": structure,
            "members": members,
            "visible_entity_ids": visible,
            "can_edit": can_edit_structure(request.user, structure),
            "nav": "structures",
            "title": str(structure),
            "breadcrumb_data": crumbs(str(structure), (_("Coopérations"), reverse("cooperations:structure_list"))),
        },
    )


def _structure_form(request, structure):
    form = CooperationStructureForm(request.POST or None, instance=structure, user=request.user)
    members = Membership.objects.select_related("legal_entity", "establishment")
    formset = MembershipFormSet(request.POST or None, instance=structure, queryset=members, prefix="membres")
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            if form.cleaned_data["kind"] == StructureKind.GHT and not structure.pk:
                require(can_create_ght(request.user))
            try:
                saved = save_structure(form, formset, request.user, form.cleaned_data["edit_token"])
            except StaleVersionError as error:
                form.refresh_token(error.current)
                messages.error(request, STALE_MESSAGE)
            else:
                messages.success(request, _("La structure « %(name)s » a été enregistrée.") % {"name": saved.name})
                return redirect(saved)
        else:
            messages.error(request, _("Le formulaire contient des erreurs : rien n’a été enregistré."))
    title = (
        _("Modifier « %(name)s »") % {"name": structure.name}
        if structure.pk
        else _("Nouvelle structure de coopération")
    )
    return render(
        request,
        "cooperations/structure_form.html",
        {
            "form": form,
            "formset": formset,
            "structure": structure,
            "nav": "structures",
            "title": title,
            "breadcrumb_data": crumbs(title, (_("Coopérations"), reverse("cooperations:structure_list"))),
        },
    )


@login_required
def structure_create(request):
    require(can_create_structure(request.user))
    return _structure_form(request, CooperationStructure(region_id=request.user.region_id))


@login_required
def structure_update(request, pk):
    structure = get_object_or_404(CooperationStructure.objects.visible_to(request.user), pk=pk)
    require(can_edit_structure(request.user, structure))
    return _structure_form(request, structure)


@login_required
def legal_entity_name(request, finess):
    """The région's ARS sets or corrects the raison sociale of an entity, with its source."""
    entity = get_object_or_404(
        LegalEntity.objects.visible_to(request.user).select_related("name_set_by"), finess=finess
    )
    require(can_set_entity_name(request.user, entity))
    initial = {"name": "" if entity.name_is_provisional else entity.name, "justification": entity.name_source_detail}
    form = LegalNameForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                set_legal_name(entity, request.user, form.cleaned_data["name"], form.cleaned_data["justification"])
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Raison sociale enregistrée : les contrats de l’entité l’impriment."))
                return redirect(entity)
        messages.error(request, _("Le formulaire contient des erreurs : rien n’a été enregistré."))
    title = _("Raison sociale de l’entité juridique")
    return render(
        request,
        "cooperations/legal_entity_name.html",
        {
            "entity": entity,
            "form": form,
            "nav": "establishments",
            "title": title,
            "breadcrumb_data": crumbs(
                title,
                (_("Établissements"), reverse("cooperations:establishment_list")),
                (entity.name, entity.get_absolute_url()),
            ),
        },
    )
