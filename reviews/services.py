"""The writes of the yearly review and the final evaluation: plain
functions, transactional, each locking the review (or the evaluation) it
changes and refusing in French what the rules forbid.

- A review is opened by the ARS of the CPOM's région, for a signed CPOM and
  a year of its period whose follow-up campaign (covering the CPOM) is
  closed; it is prepared from the known values.
- Each side writes its remarks per commitment: the ARS its own, the members
  of the entity (director or contributor) the establishment's. The ARS
  records the retained status, the decisions, the meeting date and who
  attended, then finalizes: the review is locked, a decision « ouvrir un
  avenant » opens the amendment through the contract's own service with the
  targets to revise in its object, the minutes are stored and emailed to the
  entity's directors.
- The final evaluation is opened from the CPOM's last year on; each side
  writes its conclusions, the ARS chooses what to carry over; « Reconduire »
  copies the chosen commitments into a draft of the entity's next CPOM (made
  if there is none), each indicator starting from its last known value."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import mail
from cpom import services as cpom_services
from cpom import workflow
from cpom.models import CPOM_MAX_YEARS, Cpom
from cpom.versions import format_date
from indicators.follow_up import directors_of
from indicators.models import Campaign, CampaignPhase
from reviews import assessment, documents, permissions
from reviews.models import (
    Achievement,
    AnnualReview,
    Decision,
    EvaluationItem,
    FinalEvaluation,
    ReviewItem,
    ReviewStatus,
)

# Decisions that name the targets to revise.
REVISING = (Decision.REVISE_TARGET, Decision.AMEND)


def _require(allowed):
    if not allowed:
        raise PermissionDenied


def _locked_draft(model, record):
    current = model.objects.select_for_update().select_related("cpom__legal_entity", "cpom__region").get(pk=record.pk)
    if current.is_finalized:
        raise ValidationError(_("Ce document est finalisé : il ne se modifie plus."))
    return current


# --- The yearly review -------------------------------------------------------------------------


def review_problems(cpom, year, today=None) -> list[str]:
    """Why the review of ``year`` cannot be opened now (none: it can)."""
    if not cpom.has_been_signed:
        return [_("Une revue annuelle porte sur un CPOM signé.")]
    if year not in cpom.years:
        return [_("L’année %(year)s est hors de la période du CPOM (%(period)s).") % {"year": year,
                                                                                    "period": cpom.period}]  # fmt: skip
    campaign = Campaign.objects.filter(region_id=cpom.region_id, year=year, cpoms=cpom).first()
    if campaign is None:
        return [_("Aucune campagne de suivi %(year)s ne couvre ce CPOM.") % {"year": year}]
    if campaign.phase(today) != CampaignPhase.CLOSED:
        return [
            _("La campagne de suivi %(year)s n’est pas close (fin des corrections le %(date)s) : la revue s’ouvre "
              "une fois les valeurs arrêtées.") % {"year": year, "date": format_date(campaign.corrections_until)}
        ]  # fmt: skip
    if AnnualReview.objects.filter(cpom=cpom, year=year).exists():
        return [_("La revue %(year)s de ce CPOM est déjà ouverte.") % {"year": year}]
    return []


def _prepare_items(review):
    """Write (or refresh) one item per commitment from the known values; the
    remarks and decisions already written stay."""
    commitments = assessment.commitments_of(review.cpom)
    computed = assessment.review_lines(commitments, review.year)
    existing = {item.commitment_id: item for item in review.items.all()}
    for position, commitment in enumerate(commitments, start=1):
        lines, proposed = computed[commitment.pk]
        item = existing.get(commitment.pk) or ReviewItem(review=review, commitment=commitment, status=proposed)
        if item.status == item.proposed_status:
            item.status = proposed  # the ARS's own choice is kept; a status it did not change follows the values
        item.position, item.title, item.theme = position, commitment.title, commitment.theme
        item.lines, item.proposed_status = lines, proposed
        item.save()


@transaction.atomic
def open_review(cpom, user, year, today=None) -> AnnualReview:
    cpom = Cpom.objects.select_for_update().get(pk=cpom.pk)
    _require(permissions.leads(user, cpom))
    problems = review_problems(cpom, year, today)
    if problems:
        raise ValidationError(problems)
    return seed_review(cpom, user, year)


def seed_review(cpom, user, year) -> AnnualReview:
    """The review of ``year`` prepared from the values known now, without the
    campaign's rule (``open_review`` checks it; the demo seeds a review of its
    open campaign through here)."""
    review = AnnualReview(cpom=cpom, year=year, opened_by=user)
    review._history_user = user
    review.save()
    _prepare_items(review)
    return review


@transaction.atomic
def refresh_review(review, user) -> AnnualReview:
    """Read the known values again (a value validated since the opening)."""
    current = _locked_draft(AnnualReview, review)
    _require(permissions.leads(user, current.cpom))
    _prepare_items(current)
    return current


def _items_of(record, item_ids):
    items = {item.pk: item for item in record.items.all()}
    unknown = set(item_ids) - set(items)
    if unknown:
        raise ValidationError(_("Un engagement indiqué n’appartient pas à ce document."))
    return items


@transaction.atomic
def record_remarks(review, user, remarks: dict) -> AnnualReview:
    """``remarks``: {item id: text}, written on the user's side: the ARS's
    remarks for the ARS, the establishment's for a member of the entity."""
    current = _locked_draft(AnnualReview, review)
    if permissions.leads(user, current.cpom):
        field = "ars_remark"
    elif permissions.answers(user, current.cpom):
        field = "establishment_remark"
    else:
        raise PermissionDenied
    items = _items_of(current, remarks)
    for pk, text in remarks.items():
        item = items[pk]
        setattr(item, field, text.strip())
        item._history_user = user
        item.save()
    return current


