"""A local OpenID Connect provider shaped like ProConnect, for the tests and
the demo (``make proconnect-demo``): never the real one, no internet.

What ProConnect does and the application relies on: code flow, the ID token
and the userinfo signed RS256 with a key of its JWKS, the userinfo answered
as a JWT (``application/jwt``), the end-session endpoint. It refuses an
authorize parameter outside ProConnect's list and a state or nonce shorter
than 32 characters, as ProConnect does. The tests steer it: the person who
signs in next (``identity``; without one, a form asks, as in the demo), an
expired code, a userinfo signed with a key not in the JWKS.

Standard library and PyJWT (a dependency of mozilla-django-oidc) only: the
oidc-provider-mock package needs Python 3.12 and answers the userinfo as
plain JSON."""

import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

AUTHORIZE_PARAMETERS = {
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "acr_values",
    "claims",
    "prompt",
}
CODE_SECONDS = 60


@dataclass
class Identity:
    sub: str
    email: str
    given_name: str = "Camille"
    usual_name: str = "Martin"
    siret: str = ""
    uid: str = ""
    acr: str = "eidas1"
    # Goes through a second factor when the application asks for one (an essential acr claim).
    can_mfa: bool = True

    def claims(self):
        return {
            "sub": self.sub,
            "email": self.email,
            "given_name": self.given_name,
            "usual_name": self.usual_name,
            "siret": self.siret,
            "uid": self.uid or self.sub,
        }


