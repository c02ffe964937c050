"""What notifies whom. The steps are read where they are recorded, so that
no service has to remember to notify: a CPOM moving along its workflow and a
change proposal made or answered, from their history records; a value sent
back, from its status event. Each step tells the side it now waits on."""

from django.db.models.signals import post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils.translation import gettext as _
from simple_history.signals import post_create_historical_record

from cpom import workflow
from cpom.models import ChangeProposal, Cpom, ProposalStatus
from indicators.models import DeclarationEvent, DeclarationStatus
from notifications.recipients import ars_side, establishment_side
from notifications.services import notify
from reviews.models import AnnualReview, FinalEvaluation, ReviewStatus


def _action(previous_status, status):
    """The workflow action that moved a CPOM from one step to the next."""
    for name, action in workflow.ACTIONS.items():
        if previous_status in action.sources and action.target == status:
            return name
    return None


def _cpom_step(cpom, previous_status, actor):
    name = _action(previous_status, cpom.status)
    if name is None:
        return
    entity = cpom.legal_entity.name
    what = {"period": cpom.period, "entity": entity}
    link = cpom.get_absolute_url()
    establishment = establishment_side(cpom.legal_entity_id)
    if name == "share":
        notify(establishment, "cpom_shared", _("CPOM %(period)s de %(entity)s : partagé pour concertation") % what,
               link, body=_("L’ARS attend vos remarques et vos propositions de modification."), actor=actor)  # fmt: skip
    elif name == "return" and actor is not None and actor.pk in {user.pk for user in establishment}:
        notify(ars_side(cpom.region_id), "cpom_returned",
               _("CPOM %(period)s de %(entity)s : rendu par l’établissement") % what, link,
               body=_("L’établissement a clos son tour de concertation : ses remarques vous attendent."), actor=actor)  # fmt: skip
    elif name == "return":
        notify(establishment, "cpom_round_closed", _("CPOM %(period)s de %(entity)s : tour de concertation clos") % what,
               link, actor=actor)  # fmt: skip
    elif name == "ready":
        notify(establishment, "cpom_ready", _("CPOM %(period)s de %(entity)s : prêt à signer") % what, link,
               body=_("Le texte est arrêté : il ne change plus avant la signature."), actor=actor)  # fmt: skip
    elif name == "back":
        notify(establishment, "cpom_reopened", _("CPOM %(period)s de %(entity)s : la rédaction reprend") % what,
               link, actor=actor)  # fmt: skip
    elif name == "sign":
        notify(establishment, "cpom_signed", _("CPOM %(period)s de %(entity)s : signé") % what, link,
               body=_("Les valeurs de ses indicateurs seront à déclarer à chaque campagne de suivi."), actor=actor)  # fmt: skip
    elif name == "amend":
        notify(establishment, "cpom_amendment", _("CPOM %(period)s de %(entity)s : avenant ouvert") % what, link,
               actor=actor)  # fmt: skip


def _proposal(proposal, history_type, previous_status, actor):
    cpom = proposal.commitment.cpom
    what = {"period": cpom.period, "entity": cpom.legal_entity.name, "target": proposal.target_label}
    link = proposal.commitment.get_absolute_url()
    if history_type == "+":
        notify(ars_side(cpom.region_id), "proposal_made",
               _("CPOM %(period)s de %(entity)s : proposition sur « %(target)s »") % what, link,
               body=proposal.reason, actor=actor)  # fmt: skip
    elif previous_status == ProposalStatus.PENDING and proposal.status != ProposalStatus.PENDING:
        what["answer"] = proposal.get_status_display().lower()
        notify([proposal.author], "proposal_decided",
               _("Votre proposition sur « %(target)s » : %(answer)s") % what, link,
               body=proposal.decision_note, actor=actor)  # fmt: skip


@receiver(post_create_historical_record)
def step_recorded(sender, instance, history_instance, history_user=None, **kwargs):
    if not isinstance(instance, Cpom | ChangeProposal):
        return
    previous = history_instance.prev_record if history_instance.history_type == "~" else None
    if isinstance(instance, Cpom):
        if previous is not None and previous.status != instance.status:
            _cpom_step(instance, previous.status, history_user)
    else:
        _proposal(instance, history_instance.history_type, getattr(previous, "status", None), history_user)


@receiver(post_save, sender=DeclarationEvent)
def declaration_step(sender, instance, created, raw=False, **kwargs):
    if raw or not created or instance.status != DeclarationStatus.SENT_BACK:
        return
    declaration = instance.declaration
    indicator = declaration.indicator
    cpom = indicator.commitment.cpom
    notify(
        establishment_side(cpom.legal_entity_id),
        "declaration_sent_back",
        _("Valeur %(year)s de « %(label)s » renvoyée pour correction")
        % {"year": declaration.year, "label": indicator.label},
        reverse("indicators:declare", args=[declaration.campaign_id, cpom.legal_entity.finess]),
        body=instance.reason,
        actor=instance.user,
    )


@receiver(post_create_historical_record)
def review_finalized(sender, instance, history_instance, history_user=None, **kwargs):
    """A review or an evaluation finalized: its document waits for the establishment."""
    if not isinstance(instance, AnnualReview | FinalEvaluation) or history_instance.history_type != "~":
        return
    previous = history_instance.prev_record
    if previous is None or previous.status == instance.status or instance.status != ReviewStatus.FINALIZED:
        return
    cpom = instance.cpom
    what = {"period": cpom.period, "entity": cpom.legal_entity.name}
    if isinstance(instance, AnnualReview):
        what["year"] = instance.year
        title = _("CPOM %(period)s de %(entity)s : compte rendu de la revue annuelle %(year)s") % what
        link = reverse("reviews:minutes", args=[cpom.pk, instance.year])
    else:
        title = _("CPOM %(period)s de %(entity)s : rapport d’évaluation finale") % what
        link = reverse("reviews:report", args=[cpom.pk])
    notify(establishment_side(cpom.legal_entity_id), "review_document", title, link, actor=history_user)