@transaction.atomic
def record_decisions(review, user, *, meeting_date, attendees, decisions: dict) -> AnnualReview:
    """The meeting and, per item, ``decisions[item id]`` = {"status",
    "decision", "indicators" (ids of the targets to revise), "note"}."""
    current = _locked_draft(AnnualReview, review)
    _require(permissions.leads(user, current.cpom))
    if meeting_date is not None and meeting_date > timezone.localdate():
        raise ValidationError(_("La date de la réunion ne peut être dans le futur."))
    current.meeting_date, current.attendees = meeting_date, attendees.strip()
    current._history_user = user
    current.save()
    items = _items_of(current, decisions)
    for pk, choice in decisions.items():
        item = items[pk]
        status, decision = choice.get("status") or item.status, choice.get("decision") or ""
        if status not in Achievement.values or (decision and decision not in Decision.values):
            raise ValidationError(_("Choix invalide pour « %(title)s ».") % {"title": item.title})
        chosen = set(choice.get("indicators") or ())
        own = set(item.commitment.indicators.values_list("pk", flat=True)) if item.commitment_id else set()
        if chosen - own:
            raise ValidationError(
                _("« %(title)s » : les cibles à revoir sont celles de ses propres indicateurs.") % {"title": item.title}
            )
        if decision in REVISING and not chosen:
            raise ValidationError(
                _("« %(title)s » : cochez les indicateurs dont les cibles sont à revoir.") % {"title": item.title}
            )
        item.status = Achievement.ABANDONED if decision == Decision.ABANDON else status
        item.decision = decision
        item.revision_note = (choice.get("note") or "").strip()
        item._history_user = user
        item.save()
        item.revised_indicators.set(chosen if decision in REVISING else ())
    return current


def finalize_problems(review) -> list[str]:
    problems = []
    if review.meeting_date is None:
        problems.append(_("Indiquez la date de la réunion."))
    if not review.attendees.strip():
        problems.append(_("Indiquez les participants à la réunion."))
    undecided = [item.title for item in review.items.all() if not item.decision]
    if undecided:
        problems.append(
            _("Une décision manque pour : %(titles)s.") % {"titles": ", ".join(f"« {t} »" for t in undecided)}
        )
    return problems


def amendment_reason(review, items) -> str:
    """The object of the amendment a review opens: the targets to revise."""
    parts = []
    for item in items:
        labels = ", ".join(f"« {i.label} »" for i in item.revised_indicators.all())
        text = _("engagement « %(title)s » — cibles de %(labels)s") % {"title": item.title, "labels": labels}
        if item.revision_note:
            text += f" ({item.revision_note})"
        parts.append(text)
    return _("Revue annuelle %(year)s : cibles à revoir — %(targets)s.") % {"year": review.year,
                                                                           "targets": " ; ".join(parts)}  # fmt: skip


