"""The rules of the diagnostic: opening it, answering, the inventory of
existing cooperations, the axes and their priority, and turning an axis
into a draft commitment."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from cooperations.models import CooperationStructure, MemberRole, Membership, StructureKind
from core.concurrency import UNCHECKED, check_unchanged, edit_tokens, lock_unchanged
from cpom import services as cpom_services
from cpom.models import ActionKind, Commitment, Cpom, FrozenCpomError, StaleVersionError, Theme
from cpom.permissions import can_edit_cpom_content
from diagnostics import permissions
from diagnostics.models import Answer, Axis, Diagnostic, InventoryItem, Scope, StructureView

# The kind of action a commitment drawn from an axis starts with, by theme.
ACTION_BY_THEME = {
    Theme.MEDICAL: ActionKind.PATHWAYS,
    Theme.TECHNICAL_PLATFORMS: ActionKind.SHARED_EQUIPMENT,
    Theme.LOGISTICS: ActionKind.SUPPORT_POOLING,
    Theme.MANAGEMENT: ActionKind.SUPPORT_POOLING,
    Theme.AUTHORISATIONS: ActionKind.ACTIVITY_TRANSFER,
}


def _require(allowed):
    if not allowed:
        raise PermissionDenied


def open_diagnostic(user, scope, subject, title="") -> Diagnostic:
    """``subject``: the GHT, the département or the legal entity."""
    scope = Scope(scope)
    region = subject.region
    if region is None:
        raise ValidationError(_("Ce périmètre n’est rattaché à aucune région."))
    _require(permissions.can_open_diagnostic(user, region))
    fields = {Scope.GHT: "ght", Scope.DEPARTMENT: "department", Scope.ENTITY: "legal_entity"}
    diagnostic = Diagnostic(region=region, scope=scope, created_by=user, title=title or _("Diagnostic — %s") % subject)
    setattr(diagnostic, fields[scope], subject)
    diagnostic.save()
    return diagnostic


@transaction.atomic
def save_answers(user, diagnostic, answers, health_needs, prs_orientations, edit_token=UNCHECKED):
    """``answers``: {question: text}. Every save of the answers saves the
    diagnostic: answers saved by someone else since ``edit_token`` raise StaleVersionError."""
    _require(permissions.can_edit_diagnostic(user, diagnostic))
    diagnostic = lock_unchanged(diagnostic, edit_token)
    diagnostic.health_needs, diagnostic.prs_orientations = health_needs, prs_orientations
    diagnostic.save(update_fields=["health_needs", "prs_orientations", "updated_at"])
    for question, text in answers.items():
        Answer.objects.update_or_create(
            diagnostic=diagnostic, question=question, defaults={"text": text, "updated_by": user}
        )


@transaction.atomic
def save_structure_view(user, diagnostic, legal_entity, needs, constraints, edit_token=UNCHECKED) -> StructureView:
    _require(permissions.can_edit_structure_view(user, diagnostic, legal_entity.pk))
    if not diagnostic.entities().filter(pk=legal_entity.pk).exists():
        raise ValidationError(_("Cette entité n’est pas concernée par le diagnostic."))
    check_unchanged(
        StructureView.objects.select_for_update().filter(diagnostic=diagnostic, legal_entity=legal_entity).first(),
        edit_token,
    )
    view, _created = StructureView.objects.update_or_create(
        diagnostic=diagnostic,
        legal_entity=legal_entity,
        defaults={"needs": needs, "constraints": constraints, "updated_by": user},
    )
    return view


def inventory(diagnostic, user=None):
    """Every cooperation the application knows for the entities concerned
    (that ``user`` may see), with its qualification in this diagnostic (None
    when not yet qualified)."""
    structures = CooperationStructure.objects.visible_to(user) if user else CooperationStructure.objects.all()
    structures = (
        structures.filter(memberships__legal_entity__in=diagnostic.entities()).distinct().order_by("kind", "name")
    )
    items = {item.structure_id: item for item in diagnostic.inventory.all()}
    return [(structure, items.get(structure.pk)) for structure in structures]


@transaction.atomic
def qualify(user, diagnostic, structure, nature="", purpose="", theme="", comment="") -> InventoryItem:
    """Qualify a cooperation in the inventory (qualify_many compares the page's tokens first)."""
    _require(permissions.can_edit_diagnostic(user, diagnostic))
    item, _created = InventoryItem.objects.update_or_create(
        diagnostic=diagnostic,
        structure=structure,
        defaults={"nature": nature, "purpose": purpose, "theme": theme, "comment": comment},
    )
    return item


@transaction.atomic
def qualify_many(user, diagnostic, changes):
    """Qualify several rows of the inventory at once, all or nothing.
    ``changes``: [(structure, {nature, purpose, theme, comment, edit_token})].
    Rows saved by someone else since their token raise StaleVersionError,
    whose ``current`` lists those structures."""
    _require(permissions.can_edit_diagnostic(user, diagnostic))
    items = {
        item.structure_id: item for item in InventoryItem.objects.select_for_update().filter(diagnostic=diagnostic)
    }
    tokens = edit_tokens(InventoryItem, diagnostic=diagnostic)
    stale = [
        structure
        for structure, data in changes
        if data["edit_token"] is not UNCHECKED
        and (tokens.get(items[structure.pk].pk) if structure.pk in items else None) != data["edit_token"]
    ]
    if stale:
        raise StaleVersionError(stale)
    for structure, data in changes:
        fields = {name: value for name, value in data.items() if name != "edit_token"}
        qualify(user, diagnostic, structure, **fields)


@transaction.atomic
def add_missing_cooperation(user, diagnostic, name, kind, entities, nature="", purpose="", theme="") -> InventoryItem:
    """A cooperation the register lacks: created in it, with the entities
    as members, and qualified in the inventory."""
    _require(permissions.can_edit_diagnostic(user, diagnostic))
    if kind == StructureKind.GHT:
        raise ValidationError(_("Les 135 GHT sont des données de référence : seul un administrateur en ajoute."))
    concerned = set(diagnostic.entities().values_list("pk", flat=True))
    if not entities or any(entity.pk not in concerned for entity in entities):
        raise ValidationError(_("Choisissez les membres parmi les entités concernées par le diagnostic."))
    structure = CooperationStructure.objects.create(
        kind=kind, name=name, region=diagnostic.region, nature=nature, purpose=purpose
    )
    for entity in entities:
        Membership.objects.create(structure=structure, legal_entity=entity, role=MemberRole.MEMBER)
    return qualify(user, diagnostic, structure, nature, purpose, theme)


@transaction.atomic
def save_axis(user, axis, partners, edit_token=UNCHECKED) -> Axis:
    """Save an axis and its partners; an axis saved by someone else since ``edit_token`` raises StaleVersionError."""
    _require(permissions.can_edit_diagnostic(user, axis.diagnostic))
    if axis.pk:
        lock_unchanged(axis, edit_token)
    for field in ("impact", "feasibility"):
        score = getattr(axis, field)
        if score is not None and not 1 <= score <= 5:
            raise ValidationError(_("Une note va de 1 à 5."))
    axis.save()
    axis.partners.set(partners)
    return axis


def prioritised(diagnostic, user=None):
    """The axes, scored ones first by impact × feasibility (then impact,
    then feasibility), the others after in their order of creation. With
    ``user``, each axis's ``visible_commitment`` is its commitment when that
    user may see it."""
    axes = list(
        diagnostic.axes.prefetch_related("partners")
        .select_related("commitment__cpom")
        .order_by(
            (F("impact") * F("feasibility")).desc(nulls_last=True),
            F("impact").desc(nulls_last=True),
            F("feasibility").desc(nulls_last=True),
            "pk",
        )
    )
    if user is not None:
        seen = set(
            Commitment.objects.visible_to(user)
            .filter(pk__in=[axis.commitment_id for axis in axes if axis.commitment_id])
            .values_list("pk", flat=True)
        )
        for axis in axes:
            axis.visible_commitment = axis.commitment if axis.commitment_id in seen else None
    return axes


def convertible_cpoms(diagnostic, user):
    """CPOMs of the entities concerned that are still being negotiated and
    that the user may edit."""
    cpoms = Cpom.objects.filter(legal_entity__in=diagnostic.entities()).select_related("legal_entity")
    return [cpom for cpom in cpoms.order_by("legal_entity__name", "first_year") if can_edit_cpom_content(user, cpom)]


@transaction.atomic
def convert_axis(user, axis, cpom) -> Commitment:
    """Write the axis as a draft commitment of the CPOM (theme, partners,
    objective carried over) and keep the link both ways."""
    _require(permissions.can_edit_diagnostic(user, axis.diagnostic))
    axis = Axis.objects.select_for_update().select_related("diagnostic").get(pk=axis.pk)  # a double click converts once
    if axis.commitment_id:
        raise ValidationError(_("Cet axe a déjà donné un engagement."))
    if not axis.diagnostic.entities().filter(pk=cpom.legal_entity_id).exists():
        raise ValidationError(_("Ce CPOM n’est pas celui d’une entité concernée par le diagnostic."))
    try:
        # The one write path of commitments: the contract's own service (lock, rights, guard, history).
        commitment = cpom_services.add_commitment(
            cpom,
            user,
            title=axis.title,
            theme=axis.theme,
            action_kind=ACTION_BY_THEME.get(Theme(axis.theme), ActionKind.PATHWAYS),
            objective=axis.description or axis.pooling or axis.title,
            benefits="\n".join(text for text in (axis.impacts_group, axis.impacts_actors) if text),
            partner_entities=axis.partners.all(),
            external_partners=[part.strip() for part in axis.other_partners.split(";")],
        )
    except FrozenCpomError:
        locked = Cpom.objects.get(pk=cpom.pk)
        raise FrozenCpomError(
            _("Le CPOM %(cpom)s n’est pas en négociation (%(status)s) : l’axe ne peut y devenir un engagement.")
            % {"cpom": locked.period, "status": locked.get_status_display().lower()}
        ) from None
    axis.commitment = commitment
    axis.save(update_fields=["commitment"])
    return commitment
