"""Domain operations that write: plain functions, transactional."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cooperations.models import ExternalKind
from core.concurrency import UNCHECKED, check_unchanged, lock_unchanged
from core.values import ngettext
from cpom import permissions, workflow
from cpom.models import (
    CPOM_MAX_YEARS,
    YEAR_MAX,
    YEAR_MIN,
    ChangeProposal,
    Comment,
    Commitment,
    CommitmentPartner,
    Cpom,
    CpomVersion,
    FrozenCpomError,
    Indicator,
    ProposalStatus,
    TargetValue,
)
from cpom.rules import VEHICLE_RULE, vehicle_as_objective
from cpom.versions import capitalized, format_date, snapshot

# --- CPOM: creation, negotiation steps, signature, amendments ------------------------------


class TransitionError(ValidationError):
    """A step of the negotiation that cannot be taken now, with the reasons."""


def _lock(cpom) -> Cpom:
    """Re-read the CPOM under a row lock: two steps never interleave."""
    return Cpom.objects.select_for_update().get(pk=cpom.pk)


def _lock_for_content(cpom, user) -> Cpom:
    """Lock the CPOM whose content ``user`` is about to change, or refuse."""
    locked = _lock(cpom)
    if not permissions.can_edit_cpom_content(user, locked):
        raise FrozenCpomError()
    return locked


def check_period(first_year, last_year):
    """The period of a CPOM, wherever it is typed: real years, in order, five at most."""
    for year in (first_year, last_year):
        if not isinstance(year, int) or not YEAR_MIN <= year <= YEAR_MAX:
            raise ValidationError(
                _("Année invalide : une année entre %(min)s et %(max)s est attendue.")
                % {"min": YEAR_MIN, "max": YEAR_MAX}
            )
    if last_year < first_year:
        raise ValidationError(_("La dernière année doit suivre la première."))
    if last_year - first_year + 1 > CPOM_MAX_YEARS:
        raise ValidationError(_("Un CPOM dure %(max)s ans au plus.") % {"max": CPOM_MAX_YEARS})


@transaction.atomic
def create_cpom(user, legal_entity, first_year, last_year, reference="") -> Cpom:
    check_period(first_year, last_year)
    cpom = Cpom(
        legal_entity=legal_entity,
        region_id=legal_entity.region_id,
        first_year=first_year,
        last_year=last_year,
        reference=reference,
        created_by=user,
    )
    cpom._history_user = user
    cpom.save()
    CpomVersion.objects.create(cpom=cpom, number=0, opened_by=user)
    return cpom


@transaction.atomic
def update_cpom(cpom, user, edit_token, *, first_year, last_year, reference) -> Cpom:
    """Change the period or the reference of a CPOM not yet signed; a CPOM
    saved by someone else since ``edit_token`` raises StaleVersionError."""
    check_period(first_year, last_year)
    current = _lock(cpom)
    check_unchanged(current, edit_token)
    if not current.is_editable:
        raise FrozenCpomError()
    if current.has_been_signed and (first_year, last_year) != (current.first_year, current.last_year):
        raise ValidationError(_("La période d’un CPOM signé ne change pas ; elle est celle du contrat initial."))
    outside = sorted(
        TargetValue.objects.filter(indicator__commitment__cpom=current)
        .exclude(year__range=(first_year, last_year))
        .values_list("year", flat=True)
        .distinct()
    )
    if outside:
        raise ValidationError(
            _("Des valeurs-cibles existent pour %(years)s, hors de la nouvelle période : modifiez-les d’abord.")
            % {"years": ", ".join(str(y) for y in outside)}
        )
    current.first_year, current.last_year, current.reference = first_year, last_year, reference
    current._history_user = user
    current.save()
    return current


def signature_problems(cpom, commitments=None) -> list[str]:
    """Why the CPOM cannot be signed yet: every commitment needs at least one
    indicator, and every indicator a target for each year of the period.
    ``commitments``: already fetched with their indicators and targets."""
    problems = []
    entity = cpom.legal_entity
    if entity.name_is_provisional:
        problems.append(
            _("La raison sociale de l’entité juridique n’est pas établie : « %(name)s » est un nom provisoire déduit "
              "de ses sites, et un contrat n’imprime jamais un tel nom. Un négociateur de l’ARS la renseigne, avec "
              "sa source, depuis la page de l’entité (« Établir la raison sociale ») ; l’import du flux FINESS+ "
              "l’établit aussi.") % {"name": entity.name}
        )  # fmt: skip
    years = set(cpom.years)
    if commitments is None:
        commitments = cpom.commitments.prefetch_related("indicators__targets").order_by("position", "pk")
    for commitment in commitments:
        indicators = list(commitment.indicators.all())
        if not indicators:
            problems.append(_("« %(title)s » n’a aucun indicateur de suivi.") % {"title": commitment.title})
        for indicator in indicators:
            missing = sorted(years - {t.year for t in indicator.targets.all()})
            if missing:
                problems.append(
                    _("« %(indicator)s » (engagement « %(title)s ») : valeur-cible manquante pour %(years)s.")
                    % {
                        "indicator": indicator.label,
                        "title": commitment.title,
                        "years": ", ".join(str(y) for y in missing),
                    }
                )
    return problems


def _step(cpom, user, action):
    """Lock the CPOM and move it along ``action`` of the workflow, if it is
    at one of the action's steps and ``user`` may take it."""
    current = _lock(cpom)
    if not workflow.is_actor(user, current, action):
        raise PermissionDenied
    if current.status not in workflow.ACTIONS[action].sources:
        raise TransitionError(_("Action impossible à l’étape « %(step)s ».") % {"step": current.get_status_display()})
    current.status = workflow.ACTIONS[action].target
    current._history_user = user
    return current


