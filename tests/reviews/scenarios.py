"""The reviews' scenario of the test world (on the follow-up's): the 2024
campaign of Île-de-France, closed, with validated values of cpom_a_old, and
the same in Hauts-de-France for cpom_c_old."""

import datetime

from django.utils import timezone

from indicators.models import Campaign
from tests.indicators.factories import DeclarationFactory, open_campaign_for


def close(campaign, days_ago=120):
    """Move a campaign's windows into the past: its values are final."""
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    Campaign.objects.filter(pk=campaign.pk).update(
        opens_on=today - (days_ago + 60) * day,
        closes_on=today - (days_ago + 30) * day,
        corrections_until=today - days_ago * day,
    )
    campaign.refresh_from_db()
    return campaign


def build_reviews(world):
    """- campaign_idf_2024: closed 120 days ago; of cpom_a_old's first
      indicator 12 is validated (target 10, final target 11: reached), of its
      second 5 (target 10: late); its computed indicator has no value;
    - campaign_hdf_2024: closed, cpom_c_old's indicator at 10 (reached on the year)."""
    users = world["users"]
    nego, nego_hdf = users["negotiator"], users["negotiator_other"]
    first, second = world["indicators_a_old"]
    campaign = open_campaign_for(nego, world["cpom_a_old"].region, 2024, [world["cpom_a_old"]])
    DeclarationFactory(
        campaign=campaign, indicator=first, director=users["director"], raw="12", validated=True, ars=nego
    )
    DeclarationFactory(
        campaign=campaign, indicator=second, director=users["director"], raw="5", validated=True, ars=nego
    )
    close(campaign)
    campaign_hdf = open_campaign_for(nego_hdf, world["cpom_c_old"].region, 2024, [world["cpom_c_old"]])
    indicator_c = world["cpom_c_old"].commitments.get().indicators.get()
    DeclarationFactory(
        campaign=campaign_hdf, indicator=indicator_c, director=users["director_other"], raw="10", validated=True,
        ars=nego_hdf,
    )  # fmt: skip
    close(campaign_hdf)
    return {"campaign_idf_2024": campaign, "campaign_hdf_2024": campaign_hdf}
