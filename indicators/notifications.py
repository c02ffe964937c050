"""The emails of the follow-up, composed by core.mail from the templates of
indicators/email/ and delivered one task per recipient. Called by Celery
tasks; the demo prints them on the console (EMAIL_BACKEND)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from core import mail
from indicators.follow_up import directors_of, reminder_recipients
from indicators.models import Campaign, Declaration


def _director_reason():
    return _("vous dirigez un établissement dont le CPOM est suivi sur cette plateforme")


def _my_declarations():
    return mail.site_link(reverse("indicators:my_declarations"))


def campaign_opened(campaign: Campaign) -> int:
    entities = campaign.cpoms.values_list("legal_entity_id", flat=True)
    subject = _("[CPOM Volet 3] Campagne de suivi %(year)s : vos indicateurs à renseigner") % {"year": campaign.year}
    context = {
        "region": campaign.region.name,
        "year": campaign.year,
        "opens_on": campaign.opens_on,
        "closes_on": campaign.closes_on,
        "corrections_until": campaign.corrections_until,
        "link": _my_declarations(),
    }
    return mail.send_each(
        mail.compose(
            "indicators/email/campaign_opened", context, to=director.email, subject=subject, reason=_director_reason()
        )
        for director in directors_of(entities)
    )


def declaration_sent_back(declaration: Declaration) -> int:
    indicator = declaration.indicator
    entity_id = indicator.commitment.cpom.legal_entity_id
    motive = declaration.events.filter(status=declaration.status).order_by("-at").values_list("reason", flat=True)
    subject = _("[CPOM Volet 3] Valeur renvoyée pour correction : %(label)s") % {"label": indicator.label}
    context = {
        "year": declaration.year,
        "label": indicator.label,
        "motive": motive.first() or "",
        "link": _my_declarations(),
    }
    return mail.send_each(
        mail.compose(
            "indicators/email/declaration_sent_back",
            context,
            to=director.email,
            subject=subject,
            reason=_director_reason(),
        )
        for director in directors_of([entity_id])
    )


def declaration_reopened(declaration: Declaration) -> int:
    """A validated value the ARS reopened: the director learns why, and where to correct it."""
    indicator = declaration.indicator
    entity_id = indicator.commitment.cpom.legal_entity_id
    motive = declaration.events.filter(status=declaration.status).order_by("-at").values_list("reason", flat=True)
    subject = _("[CPOM Volet 3] Valeur validée rouverte par l’ARS : %(label)s") % {"label": indicator.label}
    context = {
        "year": declaration.year,
        "label": indicator.label,
        "motive": motive.first() or "",
        "link": mail.site_link(reverse("indicators:declaration_detail", args=[declaration.pk])),
    }
    return mail.send_each(
        mail.compose(
            "indicators/email/declaration_reopened",
            context,
            to=director.email,
            subject=subject,
            reason=_director_reason(),
        )
        for director in directors_of([entity_id])
    )


def campaign_reminder(campaign: Campaign) -> int:
    subject = _("[CPOM Volet 3] Rappel : clôture des déclarations le %(date)s") % {
        "date": campaign.closes_on.strftime("%d/%m/%Y")
    }
    context = {"year": campaign.year, "closes_on": campaign.closes_on, "link": _my_declarations()}
    return mail.send_each(
        mail.compose(
            "indicators/email/campaign_reminder",
            {**context, "missing": missing},
            to=director.email,
            subject=subject,
            reason=_director_reason(),
        )
        for director, missing in reminder_recipients(campaign)
    )
