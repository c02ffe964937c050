"""/utilisateurs/: the accounts a person manages (a région's user manager
his région's, a director his team), invitations and access requests."""

import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.contrib.auth import login, password_validation
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import access_requests, invitations, memberships, scopes
from accounts.models import AccessRequest, EntityMembership, Function, GrantKind, Role, User
from cooperations.models import LegalEntity, Region
from core.exports import export_response, requested_export
from core.forms import DsfrFormMixin
from core.pages import crumbs

USER_ROWS = 50  # accounts a page: France has some 4,000


class UserExportTable(tables.Table):
    username = tables.Column(verbose_name=gettext_lazy("Identifiant"))
    last_name = tables.Column(verbose_name=gettext_lazy("Nom"))
    first_name = tables.Column(verbose_name=gettext_lazy("Prénom"))
    email = tables.Column(verbose_name=gettext_lazy("Courriel"))
    role = tables.Column(verbose_name=gettext_lazy("Rôle"))
    scope = tables.Column(verbose_name=gettext_lazy("Périmètre"), empty_values=(), orderable=False)
    active = tables.Column(verbose_name=gettext_lazy("Actif"), accessor="is_active")
    last_login = tables.DateTimeColumn(verbose_name=gettext_lazy("Dernière connexion"), format="d/m/Y H:i")

    def render_role(self, record):
        return record.get_role_display()

    def render_active(self, value):
        return _("oui") if value else _("non")

    def render_scope(self, record):
        if record.is_regional:
            return str(record.region)
        return " ; ".join(
            f"{m.legal_entity.name} ({m.get_function_display()})" for m in record.entity_memberships.all()
        )


