"""``Authorization: Bearer <token>``: the only way into the API's data."""

from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from api import tokens

KEYWORD = b"bearer"


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(_("En-tête Authorization invalide : « Bearer <jeton> » attendu."))
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(_("Jeton d’API invalide.")) from None
        try:
            token, user = tokens.authenticate(key)
        except tokens.TokenRefusedError as refusal:
            raise AuthenticationFailed(str(refusal)) from None
        return user, token

    def authenticate_header(self, request):
        # Present: refusals are 401 with WWW-Authenticate, not 403.
        return 'Bearer realm="api"'