@transaction.atomic
def finalize_review(review, user) -> AnnualReview:
    current = _locked_draft(AnnualReview, review)
    _require(permissions.leads(user, current.cpom))
    problems = finalize_problems(current)
    amending = [
        item for item in current.items.prefetch_related("revised_indicators") if item.decision == Decision.AMEND
    ]
    if amending and not workflow.allowed(user, current.cpom, "amend"):
        problems.append(
            _("Un avenant est déjà en cours de rédaction sur ce CPOM : faites-le signer avant de finaliser une revue "
              "qui en ouvre un autre, ou retenez « Réviser une cible ».")
        )  # fmt: skip
    if problems:
        raise ValidationError(problems)
    if amending:
        current.amendment = cpom_services.open_amendment(current.cpom, user, amendment_reason(current, amending))
    current.status = ReviewStatus.FINALIZED
    current.finalized_by, current.finalized_at = user, timezone.now()
    current._history_user = user
    current.save()
    document = documents.store(current, user)
    transaction.on_commit(lambda: send_document(current, document), robust=True)
    return current


def send_document(record, document) -> int:
    """Email the stored minutes (or report) to the directors of the entity."""
    cpom = record.cpom
    is_review = hasattr(record, "year")
    if is_review:
        link = reverse("reviews:minutes", args=[cpom.pk, record.year])
        subject = _("[CPOM Volet 3] Compte rendu de la revue annuelle %(year)s — CPOM %(period)s") % {
            "year": record.year, "period": cpom.period}  # fmt: skip
    else:
        link = reverse("reviews:report", args=[cpom.pk])
        subject = _("[CPOM Volet 3] Rapport d’évaluation finale — CPOM %(period)s") % {"period": cpom.period}
    context = {
        "title": document.get_kind_display(),
        "year": getattr(record, "year", None),
        "period": cpom.period,
        "entity": cpom.legal_entity.name,
        "number": document.number,
        "sha256": document.sha256,
        "link": mail.site_link(link),
        "page": mail.site_link(record.get_absolute_url()),
    }
    reason = _("vous dirigez l’établissement signataire de ce CPOM")
    return mail.send_each(
        mail.compose("reviews/email/document", context, to=director.email, subject=subject, reason=reason)
        for director in directors_of([cpom.legal_entity_id])
    )


# --- The final evaluation ----------------------------------------------------------------------


def evaluation_problems(cpom, today=None) -> list[str]:
    today = today or timezone.localdate()
    if not cpom.has_been_signed:
        return [_("L’évaluation finale porte sur un CPOM signé.")]
    if today.year < cpom.last_year:
        return [_("L’évaluation finale s’ouvre dans la dernière année du CPOM (%(year)s).") % {"year": cpom.last_year}]
    if FinalEvaluation.objects.filter(cpom=cpom).exists():
        return [_("L’évaluation finale de ce CPOM est déjà ouverte.")]
    return []


def _prepare_evaluation(evaluation):
    commitments = assessment.commitments_of(evaluation.cpom)
    computed = assessment.evaluation_lines(commitments, evaluation.cpom.years)
    existing = {item.commitment_id: item for item in evaluation.items.all()}
    for position, commitment in enumerate(commitments, start=1):
        trajectory, met, total = computed[commitment.pk]
        item = existing.get(commitment.pk) or EvaluationItem(evaluation=evaluation, commitment=commitment)
        item.position, item.title, item.theme = position, commitment.title, commitment.theme
        item.trajectory, item.targets_met, item.targets_total = trajectory, met, total
        item.save()


@transaction.atomic
def open_evaluation(cpom, user, today=None) -> FinalEvaluation:
    cpom = Cpom.objects.select_for_update().get(pk=cpom.pk)
    _require(permissions.leads(user, cpom))
    problems = evaluation_problems(cpom, today)
    if problems:
        raise ValidationError(problems)
    evaluation = FinalEvaluation(cpom=cpom, opened_by=user)
    evaluation._history_user = user
    evaluation.save()
    _prepare_evaluation(evaluation)
    return evaluation