@transaction.atomic
def share_with_director(cpom, user, message="") -> Cpom:
    """Open a round of concertation: the director reads, comments, proposes."""
    current = _step(cpom, user, "share")
    current.concertation_round += 1
    current.shared_with_director = True
    current.save()
    if message:
        Comment.objects.create(cpom=current, author=user, body=message, concertation_round=current.concertation_round)
    return current


@transaction.atomic
def return_to_ars(cpom, user, message="") -> Cpom:
    """End a round of concertation: the director hands back, or the ARS takes
    the CPOM back to answer what was said."""
    current = _step(cpom, user, "return")
    current.save()
    if message:
        Comment.objects.create(cpom=current, author=user, body=message, concertation_round=current.concertation_round)
    return current


@transaction.atomic
def mark_ready_to_sign(cpom, user) -> Cpom:
    current = _step(cpom, user, "ready")
    problems = signature_problems(current)
    pending = ChangeProposal.objects.filter(commitment__cpom=current, status=ProposalStatus.PENDING).count()
    if pending:
        problems.append(
            ngettext(
                "%(n)s proposition de l’établissement attend une réponse.",
                "%(n)s propositions de l’établissement attendent une réponse.",
                pending,
            )
            % {"n": pending}
        )
    if problems:
        raise TransitionError(problems)
    current.save()
    return current


@transaction.atomic
def back_to_drafting(cpom, user) -> Cpom:
    current = _step(cpom, user, "back")
    current.save()
    return current


@transaction.atomic
def sign(cpom, user, signed_on) -> Cpom:
    """Record the signature: the content is frozen and kept as signed, as the
    initial contract or as the open amendment."""
    current = _step(cpom, user, "sign")
    problems = signature_problems(current)
    if problems:
        raise TransitionError(problems)
    version = current.versions.select_for_update().filter(signed_on__isnull=True).order_by("-number").first()
    if version is None:
        raise TransitionError(_("Aucune version ouverte à signer."))
    previous = current.versions.filter(number__lt=version.number, signed_on__isnull=False).order_by("-number").first()
    if signed_on > timezone.localdate():
        raise TransitionError(_("La date de signature ne peut être dans le futur."))
    if previous is not None and signed_on < previous.signed_on:
        raise TransitionError(
            _("La date de signature ne peut précéder celle de la version précédente (%(date)s).")
            % {"date": format_date(previous.signed_on)}
        )
    version.content = snapshot(current)
    version.signed_on = signed_on
    version.signed_by = user
    version.save()
    if current.signed_on is None:
        current.signed_on = signed_on
    # A signed contract is the establishment's to read, shared or not before.
    current.shared_with_director = True
    current.save()
    return current


