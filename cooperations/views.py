from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from .concurrency import STALE_MESSAGE
from .filters import EstablishmentFilter, StructureFilter
from .forms import CooperationStructureForm, MembershipFormSet
from .models import (
    CooperationStructure,
    Cpom,
    Establishment,
    LegalEntity,
    MemberRole,
    Membership,
    StaleVersionError,
    StructureKind,
)
from .permissions import can_create_cpom, can_create_ght, can_create_structure, can_edit_structure, require
from .services import save_structure
from .tables import EstablishmentTable, StructureTable


def _crumbs(current, *links):
    return {"links": [{"url": url, "title": title} for title, url in links], "current": current}


def _filtered_table(request, filterset_class, table_class, queryset):
    """A list page's filters and its sortable, paginated table."""
    filterset = filterset_class(request.GET or None, queryset=queryset, user=request.user)
    table = table_class(filterset.qs)
    RequestConfig(request, paginate=True).configure(table)
    return filterset, table


def _ght_name_subquery():
    return Subquery(
        Membership.objects.filter(legal_entity_id=OuterRef("legal_entity_id"), structure__kind=StructureKind.GHT)
        .order_by("structure__short_code")
        .values("structure__short_code")[:1]
    )


@login_required
def home(request):
    user = request.user
    context = {"nav": "home", "title": _("Accueil")}
    if user.is_director:
        entity = get_object_or_404(LegalEntity.objects.visible_to(user).select_related("legal_status", "department"))
        context["entity"] = entity
        context["site_count"] = entity.establishments.count()
        context["structures"] = (
            CooperationStructure.objects.visible_to(user).annotate(member_count=Count("memberships")).order_by("kind")
        )
        context["cpoms"] = Cpom.objects.visible_to(user).order_by("-first_year")
        # The follow-up lives in ``indicators``, which depends on this app: looked up, not imported.
        campaigns = apps.get_model("indicators", "Campaign").objects.visible_to(user)
        context["open_campaigns"] = campaigns.accepting_on(timezone.localdate()).order_by("-year")
        return render(request, "cooperations/home_director.html", context)
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
    return render(request, "cooperations/home.html", context)


@login_required
def establishment_list(request):
    queryset = (
        Establishment.objects.visible_to(request.user)
        .select_related("legal_entity__legal_status", "category", "department")
        .annotate(ght_name=_ght_name_subquery())
    )
    filterset, table = _filtered_table(request, EstablishmentFilter, EstablishmentTable, queryset)
    return render(
        request,
        "cooperations/establishment_list.html",
        {
            "filter": filterset,
            "table": table,
            "nav": "establishments",
            "title": _("Établissements"),
            "breadcrumb_data": _crumbs(_("Établissements")),
        },
    )


def _links_context(user, entity, establishment=None):
    """The cooperation links of an entity (or of one of its sites), with
    their members, in a constant number of queries."""
    filters = Q(legal_entity=entity)
    if establishment is not None:
        filters = Q(legal_entity=entity, establishment__isnull=True) | Q(establishment=establishment)
    members = Membership.objects.select_related("legal_entity", "establishment").order_by("role", "legal_entity__name")
    links = list(
        Membership.objects.filter(filters)
        .select_related("structure__region")
        .prefetch_related(Prefetch("structure__memberships", queryset=members, to_attr="all_members"))
        .order_by("structure__kind", "structure__name")
    )
    partner_ids = {m.legal_entity_id for link in links for m in link.structure.all_members if m.legal_entity_id}
    visible = set(LegalEntity.objects.visible_to(user).filter(pk__in=partner_ids).values_list("pk", flat=True))
    for link in links:
        link.support = next((m for m in link.structure.all_members if m.role == MemberRole.SUPPORT), None)
        link.partners = [m for m in link.structure.all_members if m.legal_entity_id != entity.pk]
    return {"links": links, "visible_entity_ids": visible}


def compare_cpoms(register_cpoms, app_cpoms, register_loaded):
    """Pair the CPOMs the FINESS+ register lists with those of the
    application: a register CPOM matches the application's CPOM whose period
    holds its effective year. What stays unpaired on either side is shown."""
    unmatched_register, matched = [], set()
    for engagement in register_cpoms:
        year = engagement.effective_date.year if engagement.effective_date else None
        pair = next((c for c in app_cpoms if year and c.first_year <= year <= c.last_year), None)
        engagement.app_cpom = pair
        if pair is None:
            unmatched_register.append(engagement)
        else:
            matched.add(pair.pk)
    signed_unlisted = [c for c in app_cpoms if c.has_been_signed and c.pk not in matched] if register_loaded else []
    return {
        "register_cpoms": register_cpoms,
        "unmatched_register": unmatched_register,
        "signed_unlisted": signed_unlisted,
    }


@login_required
def legal_entity_detail(request, finess):
    entity = get_object_or_404(
        LegalEntity.objects.visible_to(request.user).select_related("legal_status", "department", "region"),
        finess=finess,
    )
    sites = entity.establishments.select_related("category", "department").order_by("name")
    context = {
        "entity": entity,
        "sites": sites,
        "nav": "establishments",
        "title": entity.name,
        "breadcrumb_data": _crumbs(entity.name, (_("Établissements"), reverse("cooperations:establishment_list"))),
    }
    context.update(_links_context(request.user, entity))
    engagements = list(entity.register_engagements.select_related("establishment").order_by("-effective_date"))
    context["register_engagements"] = engagements
    app_cpoms = list(Cpom.objects.visible_to(request.user).filter(legal_entity=entity).order_by("-first_year"))
    context["app_cpoms"] = app_cpoms
    context.update(compare_cpoms([e for e in engagements if e.is_cpom], app_cpoms, register_loaded=bool(engagements)))
    context["can_create_cpom"] = can_create_cpom(request.user) and (
        request.user.is_admin or entity.region_id == request.user.region_id
    )
    return render(request, "cooperations/legal_entity_detail.html", context)


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
        "breadcrumb_data": _crumbs(site.name, (_("Établissements"), reverse("cooperations:establishment_list"))),
    }
    context.update(_links_context(request.user, entity, site))
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
    filterset, table = _filtered_table(request, StructureFilter, StructureTable, queryset)
    return render(
        request,
        "cooperations/structure_list.html",
        {
            "filter": filterset,
            "table": table,
            "can_create": can_create_structure(request.user),
            "nav": "structures",
            "title": _("Structures de coopération"),
            "breadcrumb_data": _crumbs(_("Coopérations")),
        },
    )


@login_required
def structure_detail(request, pk):
    structure = get_object_or_404(
        CooperationStructure.objects.visible_to(request.user).select_related("region", "updated_by"), pk=pk
    )
    members = list(
        structure.memberships.select_related("legal_entity__department", "establishment").order_by(
            "role", "legal_entity__name", "external_name"
        )
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
            "breadcrumb_data": _crumbs(str(structure), (_("Coopérations"), reverse("cooperations:structure_list"))),
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
            "breadcrumb_data": _crumbs(title, (_("Coopérations"), reverse("cooperations:structure_list"))),
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
