"""The steps of a CPOM, declared once: each action, the steps it starts
from, the step it leads to and who may take it. The services move a CPOM
only along an action (``cpom.services._step``); views, templates and
permissions ask ``is_actor``, ``allowed`` and ``available``, never compare
a status string."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from cpom import permissions
from cpom.models import EDITABLE_STATUSES, CpomStatus

ARS = "ars"  # the negotiators of the CPOM's région, and the admins
ARS_OR_DIRECTOR = "ars_or_director"  # also the director of the CPOM's entity


@dataclass(frozen=True)
class Action:
    name: str
    sources: tuple
    target: str
    who: str
    label: str


ACTIONS = {
    action.name: action
    for action in (
        Action("share", (CpomStatus.PREPARATION,), CpomStatus.CONCERTATION, ARS, _("Partager avec l’établissement")),
        Action(
            "return",
            (CpomStatus.CONCERTATION,),
            CpomStatus.PREPARATION,
            ARS_OR_DIRECTOR,
            _("Clore le tour de concertation"),
        ),
        Action("ready", tuple(EDITABLE_STATUSES), CpomStatus.TO_SIGN, ARS, _("Prêt à signer")),
        Action("back", (CpomStatus.TO_SIGN,), CpomStatus.PREPARATION, ARS, _("Reprendre la rédaction")),
        Action("sign", (CpomStatus.TO_SIGN,), CpomStatus.SIGNED, ARS, _("Enregistrer la signature")),
        Action("amend", (CpomStatus.SIGNED,), CpomStatus.PREPARATION, ARS, _("Ouvrir un avenant")),
    )
}


def is_actor(user, cpom, action) -> bool:
    """Whether ``user`` is among those who may take ``action`` on ``cpom`` (whatever its step)."""
    if permissions.can_manage_cpom(user, cpom):
        return True
    return ACTIONS[action].who == ARS_OR_DIRECTOR and permissions.answers_for(user, cpom)


def allowed(user, cpom, action) -> bool:
    return action in ACTIONS and cpom.status in ACTIONS[action].sources and is_actor(user, cpom, action)


def awaits_establishment(cpom) -> bool:
    """Whether the CPOM's current step waits on its establishment (an action its director may take)."""
    return any(cpom.status in action.sources and action.who == ARS_OR_DIRECTOR for action in ACTIONS.values())


def available(user, cpom) -> set:
    """The actions ``user`` may take on ``cpom`` at its current step."""
    return {name for name in ACTIONS if allowed(user, cpom, name)}