@transaction.atomic
def open_amendment(cpom, user, reason) -> CpomVersion:
    """Reopen a signed CPOM for editing, as amendment n."""
    if not reason.strip():
        raise ValidationError(_("Indiquez l’objet de l’avenant."))
    current = _step(cpom, user, "amend")
    current.save()
    number = current.versions.order_by("-number").values_list("number", flat=True).first() + 1
    return CpomVersion.objects.create(cpom=current, number=number, reason=reason.strip(), opened_by=user)


@transaction.atomic
def delete_cpom(cpom, user) -> None:
    current = _lock(cpom)
    if not permissions.can_delete_cpom(user, current):
        raise PermissionDenied
    current._history_user = user
    current.delete()


# --- Commitments ---------------------------------------------------------------------------


@transaction.atomic
def add_commitment(
    cpom, user, *, title, theme, action_kind, objective, benefits="", partner_entities=(), external_partners=()
) -> Commitment:
    """A new commitment at the end of an editable CPOM, with its partners: legal
    entities of the register (the CPOM's own entity left out) and actors outside
    it named in text. Used where a commitment is written from elsewhere (an axis
    of a diagnostic); the commitment page saves through ``save_commitment``."""
    locked = _lock_for_content(cpom, user)
    commitment = Commitment(
        cpom=locked,
        position=(locked.commitments.aggregate(top=models.Max("position"))["top"] or 0) + 1,
        title=title,
        theme=theme,
        action_kind=action_kind,
        objective=objective,
        benefits=benefits,
        updated_by=user,
    )
    commitment._history_user = user
    commitment.save()
    for entity in partner_entities:
        if entity.pk == locked.legal_entity_id:
            continue
        partner = CommitmentPartner(commitment=commitment, legal_entity=entity)
        partner._history_user = user
        partner.save()
    for name in filter(None, (name.strip() for name in external_partners)):
        partner = CommitmentPartner(commitment=commitment, external_name=name[:255], external_kind=ExternalKind.OTHER)
        partner._history_user = user
        partner.save()
    return commitment


@transaction.atomic
def save_commitment(cpom, user, form, partner_formset, indicator_formset, edit_token=UNCHECKED) -> Commitment:
    """Save a commitment with its partners, indicators and targets together,
    or nothing. ``edit_token`` is the commitment as the user opened it: if
    someone saved since, StaleVersionError carries the newer content. The
    commitment itself is saved with every change of its parts, so its token
    moves with them."""
    locked = _lock_for_content(cpom, user)
    commitment = form.instance
    if commitment.pk:
        lock_unchanged(commitment, edit_token)
    else:
        commitment.cpom = locked
        commitment.position = (locked.commitments.aggregate(top=models.Max("position"))["top"] or 0) + 1
    commitment.updated_by = user
    commitment._history_user = user
    if getattr(form, "confirms_vehicle_rule", False):
        record_vehicle_rule_confirmation(commitment, user)
    form.save()
    partner_formset.instance = commitment
    _save_formset(partner_formset, user)
    indicator_formset.instance = commitment
    for indicator_form in _save_formset(indicator_formset, user):
        indicator_form.save_targets(user)
    return commitment


def record_vehicle_rule_confirmation(commitment, user):
    """Remember that ``user`` maintained this wording of the commitment
    against the vehicle rule (seed 000): the page does not ask again until
    the title or the objective changes (later edits, amendments)."""
    commitment.vehicle_rule_confirmed_text = Commitment.vehicle_rule_wording(commitment.title, commitment.objective)
    commitment.vehicle_rule_confirmed_by = user
    commitment.vehicle_rule_confirmed_at = timezone.now()


def _save_formset(formset, user):
    """Save an inline formset row by row (so each row goes through the
    model's guard and its history records who); return the saved forms."""
    formset.save(commit=False)
    for obj in formset.deleted_objects:
        obj._history_user = user
        obj.delete()
    saved = []
    for position, row in enumerate(formset.forms, start=1):
        if row in formset.deleted_forms or not row.has_changed():
            continue
        obj = row.instance
        setattr(obj, formset.fk.name, formset.instance)
        if hasattr(obj, "position") and not obj.pk:
            obj.position = position
        obj._history_user = user
        obj.save()
        saved.append(row)
    return saved


