"""The emails of the follow-up. Sent by Celery tasks; the demo prints them
on the console (EMAIL_BACKEND)."""

from django.conf import settings
from django.core.mail import send_mass_mail
from django.urls import reverse
from django.utils.translation import gettext as _

from indicators.follow_up import directors_of, reminder_recipients
from indicators.models import Campaign, Declaration


def _link(name, *args):
    return settings.SITE_URL.rstrip("/") + reverse(name, args=args)


def _send(messages):
    if not messages:
        return 0
    return send_mass_mail([(subject, body, settings.DEFAULT_FROM_EMAIL, [to]) for subject, body, to in messages])


def campaign_opened(campaign: Campaign) -> int:
    entities = campaign.cpoms.values_list("legal_entity_id", flat=True)
    subject = _("[CPOM Volet 3] Campagne de suivi %(year)s : vos indicateurs à renseigner") % {"year": campaign.year}
    body = _(
        "Bonjour,\n\nL’ARS %(region)s ouvre la campagne de suivi %(year)s des engagements de coopération "
        "(volet 3) de votre CPOM.\nDéclarations du %(opens)s au %(closes)s ; corrections jusqu’au %(until)s.\n\n"
        "Vos indicateurs à renseigner : %(link)s\n"
    ) % {
        "region": campaign.region.name,
        "year": campaign.year,
        "opens": campaign.opens_on.strftime("%d/%m/%Y"),
        "closes": campaign.closes_on.strftime("%d/%m/%Y"),
        "until": campaign.corrections_until.strftime("%d/%m/%Y"),
        "link": _link("indicators:my_declarations"),
    }
    return _send([(subject, body, director.email) for director in directors_of(entities)])


def declaration_sent_back(declaration: Declaration) -> int:
    indicator = declaration.indicator
    entity_id = indicator.commitment.cpom.legal_entity_id
    reason = declaration.events.filter(status=declaration.status).order_by("-at").values_list("reason", flat=True)
    subject = _("[CPOM Volet 3] Valeur renvoyée pour correction : %(label)s") % {"label": indicator.label}
    body = _(
        "Bonjour,\n\nL’ARS vous renvoie pour correction la valeur %(year)s de l’indicateur « %(label)s ».\n"
        "Motif : %(reason)s\n\nCorriger la valeur : %(link)s\n"
    ) % {
        "year": declaration.year,
        "label": indicator.label,
        "reason": reason.first() or "",
        "link": _link("indicators:my_declarations"),
    }
    return _send([(subject, body, director.email) for director in directors_of([entity_id])])


def campaign_reminder(campaign: Campaign) -> int:
    subject = _("[CPOM Volet 3] Rappel : clôture des déclarations le %(date)s") % {
        "date": campaign.closes_on.strftime("%d/%m/%Y")
    }
    messages = []
    for director, missing in reminder_recipients(campaign):
        body = _(
            "Bonjour,\n\nLa campagne de suivi %(year)s se clôt le %(date)s. Il vous reste %(n)s valeur(s) à "
            "soumettre.\n\nVos indicateurs à renseigner : %(link)s\n"
        ) % {
            "year": campaign.year,
            "date": campaign.closes_on.strftime("%d/%m/%Y"),
            "n": missing,
            "link": _link("indicators:my_declarations"),
        }
        messages.append((subject, body, director.email))
    return _send(messages)
