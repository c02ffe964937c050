"""The peer comparison on pages of other apps, in one line each:

- an establishment's page: ``{% load territories %}{% establishment_peers site %}``
- an indicator's page: ``{% load territories %}{% indicator_peers indicator %}``

Each tag reads the signed-in user from the request and adds a fixed number
of queries (two or three) to the page."""

from django import template
from django.urls import reverse

from territories import peers
from territories.views import add_strips

register = template.Library()


@register.inclusion_tag("territories/_peers.html", takes_context=True)
def establishment_peers(context, establishment):
    """``establishment``: a site the page already found through
    ``Establishment.objects.visible_to(user)``."""
    user = context["request"].user
    result = peers.establishment_peers(user, establishment)
    add_strips(result)
    return {"peers": result, "comparison_url": reverse("territories:comparison", args=[establishment.finess])}


@register.inclusion_tag("territories/_indicator_peers.html", takes_context=True)
def indicator_peers(context, indicator):
    """``indicator``: a CPOM indicator the page already found through
    ``Indicator.objects.visible_to(user)``."""
    user = context["request"].user
    distribution = peers.template_distributions(user, [indicator]).get(indicator.pk)
    return {"indicator": indicator, "distribution": distribution, "min_peers": peers.MIN_PEERS}
