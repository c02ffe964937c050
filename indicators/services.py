"""The rules of the follow-up: opening a campaign, declaring values, the
state machine of a declaration and the ARS's decisions. Plain functions,
transactional where they write; views only call them."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.concurrency import UNCHECKED, check_unchanged, edit_tokens, lock_unchanged
from cpom.models import Cpom
from indicators import checks, permissions
from indicators.models import (
    DECLARATION_TRANSITIONS,
    DIRECTOR_EDITABLE,
    Campaign,
    CampaignPhase,
    ComputationRun,
    Declaration,
    DeclarationEvent,
    DeclarationNote,
    DeclarationStatus,
)


def _require(allowed):
    if not allowed:
        raise PermissionDenied


def coverable_cpoms(region, year):
    """The CPOMs a campaign of that région and year may follow: signed once
    at least, and in force that year."""
    return Cpom.objects.filter(
        region=region, signed_on__isnull=False, first_year__lte=year, last_year__gte=year
    ).select_related("legal_entity")


def _check_windows(opens_on, closes_on, corrections_until):
    if closes_on < opens_on:
        raise ValidationError(_("La clôture des déclarations ne peut précéder leur ouverture."))
    if corrections_until < closes_on:
        raise ValidationError(_("La fin des corrections ne peut précéder la clôture des déclarations."))


def _check_cpoms(region, year, cpoms):
    eligible = set(coverable_cpoms(region, year).values_list("pk", flat=True))
    if any(cpom.pk not in eligible for cpom in cpoms):
        raise ValidationError(_("Une campagne ne suit que des CPOM signés de sa région, en vigueur l’année suivie."))
    if not cpoms:
        raise ValidationError(
            _("Aucun CPOM signé de la région n’est en vigueur en %(year)s : il n’y a rien à suivre.") % {"year": year}
        )


@transaction.atomic
def open_campaign(user, region, year, opens_on, closes_on, corrections_until, cpoms=None, notify=True) -> Campaign:
    """Open the follow-up campaign of a région for a year, covering the given
    CPOMs (all those in force by default); directors are told by email."""
    _require(permissions.can_open_campaign(user, region))
    _check_windows(opens_on, closes_on, corrections_until)
    cpoms = list(coverable_cpoms(region, year) if cpoms is None else cpoms)
    _check_cpoms(region, year, cpoms)
    if Campaign.objects.filter(region=region, year=year).exists():
        raise ValidationError(_("Une campagne %(year)s existe déjà pour cette région.") % {"year": year})
    campaign = Campaign(
        region=region,
        year=year,
        opens_on=opens_on,
        closes_on=closes_on,
        corrections_until=corrections_until,
        created_by=user,
    )
    campaign._history_user = user
    campaign.save()
    campaign.cpoms.set(cpoms)
    if notify:
        from indicators.tasks import notify_campaign_opened

        # Robust: with the broker down the campaign is still opened (the failure is logged).
        transaction.on_commit(lambda: notify_campaign_opened.delay(campaign.pk), robust=True)
    return campaign


@transaction.atomic
def update_campaign(user, campaign, opens_on, closes_on, corrections_until, cpoms, edit_token=UNCHECKED) -> Campaign:
    """Move the windows or change the CPOMs followed; a CPOM that already has
    declarations in the campaign stays. A campaign saved by someone else
    since ``edit_token`` raises StaleVersionError."""
    _require(permissions.can_manage_campaign(user, campaign))
    campaign = lock_unchanged(campaign, edit_token)
    _check_windows(opens_on, closes_on, corrections_until)
    cpoms = list(cpoms)
    _check_cpoms(campaign.region, campaign.year, cpoms)
    declared = set(campaign.declarations.values_list("indicator__commitment__cpom", flat=True))
    if declared - {cpom.pk for cpom in cpoms}:
        raise ValidationError(_("Un CPOM dont l’établissement a déjà déclaré des valeurs reste dans la campagne."))
    campaign.opens_on, campaign.closes_on, campaign.corrections_until = opens_on, closes_on, corrections_until
    if closes_on > timezone.localdate():
        campaign.reminder_sent_on = None  # a later closing date deserves its own reminder
    campaign._history_user = user
    campaign.save()
    campaign.cpoms.set(cpoms)
    return campaign


def _transition(declaration, to, user, reason=""):
    """Move a declaration along its state machine and keep the step."""
    if to not in DECLARATION_TRANSITIONS[DeclarationStatus(declaration.status)]:
        raise ValidationError(
            _("Une déclaration « %(from)s » ne peut passer à « %(to)s ».")
            % {"from": declaration.get_status_display(), "to": DeclarationStatus(to).label}
        )
    previous = declaration.status
    declaration.status = to
    now = timezone.now()
    if to == DeclarationStatus.SUBMITTED:
        declaration.submitted_at = now
        declaration.is_correction = declaration.is_correction or previous == DeclarationStatus.SENT_BACK
        declaration.corrected_at = None
    else:
        declaration.decided_at = now
    if to == DeclarationStatus.SENT_BACK:
        declaration.corrected_at = None
    declaration.updated_by = user
    declaration._history_user = user
    declaration.save()
    DeclarationEvent.objects.create(
        declaration=declaration, previous_status=previous, status=to, user=user, at=now, reason=reason
    )
    return declaration


@dataclass
class Entry:
    """What the establishment typed for one indicator, already parsed."""

    indicator: object
    number: object = None
    text: str = ""
    comment: str = ""
    evidence: object = None
    clear_evidence: bool = False
    # The declaration as the page showed it (its edit token, None if there was none).
    edit_token: object = UNCHECKED
    # The answer to the ARS's reason for sending the value back (None: left as it is).
    answer: object = None

    @property
    def is_empty(self):
        return self.number is None and not self.text and not self.comment and not self.evidence


def window_error(campaign, status=None, day=None, reopened=False):
    """Why a value cannot be declared now, or None. During the correction
    window only the values the ARS sent back may change; once the campaign is
    closed, only those it reopened after validating them (``reopened``)."""
    phase = campaign.phase(day)
    if phase == CampaignPhase.UPCOMING:
        return _("La campagne n’est pas encore ouverte (ouverture le %(date)s).") % {
            "date": campaign.opens_on.strftime("%d/%m/%Y")
        }
    if phase == CampaignPhase.CLOSED and reopened and status == DeclarationStatus.SENT_BACK:
        return None
    if phase == CampaignPhase.CLOSED:
        return _("La campagne est close : aucune déclaration n’est plus reçue.")
    if phase == CampaignPhase.CORRECTION and status != DeclarationStatus.SENT_BACK:
        return _("Les déclarations sont closes : seules les valeurs renvoyées par l’ARS peuvent être corrigées.")
    if status is not None and status not in DIRECTOR_EDITABLE:
        return _("Cette valeur est %(status)s : elle ne peut plus être modifiée.") % {
            "status": DeclarationStatus(status).label.lower()
        }
    return None


@transaction.atomic
def save_declarations(user, campaign, legal_entity_id, entries, submit=False):
    """Save the establishment's values as drafts and, with ``submit``, submit
    every draft of ``entries`` that has a value. All or nothing. Returns (saved, submitted)."""
    _require(permissions.can_declare(user, legal_entity_id))
    if submit and not permissions.can_submit(user, legal_entity_id):
        raise ValidationError(
            _(
                "Seul le directeur de l’entité soumet les valeurs à l’ARS : enregistrez-les en brouillon, il les soumettra."
            )
        )
    due = set(
        campaign.due_indicators().filter(commitment__cpom__legal_entity_id=legal_entity_id).values_list("pk", flat=True)
    )
    existing = {
        declaration.indicator_id: declaration
        for declaration in Declaration.objects.select_for_update().filter(indicator_id__in=due, year=campaign.year)
    }
    _refuse_stale(entries, existing)
    _refuse_out_of_window(campaign, entries, existing, due)
    flags = _check_entries(campaign, legal_entity_id, entries, existing)
    saved = 0
    for entry in entries:
        if entry.indicator.pk not in due:
            raise ValidationError(
                _("L’indicateur « %(label)s » n’est pas à déclarer dans cette campagne.")
                % {"label": entry.indicator.label}
            )
        declaration = existing.get(entry.indicator.pk)
        if declaration is None and entry.is_empty:
            continue
        if declaration is not None and _unchanged(declaration, entry):
            continue
        problem = window_error(
            campaign,
            declaration.status if declaration else None,
            reopened=declaration is not None and declaration.reopened_at is not None,
        )
        if problem:
            raise ValidationError(problem)
        if declaration is None:
            declaration = Declaration(indicator=entry.indicator, campaign=campaign, year=campaign.year)
        elif entry.is_empty and declaration.status == DeclarationStatus.DRAFT and not declaration.evidence:
            declaration.delete()  # a draft emptied by its author is no declaration
            del existing[entry.indicator.pk]
            saved += 1
            continue
        created = declaration.pk is None
        declaration.value, declaration.text, declaration.comment = entry.number, entry.text, entry.comment
        if entry.answer is not None:
            declaration.correction_answer = entry.answer
        if declaration.status == DeclarationStatus.SENT_BACK:
            declaration.corrected_at = timezone.now()
        _set_flags(declaration, flags.get(entry.indicator.pk, ()))
        # A replaced or removed file stays with the history, then is purged (indicators.evidence).
        if entry.evidence:
            declaration.evidence = entry.evidence
            declaration.evidence_name = getattr(entry.evidence, "original_name", entry.evidence.name)[:200]
        elif entry.clear_evidence:
            declaration.evidence = ""
            declaration.evidence_name = ""
        declaration.updated_by = user
        declaration._history_user = user
        try:
            with transaction.atomic():
                declaration.save()
        except IntegrityError:
            # Another tab created the same value a moment ago.
            raise ValidationError(
                _("Cette valeur vient d’être enregistrée ailleurs : rechargez la page avant de la modifier.")
            ) from None
        if created:
            DeclarationEvent.objects.create(declaration=declaration, status=DeclarationStatus.DRAFT, user=user)
        existing[entry.indicator.pk] = declaration
        saved += 1
    submitted = 0
    if submit:
        # Only what the page showed: a value the ARS sent back meanwhile waits for its correction.
        shown = {entry.indicator.pk for entry in entries}
        for declaration in (d for d in existing.values() if d.indicator_id in shown):
            # A draft left over after the closing date stays as it is: only what may still move is submitted.
            if declaration.status in DIRECTOR_EDITABLE and declaration.has_value:
                if window_error(campaign, declaration.status, reopened=declaration.reopened_at is not None) is None:
                    _transition(declaration, DeclarationStatus.SUBMITTED, user)
                    submitted += 1
        if not submitted:
            raise ValidationError(_("Aucune valeur à soumettre : renseignez au moins une valeur."))
    return saved, submitted


class StaleDeclarationError(ValidationError):
    """Values saved by someone else since the page was shown (``indicators``: their ids)."""

    def __init__(self, message, indicators):
        super().__init__(message)
        self.indicators = indicators


def _refuse_stale(entries, existing):
    """Every entry that would change a value saved by someone else since the page showed it."""
    stale = []
    tokens = edit_tokens(Declaration, id__in=[declaration.pk for declaration in existing.values()])
    for entry in entries:
        declaration = existing.get(entry.indicator.pk)
        if entry.edit_token is UNCHECKED or (declaration is None and entry.is_empty):
            continue
        if declaration is not None and _unchanged(declaration, entry):
            continue
        if entry.edit_token != (tokens.get(declaration.pk) if declaration is not None else None):
            stale.append(entry.indicator)
    if stale:
        raise StaleDeclarationError(
            _(
                "Enregistré par quelqu’un d’autre depuis que vous avez ouvert la page : %(labels)s. "
                "Rien n’a été enregistré, rien n’a été écrasé. Vos saisies sont conservées ; vérifiez les "
                "valeurs enregistrées puis enregistrez de nouveau."
            )
            % {"labels": ", ".join(f"« {indicator.label} »" for indicator in stale)},
            [indicator.pk for indicator in stale],
        )


def _unchanged(declaration, entry):
    return (
        declaration.value == entry.number
        and declaration.text == entry.text
        and declaration.comment == entry.comment
        and (entry.answer is None or entry.answer == declaration.correction_answer)
        and not entry.evidence
        and not entry.clear_evidence
    )


def _refuse_out_of_window(campaign, entries, existing, due):
    """The refusals that come before any consistency check: an indicator not due, a value that may not change now."""
    for entry in entries:
        if entry.indicator.pk not in due:
            raise ValidationError(
                _("L’indicateur « %(label)s » n’est pas à déclarer dans cette campagne.")
                % {"label": entry.indicator.label}
            )
        declaration = existing.get(entry.indicator.pk)
        if (declaration is None and entry.is_empty) or (declaration is not None and _unchanged(declaration, entry)):
            continue
        problem = window_error(
            campaign,
            declaration.status if declaration else None,
            reopened=declaration is not None and declaration.reopened_at is not None,
        )
        if problem:
            raise ValidationError(problem)


class FlaggedValuesError(ValidationError):
    """Values the consistency checks flag, kept without a comment (``flags``: {indicator id: [Flag]})."""

    def __init__(self, message, flags):
        super().__init__(message)
        self.flags = flags


def _check_entries(campaign, legal_entity_id, entries, existing):
    """The flags of the entries that change a value ({indicator id: [Flag]}); FlaggedValuesError
    when a flagged value comes without the comment that keeps it. Nothing is saved then."""
    changed = {
        entry.indicator: entry.number
        for entry in entries
        if entry.number is not None
        and not (existing.get(entry.indicator.pk) is not None and _unchanged(existing[entry.indicator.pk], entry))
    }
    flags = checks.check_values(campaign, legal_entity_id, changed)
    unexplained = {
        entry.indicator.pk: flags[entry.indicator.pk]
        for entry in entries
        if entry.indicator.pk in flags and not entry.comment.strip()
    }
    if unexplained:
        labels = ", ".join(f"« {entry.indicator.label} »" for entry in entries if entry.indicator.pk in unexplained)
        raise FlaggedValuesError(
            _(
                "Rien n’a été enregistré : %(labels)s s’écarte des contrôles de cohérence. Vérifiez la valeur, "
                "ou gardez-la en expliquant l’écart dans le commentaire."
            )
            % {"labels": labels},
            unexplained,
        )
    return flags


def _set_flags(declaration, flags):
    declaration.flags = [flag.as_dict() for flag in flags]
    declaration.flag_codes = ",".join(sorted({flag.code for flag in flags}))
    declaration.flagged = bool(flags)


def _locked(declaration):
    return Declaration.objects.select_for_update().select_related("campaign", "indicator").get(pk=declaration.pk)


@transaction.atomic
def validate_declaration(user, declaration, edit_token=UNCHECKED) -> Declaration:
    """The ARS accepts the value: it is frozen from now on (unless reopened).
    A value changed since ``edit_token`` (the page the ARS read) raises StaleVersionError."""
    _require(permissions.can_validate(user, declaration.campaign))
    declaration = _locked(declaration)
    check_unchanged(declaration, edit_token)
    declaration.reopened_at = None
    return _transition(declaration, DeclarationStatus.VALIDATED, user)


def bulk_candidates(campaign, legal_entity_id):
    """The values of an establishment the ARS may validate at once: submitted and not flagged."""
    return (
        Declaration.objects.filter(
            campaign=campaign,
            indicator__commitment__cpom__legal_entity_id=legal_entity_id,
            status=DeclarationStatus.SUBMITTED,
            flagged=False,
        )
        .select_related("indicator__commitment")
        .order_by("indicator__commitment__position", "indicator__commitment__pk", "indicator__position", "pk")
    )


@transaction.atomic
def validate_many(user, campaign, legal_entity_id, tokens) -> int:
    """Validate the unflagged submitted values listed on the confirmation
    page (``tokens``: {declaration id: edit token as shown}), all or none: a
    value changed, flagged or decided since then refuses the whole batch."""
    _require(permissions.can_validate(user, campaign))
    if not tokens:
        raise ValidationError(_("Aucune valeur à valider."))
    rows = {
        declaration.pk: declaration
        for declaration in bulk_candidates(campaign, legal_entity_id).select_for_update().filter(pk__in=list(tokens))
    }
    current = edit_tokens(Declaration, id__in=list(rows))
    moved = [pk for pk in tokens if pk not in rows or current.get(pk) != tokens[pk]]
    if moved:
        raise ValidationError(
            _(
                "Rien n’a été validé : %(n)s des valeurs listées ont changé depuis l’ouverture de la page "
                "(modifiées, signalées ou déjà décidées). Relisez la liste mise à jour puis confirmez de nouveau."
            )
            % {"n": len(moved)}
        )
    for declaration in rows.values():
        declaration.reopened_at = None
        _transition(declaration, DeclarationStatus.VALIDATED, user)
    return len(rows)


@transaction.atomic
def reopen(user, declaration, reason) -> Declaration:
    """The ARS reopens a validated value, with its reason: it goes back to
    the establishment to correct (even once the campaign is closed), the
    step is kept with the history and the director is told by email."""
    declaration = _locked(declaration)
    _require(permissions.can_reopen(user, declaration.campaign))
    if declaration.status != DeclarationStatus.VALIDATED:
        raise ValidationError(_("Seule une valeur validée peut être rouverte."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Indiquez le motif de la réouverture : l’établissement en a besoin pour corriger."))
    declaration.reopened_at = timezone.now()
    declaration = _transition(declaration, DeclarationStatus.SENT_BACK, user, reason)
    from indicators.tasks import notify_declaration_reopened

    transaction.on_commit(lambda: notify_declaration_reopened.delay(declaration.pk), robust=True)
    return declaration


@transaction.atomic
def send_back(user, declaration, reason) -> Declaration:
    """The ARS returns the value for correction, with its reason; the
    director is told by email."""
    _require(permissions.can_validate(user, declaration.campaign))
    if declaration.campaign.phase() == CampaignPhase.CLOSED:
        raise ValidationError(
            _(
                "La campagne est close : l’établissement ne pourrait plus corriger. Prolongez d’abord la fenêtre de correction."
            )
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Indiquez le motif du renvoi : l’établissement en a besoin pour corriger."))
    declaration = _locked(declaration)
    if declaration.status != DeclarationStatus.SUBMITTED:
        # A validated value is reopened (reopen), with its own rule of who may.
        raise ValidationError(_("Seule une valeur soumise peut être renvoyée pour correction."))
    declaration = _transition(declaration, DeclarationStatus.SENT_BACK, user, reason)
    from indicators.tasks import notify_declaration_sent_back

    transaction.on_commit(lambda: notify_declaration_sent_back.delay(declaration.pk), robust=True)
    return declaration


def add_note(user, declaration, text) -> DeclarationNote:
    _require(permissions.can_write_note(user, declaration.campaign))
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("La note est vide."))
    return DeclarationNote.objects.create(declaration=declaration, author=user, text=text)


# --- Computed indicators --------------------------------------------------------------------------


def request_computation(user, year, region=None) -> tuple[ComputationRun, bool]:
    """Record a computation run and hand it to the Celery worker; (run,
    queued). When the broker is unreachable the run waits: the nightly job
    picks it up, and the page says so."""
    from indicators.tasks import compute_indicators

    _require(permissions.can_compute(user, region))
    if not 2000 <= year <= 2100:
        raise ValidationError(_("Année invalide."))
    run = ComputationRun.objects.create(year=year, region=region, created_by=user)
    try:
        compute_indicators.delay(run.pk)
    except Exception:  # noqa: BLE001 - any broker failure: the run stays pending, the site keeps working
        return run, False
    return run, True


def run_computation(run_id) -> ComputationRun:
    """Compute every indicator of the run, counting progress; safe to rerun
    (a value whose inputs have not changed is left as it is)."""
    from indicators.computations import indicators_to_compute, store

    run = ComputationRun.objects.get(pk=run_id)
    indicators = list(indicators_to_compute(run.year, run.region))
    ComputationRun.start(run.pk, total=len(indicators), rerun=True)
    ComputationRun.objects.filter(pk=run.pk).update(changed=0)
    changed = 0
    try:
        for done, indicator in enumerate(indicators, start=1):
            _value, was_changed = store(indicator, run.year, run)
            changed += was_changed
            ComputationRun.advance(run.pk, done, changed=changed)
    except Exception as error:
        # The page stops waiting and says why; the task's retry (or the next night) starts it again.
        ComputationRun.fail(run.pk, error)
        raise
    ComputationRun.finish(run.pk)
    run.refresh_from_db()
    return run
