"""The code an authenticator app shows for a secret (RFC 6238, 30 s, 6 digits)."""

import base64

from django_otp.oath import TOTP


def code_for(secret: str, drift: int = 0) -> str:
    totp = TOTP(base64.b32decode(secret.replace(" ", "")), step=30, digits=6, drift=drift)
    return f"{totp.token():06d}"