class FilterForm(DsfrFormMixin, forms.Form):
    q = forms.CharField(label=gettext_lazy("Rechercher"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=gettext_lazy("État"),
        required=False,
        choices=[
            ("", gettext_lazy("Tous")),
            ("actif", gettext_lazy("Actifs")),
            ("inactif", gettext_lazy("Désactivés")),
        ],
    )
    role = forms.ChoiceField(label=gettext_lazy("Rôle"), required=False, choices=[("", gettext_lazy("Tous"))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", _("Tous"))] + [(v, label) for v, label in Role.choices if v != Role.ADMIN]


def _require_manager(user):
    if not scopes.manages_accounts(user):
        raise PermissionDenied("utilisateurs : réservé aux gestionnaires des accès et aux directeurs")


@login_required
def user_list(request):
    user = request.user
    _require_manager(user)
    form = FilterForm(request.GET or None)
    people = memberships.users_managed_by(user).select_related("region").order_by("last_name", "username")
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            q = data["q"]
            people = people.filter(
                Q(username__icontains=q)
                | Q(last_name__icontains=q)
                | Q(first_name__icontains=q)
                | Q(email__icontains=q)
            )
        if data["status"]:
            people = people.filter(is_active=data["status"] == "actif")
        if data["role"]:
            people = people.filter(role=data["role"])
    people = people.prefetch_related(
        Prefetch("entity_memberships", queryset=EntityMembership.objects.select_related("legal_entity"))
    )
    export = requested_export(request)
    if export:
        return export_response(export, UserExportTable(people), "utilisateurs")
    page = Paginator(people, USER_ROWS).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    title = _("Utilisateurs")
    return render(
        request,
        "accounts/user_list.html",
        {
            "page": page,
            "page_query": query.urlencode(),
            "form": form,
            "invitations": invitations.pending_visible_to(user).select_related("legal_entity", "region")[:200],
            "requests": access_requests.decidable_by(user).select_related("user", "legal_entity", "region")[:200],
            "nav": "users",
            "title": title,
            "breadcrumb_data": crumbs(title),
        },
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=[(Role.NEGOTIATOR, Role.NEGOTIATOR.label), (Role.OBSERVER, Role.OBSERVER.label)])
    manages_accounts = forms.BooleanField(required=False)


@login_required
def user_detail(request, pk):
    user = request.user
    _require_manager(user)
    person = get_object_or_404(memberships.users_managed_by(user).select_related("region"), pk=pk)
    title = person.get_full_name() or person.username
    return render(
        request,
        "accounts/user_detail.html",
        {
            "person": person,
            "may_manage": memberships.may_manage_account(user, person),
            "held": list(person.entity_memberships.select_related("legal_entity").order_by("legal_entity__name")),
            "manageable": set(memberships.manageable_memberships(user, person).values_list("pk", flat=True)),
            "functions": Function.choices,
            "roles": [(Role.NEGOTIATOR, Role.NEGOTIATOR.label), (Role.OBSERVER, Role.OBSERVER.label)],
            "nav": "users",
            "title": title,
            "breadcrumb_data": crumbs(title, (_("Utilisateurs"), reverse("portal:user_list"))),
        },
    )


@login_required
@require_POST
def user_action(request, pk):
    """Change a role or a function, remove a membership, deactivate or reactivate: one POST each."""
    user = request.user
    _require_manager(user)
    person = get_object_or_404(memberships.users_managed_by(user), pk=pk)
    action = request.POST.get("action")
    try:
        if action == "deactivate":
            memberships.deactivate(person, by=user)
            messages.success(request, _("Compte désactivé : ses sessions sont fermées."))
        elif action == "reactivate":
            memberships.reactivate(person, by=user)
            messages.success(request, _("Compte réactivé."))
        elif action == "role":
            form = RoleForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Rôle inconnu."))
            memberships.change_ars_role(
                person, form.cleaned_data["role"], form.cleaned_data["manages_accounts"], by=user
            )
            messages.success(request, _("Rôle modifié."))
        elif action in ("function", "remove"):
            membership = get_object_or_404(
                memberships.manageable_memberships(user, person), pk=_int(request.POST.get("membership"))
            )
            if action == "remove":
                memberships.remove_membership(membership, by=user)
                messages.success(request, _("Accès à l’entité retiré."))
            else:
                memberships.change_function(membership, request.POST.get("function"), by=user)
                messages.success(request, _("Fonction modifiée."))
        else:
            messages.error(request, _("Action inconnue : rien n’a été modifié."))
    except PermissionDenied:
        messages.error(request, _("Vous ne pouvez pas modifier ce compte : rien n’a été modifié."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("portal:user_detail", person.pk)


def _int(raw):
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise Http404 from None


# --- Invitations ------------------------------------------------------------------------------


class InvitationForm(DsfrFormMixin, forms.Form):
    email = forms.EmailField(label=gettext_lazy("Adresse électronique"))
    first_name = forms.CharField(label=gettext_lazy("Prénom"), required=False, max_length=150)
    last_name = forms.CharField(label=gettext_lazy("Nom"), required=False, max_length=150)
    kind = forms.ChoiceField(label=gettext_lazy("Accès accordé"), choices=GrantKind.choices)
    finess = forms.CharField(
        label=gettext_lazy("FINESS EJ de l’entité"),
        required=False,
        max_length=9,
        help_text=gettext_lazy("Pour un directeur ou un contributeur."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if not (user.is_admin or user.is_user_manager):
            self.fields["kind"].choices = [(GrantKind.CONTRIBUTOR, GrantKind.CONTRIBUTOR.label)]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        data["legal_entity"] = data["region"] = None
        if kind in GrantKind.on_entity():
            entity = LegalEntity.objects.visible_to(self.user).filter(finess=data.get("finess", "").strip()).first()
            if entity is None:
                raise ValidationError(_("Aucune entité de votre périmètre ne porte ce FINESS EJ."))
            data["legal_entity"] = entity
        elif kind:
            data["region"] = self.user.region
            if data["region"] is None:
                raise ValidationError(_("Un agent d’ARS est invité par le gestionnaire des accès de sa région."))
        return data


@login_required
def invitation_create(request):
    user = request.user
    _require_manager(user)
    form = InvitationForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitations.invite(
                user,
                data["email"],
                data["kind"],
                legal_entity=data["legal_entity"],
                region=data["region"],
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
        except PermissionDenied:
            messages.error(request, _("Vous ne pouvez pas accorder cet accès : aucune invitation envoyée."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Invitation envoyée à %(email)s.") % {"email": data["email"]})
            return redirect("portal:user_list")
    title = _("Inviter une personne")
    return render(
        request,
        "accounts/invitation_form.html",
        {
            "form": form,
            "nav": "users",
            "title": title,
            "breadcrumb_data": crumbs(title, (_("Utilisateurs"), reverse("portal:user_list"))),
        },
    )


@login_required
@require_POST
def invitation_resend(request, pk):
    invitation = get_object_or_404(invitations.pending_visible_to(request.user), pk=pk)
    invitations.resend(invitation, by=request.user)
    messages.success(request, _("Invitation renvoyée : le nouveau lien vaut 7 jours."))
    return redirect("portal:user_list")


@login_required
@require_POST
def invitation_revoke(request, pk):
    invitation = get_object_or_404(invitations.pending_visible_to(request.user), pk=pk)
    invitations.revoke(invitation, by=request.user)
    messages.success(request, _("Invitation révoquée."))
    return redirect("portal:user_list")


class AcceptForm(DsfrFormMixin, forms.Form):
    username = forms.CharField(label=gettext_lazy("Identifiant"), max_length=150)
    first_name = forms.CharField(label=gettext_lazy("Prénom"), max_length=150)
    last_name = forms.CharField(label=gettext_lazy("Nom"), max_length=150)
    password1 = forms.CharField(label=gettext_lazy("Mot de passe"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=gettext_lazy("Confirmation"), widget=forms.PasswordInput, strip=False)

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            raise ValidationError(_("Les deux mots de passe diffèrent."))
        if data.get("password1"):
            password_validation.validate_password(data["password1"], User(username=data.get("username", "")))
        return data


def invitation_accept(request, token):
    invitation = invitations.find(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", {"title": _("Invitation non valable")}, status=404)
    if request.user.is_authenticated and request.method == "POST" and request.POST.get("as_current"):
        try:
            invitations.accept_invitation(invitation, request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Invitation acceptée."))
            return redirect("home")
    form = AcceptForm(
        request.POST if request.method == "POST" and not request.POST.get("as_current") else None,
        initial={"first_name": invitation.first_name, "last_name": invitation.last_name},
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            user = invitations.accept_with_password(
                invitation, data["username"], data["password1"], data["first_name"], data["last_name"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Bienvenue : votre compte est créé."))
            return redirect("home")
    return render(
        request,
        "accounts/invitation_accept.html",
        {"form": form, "invitation": invitation, "title": _("Accepter l’invitation")},
    )


# --- Access requests --------------------------------------------------------------------------


class AccessRequestForm(DsfrFormMixin, forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Accès demandé"), choices=GrantKind.choices)
    entity = forms.CharField(
        label=gettext_lazy("Entité juridique : FINESS EJ ou raison sociale"),
        required=False,
        max_length=255,
        help_text=gettext_lazy("Pour un directeur ou un contributeur."),
    )
    region = forms.ModelChoiceField(
        label=gettext_lazy("Région de votre ARS"), queryset=Region.objects.order_by("name"), required=False
    )
    job_title = forms.CharField(label=gettext_lazy("Votre fonction"), max_length=200)

    def clean(self):
        data = super().clean()
        data["legal_entity"] = None
        if data.get("kind") in GrantKind.on_entity():
            raw = (data.get("entity") or "").strip()
            found = list(LegalEntity.objects.filter(Q(finess=raw) | Q(name__iexact=raw))[:2]) if raw else []
            if not found:
                raise ValidationError(_("Aucune entité juridique ne porte ce FINESS EJ ou ce nom."))
            if len(found) > 1:
                raise ValidationError(_("Plusieurs entités portent ce nom : donnez le FINESS EJ."))
            data["legal_entity"] = found[0]
        return data


@login_required
def access_request(request):
    user = request.user
    pending = AccessRequest.objects.filter(user=user, status=AccessRequest.Status.PENDING).first()
    form = AccessRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            access_requests.request_access(
                user, data["kind"], data["job_title"], legal_entity=data["legal_entity"], region=data["region"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Demande envoyée : vous serez prévenu par courriel."))
            return redirect("portal:access_request")
    title = _("Demander un accès")
    return render(
        request,
        "accounts/access_request.html",
        {
            "form": form,
            "pending": pending,
            "has_role": scopes.has_role(user),
            "nav": "access_request",
            "title": title,
            "breadcrumb_data": crumbs(title),
        },
    )


@login_required
@require_POST
def access_request_decide(request, pk):
    decided = get_object_or_404(access_requests.decidable_by(request.user), pk=pk)
    accept = request.POST.get("decision") == "accept"
    try:
        access_requests.decide(decided, by=request.user, accept=accept, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Demande acceptée.") if accept else _("Demande refusée."))
    return redirect("portal:user_list")


@login_required
@require_POST
def choose_entity(request):
    if not memberships.choose_acting_entity(request, _int(request.POST.get("entity"))):
        raise Http404
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)