@transaction.atomic
def delete_commitment(commitment, user) -> None:
    _lock_for_content(commitment.cpom, user)
    commitment._history_user = user
    commitment.delete()


@transaction.atomic
def move_commitment(commitment, user, step: int) -> None:
    """Swap a commitment with its neighbour above (step -1) or below (+1)."""
    locked = _lock_for_content(commitment.cpom, user)
    ordered = list(locked.commitments.order_by("position", "pk"))
    index = next(i for i, c in enumerate(ordered) if c.pk == commitment.pk)
    other = index + step
    if not 0 <= other < len(ordered):
        return
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered, start=1):
        if item.position != position:
            item.position = position
            item._history_user = user
            item.save(update_fields=["position"])


# --- Concertation: comments and proposals of the establishment -------------------------------

PROPOSABLE_FIELDS = ("title", "objective", "benefits", "start_date", "deadline")


@transaction.atomic
def add_comment(cpom, user, body, commitment=None) -> Comment:
    current = _lock(cpom)
    if not permissions.can_comment(user, current):
        raise PermissionDenied
    body = body.strip()
    if not body:
        raise ValidationError(_("Le message est vide."))
    return Comment.objects.create(
        cpom=current, commitment=commitment, author=user, body=body, concertation_round=current.concertation_round
    )


def proposal_targets(commitment):
    """What the establishment may propose to change on a commitment: its text
    fields and dates, and each target value of its indicators."""
    choices = [
        (f"field:{name}", capitalized(Commitment._meta.get_field(name).verbose_name)) for name in PROPOSABLE_FIELDS
    ]
    for indicator in commitment.indicators.all():
        for year in commitment.cpom.years:
            choices.append(
                (
                    f"target:{indicator.pk}:{year}",
                    _("Valeur-cible %(year)s — %(label)s") % {"year": year, "label": indicator.label},
                )
            )
    return choices


def _current_value(commitment, target):
    kind, _sep, rest = target.partition(":")
    if kind == "field":
        value = getattr(commitment, rest)
        return format_date(value) if hasattr(value, "strftime") else (value or "")
    indicator_id, year = (int(x) for x in rest.split(":"))
    indicator = commitment.indicators.get(pk=indicator_id)
    found = indicator.targets.filter(year=year).first()
    return found.display if found else ""


@transaction.atomic
def propose_change(commitment, user, target, proposed_value, reason="") -> ChangeProposal:
    current = _lock(commitment.cpom)
    if not permissions.can_propose_change(user, current):
        raise PermissionDenied
    labels = dict(proposal_targets(commitment))
    if target not in labels:
        raise ValidationError(_("Choisissez l’élément à modifier."))
    if not proposed_value.strip():
        raise ValidationError(_("Indiquez la valeur proposée."))
    return ChangeProposal.objects.create(
        commitment=commitment,
        target=target,
        target_label=str(labels[target]),
        current_value=str(_current_value(commitment, target)),
        proposed_value=proposed_value.strip(),
        reason=reason.strip(),
        author=user,
    )


def _parse_date(raw):
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw.strip(), fmt).date()
        except ValueError:
            continue
    raise ValidationError(_("« %(raw)s » n’est pas une date (jj/mm/aaaa).") % {"raw": raw})