@transaction.atomic
def refresh_evaluation(evaluation, user) -> FinalEvaluation:
    current = _locked_draft(FinalEvaluation, evaluation)
    _require(permissions.leads(user, current.cpom))
    _prepare_evaluation(current)
    return current


@transaction.atomic
def record_conclusions(evaluation, user, conclusions: dict, carry_over: set | None = None) -> FinalEvaluation:
    """``conclusions``: {item id: text} on the user's side; ``carry_over``
    (the ARS only): the ids of the items to carry into the next CPOM."""
    current = _locked_draft(FinalEvaluation, evaluation)
    leads = permissions.leads(user, current.cpom)
    if not leads and not permissions.answers(user, current.cpom):
        raise PermissionDenied
    if carry_over is not None and not leads:
        raise PermissionDenied
    field = "ars_conclusion" if leads else "establishment_conclusion"
    items = _items_of(current, set(conclusions) | set(carry_over or ()))
    for item in items.values():
        if item.pk in conclusions:
            setattr(item, field, conclusions[item.pk].strip())
        if carry_over is not None:
            if item.carried_to_id and item.pk not in carry_over:
                raise ValidationError(
                    _("« %(title)s » est déjà reconduit dans le CPOM suivant.") % {"title": item.title}
                )
            item.carry_over = item.pk in carry_over
        item._history_user = user
        item.save()
    return current


def next_cpom_of(cpom):
    """The entity's CPOM that follows ``cpom`` (starting the year after), or None."""
    return Cpom.objects.filter(legal_entity_id=cpom.legal_entity_id, first_year=cpom.last_year + 1).first()


@transaction.atomic
def reconduct(evaluation, user) -> Cpom:
    """Copy the commitments chosen for carrying over (not yet carried) into
    the draft of the entity's next CPOM, made through the contract's service
    if there is none (same length, from the year after)."""
    current = FinalEvaluation.objects.select_for_update().select_related("cpom__legal_entity").get(pk=evaluation.pk)
    _require(permissions.leads(user, current.cpom))
    chosen = list(
        current.items.filter(carry_over=True, carried_to__isnull=True, commitment__isnull=False).select_related(
            "commitment"
        )
    )
    if not chosen:
        raise ValidationError(_("Aucun engagement à reconduire : cochez « Reconduire » sur ceux à reprendre."))
    cpom = current.cpom
    target = next_cpom_of(cpom)
    if target is None:
        length = min(cpom.last_year - cpom.first_year + 1, CPOM_MAX_YEARS)
        target = cpom_services.create_cpom(user, cpom.legal_entity, cpom.last_year + 1, cpom.last_year + length)
    elif not target.is_editable:
        raise ValidationError(
            _("Le CPOM suivant (%(period)s) n’est plus en rédaction : ouvrez-y un avenant pour y reprendre des "
              "engagements.") % {"period": target.period}
        )  # fmt: skip
    baselines = assessment.last_known([i.pk for item in chosen for i in item.commitment.indicators.all()])
    for item in chosen:
        item.carried_to = cpom_services.carry_over_commitment(item.commitment, target, user, baselines)
        item._history_user = user
        item.save()
    current.next_cpom = target
    current._history_user = user
    current.save()
    if current.is_finalized:
        # The report says where each commitment went: a new version of it.
        documents.store(current, user)
    return target


@transaction.atomic
def finalize_evaluation(evaluation, user) -> FinalEvaluation:
    current = _locked_draft(FinalEvaluation, evaluation)
    _require(permissions.leads(user, current.cpom))
    missing = [item.title for item in current.items.all() if not item.ars_conclusion.strip()]
    if missing:
        raise ValidationError(
            _("La conclusion de l’ARS manque pour : %(titles)s.") % {"titles": ", ".join(f"« {t} »" for t in missing)}
        )
    current.status = ReviewStatus.FINALIZED
    current.finalized_by, current.finalized_at = user, timezone.now()
    current._history_user = user
    current.save()
    document = documents.store(current, user)
    transaction.on_commit(lambda: send_document(current, document), robust=True)
    return current
