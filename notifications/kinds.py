"""The catalogue of notifications: each kind, the sentence that names it in
the preferences and whether it emails by default. A kind that waits on its
recipient emails unless he turns it off."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    email_by_default: bool = True


KINDS = {
    kind.code: kind
    for kind in (
        Kind("cpom_shared", _("Un CPOM est partagé avec mon établissement pour concertation")),
        Kind("cpom_returned", _("L’établissement a rendu le CPOM en concertation")),
        Kind("cpom_round_closed", _("L’ARS a clos le tour de concertation")),
        Kind("cpom_ready", _("Un CPOM est prêt à signer")),
        Kind("cpom_reopened", _("La rédaction d’un CPOM prêt à signer reprend")),
        Kind("cpom_signed", _("Un CPOM est signé")),
        Kind("cpom_amendment", _("Un avenant est ouvert")),
        Kind("proposal_made", _("L’établissement propose une modification")),
        Kind("proposal_decided", _("L’ARS a répondu à ma proposition")),
        # The minutes and the report are emailed by reviews itself, to every director: no second email here.
        Kind(
            "review_document",
            _("Le compte rendu d’une revue annuelle ou le rapport d’évaluation finale est disponible"),
            email_by_default=False,
        ),
        Kind("declaration_sent_back", _("Une valeur déclarée est renvoyée pour correction"), email_by_default=False),
    )
}
