"""Factories of the follow-up, through its services: a campaign (``open``
today by default, ``upcoming``, ``in_corrections``, ``closed``) and a
declaration at the status its trait asks (``submitted``, ``sent_back``,
``validated``; a draft by default)."""

import datetime

import factory
from django.utils import timezone

from indicators import services
from indicators.models import Campaign, Declaration


def open_campaign_for(user, region, year, cpoms, days_open=5, days_left=20):
    """A campaign whose declaration window is open today."""
    today = timezone.localdate()
    return services.open_campaign(
        user,
        region,
        year,
        today - datetime.timedelta(days=days_open),
        today + datetime.timedelta(days=days_left),
        today + datetime.timedelta(days=days_left + 15),
        cpoms,
    )


class CampaignFactory(factory.Factory):
    """``CampaignFactory(user=…, region=…, year=…, cpoms=[…])``, opened by the service."""

    class Meta:
        model = Campaign

    # Days from today to the opening, the closing and the end of corrections.
    opens_in = -5
    closes_in = 20
    corrections_in = 35

    class Params:
        upcoming = factory.Trait(opens_in=3, closes_in=20, corrections_in=35)
        in_corrections = factory.Trait(opens_in=-30, closes_in=-2, corrections_in=10)
        closed = factory.Trait(opens_in=-60, closes_in=-30, corrections_in=-10)

    @classmethod
    def _create(cls, model_class, user, region, year, cpoms, opens_in, closes_in, corrections_in):
        today = timezone.localdate()
        day = datetime.timedelta(days=1)
        opened = services.open_campaign(
            user, region, year, today + opens_in * day, today + (max(closes_in, opens_in)) * day,
            today + corrections_in * day, cpoms,
        )  # fmt: skip
        return opened

    _build = _create


class DeclarationFactory(factory.Factory):
    """``DeclarationFactory(campaign=…, indicator=…, director=…, raw="12")``
    declared by the director through the service, then moved by the ARS
    (``ars=…``) to the status of its trait."""

    class Meta:
        model = Declaration

    raw = "12"
    comment = ""
    status = "brouillon"
    ars = None
    reason = "Valeur à vérifier avec le bilan social"

    class Params:
        submitted = factory.Trait(status="soumise")
        sent_back = factory.Trait(status="renvoyee")
        validated = factory.Trait(status="validee")

    @classmethod
    def _create(cls, model_class, campaign, indicator, director, raw, comment, status, ars, reason):
        entity = indicator.commitment.cpom.legal_entity_id
        entry = services.Entry(indicator, *indicator.parse(raw), comment=comment)
        services.save_declarations(director, campaign, entity, [entry], submit=status != "brouillon")
        declaration = Declaration.objects.get(indicator=indicator, year=campaign.year)
        if status == "renvoyee":
            services.send_back(ars, declaration, reason)
        elif status == "validee":
            services.validate_declaration(ars, declaration)
        declaration.refresh_from_db()
        return declaration

    _build = _create
