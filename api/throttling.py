"""Calls are counted per token (not per address: a hospital's systems may
share one), at ``API_THROTTLE_RATE``."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"

    def get_rate(self):
        return settings.API_THROTTLE_RATE

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            return f"api-throttle-{request.auth.pk}"
        return None