def _apply_proposal(proposal, user):
    """Write an accepted proposal as an edit of the commitment would: the
    same field rules, the vehicle rule, and a new version of the commitment
    so that a page opened before is refused rather than silently reverting it."""
    commitment = Commitment.objects.select_for_update().get(pk=proposal.commitment_id)
    kind, _sep, rest = proposal.target.partition(":")
    if kind == "field":
        value = proposal.proposed_value
        if rest in ("start_date", "deadline"):
            value = _parse_date(value)
        setattr(commitment, rest, value)
        if rest in ("title", "objective") and vehicle_as_objective(value):
            raise ValidationError(
                _("La valeur proposée fait du support juridique un objectif (%(rule)s) : modifiez l’engagement "
                  "vous-même si vous la maintenez.") % {"rule": VEHICLE_RULE}
            )  # fmt: skip
        commitment.full_clean(exclude=["cpom", "vehicle", "updated_by"])
    else:
        indicator_id, year = (int(x) for x in rest.split(":"))
        indicator = commitment.indicators.filter(pk=indicator_id).first()
        if indicator is None:
            raise ValidationError(_("L’indicateur visé a été supprimé depuis : refusez la proposition en le disant."))
        indicator.set_target(year, proposal.proposed_value, user)
    commitment.updated_by = user
    commitment._history_user = user
    commitment.save()


@transaction.atomic
def decide_proposal(proposal, user, accept: bool, note="") -> ChangeProposal:
    """Accept (apply the proposed value to the commitment) or reject, with a
    reason for a rejection. Applying goes through the same guards as an edit."""
    commitment = proposal.commitment
    current = _lock(commitment.cpom)
    if not permissions.can_decide_proposal(user, current):
        raise FrozenCpomError() if not current.is_editable else PermissionDenied()
    proposal = ChangeProposal.objects.select_for_update().get(pk=proposal.pk)
    if not proposal.is_pending:
        raise ValidationError(_("Cette proposition a déjà reçu une réponse."))
    if not accept and not note.strip():
        raise ValidationError(_("Indiquez le motif du refus : l’établissement le lira."))
    if accept:
        _apply_proposal(proposal, user)
    proposal.status = ProposalStatus.ACCEPTED if accept else ProposalStatus.REJECTED
    proposal.decided_by = user
    proposal.decided_at = timezone.now()
    proposal.decision_note = note.strip()
    proposal.save()
    return proposal


# --- Carrying a commitment into the next CPOM ------------------------------------------------

# What a carried indicator keeps of its definition: everything but where it
# sits and where it starts from (its baseline is given, its targets are negotiated anew).
_NOT_CARRIED = {"id", "commitment", "position", "baseline_value", "baseline_text", "baseline_year"}
_CARRIED_COMMITMENT_FIELDS = ("title", "action_kind", "theme", "objective", "benefits", "vehicle",
                              "vehicle_rule_confirmed_text", "vehicle_rule_confirmed_by",
                              "vehicle_rule_confirmed_at")  # fmt: skip


@transaction.atomic
def carry_over_commitment(source, target_cpom, user, baselines) -> Commitment:
    """Copy ``source`` (a commitment of another CPOM) at the end of the
    editable ``target_cpom``, with its partners and its indicators, without
    targets. ``baselines``: {indicator id: (year, number, text)}, each carried
    indicator's new baseline; an indicator missing from it keeps its own."""
    locked = _lock_for_content(target_cpom, user)
    commitment = Commitment(
        cpom=locked,
        position=(locked.commitments.aggregate(top=models.Max("position"))["top"] or 0) + 1,
        updated_by=user,
        **{name: getattr(source, name) for name in _CARRIED_COMMITMENT_FIELDS},
    )
    commitment._history_user = user
    commitment.save()
    for partner in source.partners.all():
        if partner.legal_entity_id == locked.legal_entity_id:
            continue
        copy = CommitmentPartner(
            commitment=commitment,
            legal_entity_id=partner.legal_entity_id,
            structure_id=partner.structure_id,
            external_name=partner.external_name,
            external_kind=partner.external_kind,
        )
        copy._history_user = user
        copy.save()
    for position, indicator in enumerate(source.indicators.order_by("position", "pk"), start=1):
        fields = {f.attname: getattr(indicator, f.attname) for f in Indicator._meta.concrete_fields
                  if f.name not in _NOT_CARRIED}  # fmt: skip
        year, number, text = baselines.get(
            indicator.pk, (indicator.baseline_year, indicator.baseline_value, indicator.baseline_text)
        )
        copy = Indicator(
            commitment=commitment,
            position=position,
            baseline_year=year,
            baseline_value=number,
            baseline_text=text or "",
            **fields,
        )
        copy._history_user = user
        copy.save()
    return commitment