@dataclass
class Provider:
    client_id: str = "cpom-local"
    client_secret: str = "secret-local-" + "x" * 20  # nosec B105 - a local test provider's
    host: str = "127.0.0.1"
    port: int = 0
    identity: Identity | None = None
    # Steering: the next code expires at once; the userinfo is signed by a key not in the JWKS.
    expire_codes: bool = False
    forge_userinfo: bool = False
    # What it was asked, for the tests.
    authorize_requests: list = field(default_factory=list)
    logouts: list = field(default_factory=list)

    def __post_init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.forged_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)
        self.codes = {}
        self.tokens = {}
        self.server = None

    @property
    def issuer(self):
        return f"http://{self.host}:{self.server.server_address[1]}"

    def env(self):
        """The application's environment for this provider."""
        return {
            "PROCONNECT_DISCOVERY_URL": f"{self.issuer}/.well-known/openid-configuration",
            "PROCONNECT_CLIENT_ID": self.client_id,
            "PROCONNECT_CLIENT_SECRET": self.client_secret,
        }

    def discovery(self):
        base = self.issuer
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/jwks",
            "end_session_endpoint": f"{base}/session/end",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "userinfo_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "given_name", "usual_name", "siret", "uid"],
            "acr_values_supported": ["eidas1", "eidas2", "eidas3"],
            "claims_parameter_supported": True,
        }

    def jwks(self):
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def sign(self, claims, forged=False):
        return jwt.encode(claims, self.forged_key if forged else self.key, algorithm="RS256", headers={"kid": self.kid})

    def issue_code(self, identity, params):
        code = secrets.token_urlsafe(32)
        acr = identity.acr
        wanted = json.loads(params.get("claims") or "{}").get("id_token", {}).get("acr", {})
        if wanted.get("essential") and acr not in wanted.get("values", []) and identity.can_mfa:
            acr = wanted["values"][0]  # the person went through his second factor
        self.codes[code] = {
            "identity": identity,
            "nonce": params.get("nonce"),
            "redirect_uri": params["redirect_uri"],
            "acr": acr,
            "expires": time.time() + (-1 if self.expire_codes else CODE_SECONDS),
        }
        return code

    def start(self):
        provider = self

        class Handler(ProviderHandler):
            pass

        Handler.provider = provider
        self.server = ThreadingHTTPServer((self.host, self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()


class ProviderHandler(BaseHTTPRequestHandler):
    provider: Provider

    def log_message(self, format, *args):  # quiet in tests
        return

    def _send(self, status, body=b"", content_type="application/json", headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status, data):
        self._send(status, json.dumps(data).encode())

    def _redirect(self, url):
        self._send(302, headers={"Location": url}, content_type="text/plain")

    def do_GET(self):
        url = urlsplit(self.path)
        params = {key: values[-1] for key, values in parse_qs(url.query).items()}
        provider = self.provider
        if url.path == "/.well-known/openid-configuration":
            return self._json(200, provider.discovery())
        if url.path == "/jwks":
            return self._json(200, provider.jwks())
        if url.path == "/authorize":
            return self._authorize(params)
        if url.path == "/userinfo":
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            identity = provider.tokens.get(token)
            if identity is None:
                return self._json(401, {"error": "invalid_token"})
            claims = {**identity.claims(), "iss": provider.issuer, "aud": provider.client_id}
            body = provider.sign(claims, forged=provider.forge_userinfo).encode()
            return self._send(200, body, content_type="application/jwt; charset=utf-8")
        if url.path == "/session/end":
            provider.logouts.append(params)
            target = params.get("post_logout_redirect_uri", "")
            if not target:
                return self._send(400, b"missing post_logout_redirect_uri", "text/plain")
            return self._redirect(f"{target}?{urlencode({'state': params.get('state', '')})}")
        return self._send(404, b"not found", "text/plain")

    def _authorize(self, params):
        provider = self.provider
        provider.authorize_requests.append(params)
        unknown = set(params) - AUTHORIZE_PARAMETERS
        if unknown or params.get("response_type") != "code" or params.get("client_id") != provider.client_id:
            return self._send(400, f"invalid request: {sorted(unknown)}".encode(), "text/plain")
        if len(params.get("state", "")) < 32 or len(params.get("nonce", "")) < 32:
            return self._send(400, b"state and nonce must be at least 32 characters", "text/plain")
        if provider.identity is not None:
            code = provider.issue_code(provider.identity, params)
            return self._redirect(f"{params['redirect_uri']}?{urlencode({'code': code, 'state': params['state']})}")
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in params.items()
        )
        page = f"""<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>ProConnect local</title></head>
<body><main><h1>ProConnect local (démonstration)</h1>
<p>Fournisseur d’identité de test : choisissez la personne qui se connecte.</p>
<form method="post" action="/authorize">{hidden}
<p><label>Adresse électronique <input name="email" value="camille.martin@ch-bravo.fr" required></label></p>
<p><label>Prénom <input name="given_name" value="Camille"></label></p>
<p><label>Nom <input name="usual_name" value="Martin"></label></p>
<p><label>SIRET <input name="siret" value=""></label></p>
<p><label><input type="checkbox" name="mfa" value="1"> Double authentification faite</label></p>
<p><button type="submit">Se connecter</button></p></form></main></body></html>"""
        return self._send(200, page.encode(), "text/html; charset=utf-8")

    def do_POST(self):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        form = {key: values[-1] for key, values in parse_qs(self.rfile.read(length).decode()).items()}
        provider = self.provider
        if url.path == "/authorize":
            email = form.get("email", "").strip().lower()
            identity = Identity(
                sub="local-" + email,
                email=email,
                given_name=form.get("given_name", ""),
                usual_name=form.get("usual_name", ""),
                siret=form.get("siret", ""),
                acr="eidas2" if form.get("mfa") else "eidas1",
                can_mfa=bool(form.get("mfa")),
            )
            params = {key: value for key, value in form.items() if key in AUTHORIZE_PARAMETERS}
            code = provider.issue_code(identity, params)
            return self._redirect(f"{params['redirect_uri']}?{urlencode({'code': code, 'state': params['state']})}")
        if url.path == "/token":
            if form.get("client_id") != provider.client_id or form.get("client_secret") != provider.client_secret:
                return self._json(401, {"error": "invalid_client"})
            grant = provider.codes.pop(form.get("code", ""), None)
            if grant is None or grant["expires"] < time.time() or grant["redirect_uri"] != form.get("redirect_uri"):
                return self._json(400, {"error": "invalid_grant"})
            identity = grant["identity"]
            access_token = secrets.token_urlsafe(32)
            provider.tokens[access_token] = identity
            now = int(time.time())
            id_token = provider.sign(
                {
                    "iss": provider.issuer,
                    "aud": provider.client_id,
                    "sub": identity.sub,
                    "nonce": grant["nonce"],
                    "acr": grant["acr"],
                    "amr": ["pwd", "mfa"] if grant["acr"] != "eidas1" else ["pwd"],
                    "iat": now,
                    "exp": now + 60,
                }
            )
            return self._json(
                200,
                {"access_token": access_token, "id_token": id_token, "token_type": "Bearer", "expires_in": 60},  # nosec B105 - token type name
            )
        return self._send(404, b"not found", "text/plain")
