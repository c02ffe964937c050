"""Settings of the CPOM Volet 3 platform.

One module, configured by environment variables, each with a working default:
with nothing set, the application runs on a SQLite file and Celery runs tasks
eagerly, so that one command starts a demo. Production sets DATABASE_URL,
REDIS_URL, SECRET_KEY, DEBUG=0 and ALLOWED_HOSTS (see docker-compose.yml).
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Refused below when DEBUG is off: it only ever signs the local demo's sessions.
DEV_SECRET_KEY = "dev-only-insecure-key-change-me-in-production-0123456789abcdef"  # nosec B105
DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "dsfr",
    "widget_tweaks",
    "crispy_forms",
    "django_tables2",
    "django_filters",
    "simple_history",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "accounts",
    "cooperations",
    "cpom",
    "indicators",
    "diagnostics",
    "reviews",
    "audit",
    "notifications",
    "portal",
    "api",
    "opendata",
    "territories",
    "demo",
    "tooling",
    "axes",
    # The second factor (TOTP) of password accounts: accounts/second_factor.py
    "django_otp",
    "django_otp.plugins.otp_totp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.NulCharacterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages compressed after every middleware below has written them (BREACH: see core/compression.py).
    "core.compression.TextGZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # A password session of an account that needs a second factor reaches only its pages until verified.
    "accounts.second_factor.SecondFactorMiddleware",
    "core.middleware.PrivateNoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: it reads the outcome of the login view.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.site",
                "notifications.context_processors.unread",
                "accounts.context_processors.acting",
            ],
            # {% url %} without Django's resolver for each link (core/templatetags/object_urls.py).
            "builtins": ["core.templatetags.object_urls"],
        },
    },
]
# DSFR widgets render with django-dsfr's templates; Django's common widgets are written in Python (core/rendering.py).
FORM_RENDERER = "core.rendering.FastTemplatesRenderer"

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A busy timeout lets the eager demo and a second process share the file.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français"))]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Uploaded register and input files: outside the static root, never served directly.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# The largest file accepted for each kind of import (bytes), a margin above the
# largest real file of that kind; a larger file is refused by the form, in French,
# before anything of it is read. Each can be set by IMPORT_MAX_SIZE_<KIND>.
_IMPORT_LIMITS_MIB = {
    # The national FINESS+ « structures » flux: ~750 Mo as raw JSON, ~50 Mo gzipped
    # (data.gouv.fr, 2026; 175k sites): 1 Gio takes the raw file with a third more.
    "finessplus": 1024,
    # The etalab FINESS extract (~100k sites + their geolocation rows, ~40 Mo; the
    # largest here, SAE « ID » 2023, is 1 Mo): 100 Mio, 2.5 times the extract.
    "finess": 100,
    # The DGOS member list (~1,500 rows, XLSX) or the SAE GHT table (104 Ko): 10 Mio.
    "ght": 10,
    # The national stays of a year by site × residence code × field, the largest
    # input: PMSI has no open file, so estimated at 1.5–2.5 M rows of 30–40 bytes,
    # 50–100 Mo (the audit's file: 38.6 Mo); 200 Mio is twice the high estimate.
    "sejours": 200,
    # Support-function costs: ~3,000 entities × 8 functions × a few years, < 2 Mo: 20 Mio.
    "couts": 20,
}
IMPORT_UPLOAD_LIMITS = {
    kind: int(os.environ.get(f"IMPORT_MAX_SIZE_{kind.upper()}", str(mib * 2**20)))
    for kind, mib in _IMPORT_LIMITS_MIB.items()
}
# The ceiling of any upload (core.uploads): above it the request is cut short
# with the French 400 page and nothing reaches the disk.
IMPORT_MAX_UPLOAD_SIZE = int(os.environ.get("IMPORT_MAX_UPLOAD_SIZE", str(max(IMPORT_UPLOAD_LIMITS.values()))))
# Every uploaded file goes to a temporary file on disk, never into memory.
FILE_UPLOAD_HANDLERS = ["core.uploads.CappedTemporaryFileUploadHandler"]
# A form's text fields hold at most 5,000 characters: 2 Mio of fields (files
# apart) is room for hundreds of them; a larger body gets the French 400 page.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", str(2 * 2**20)))
FILE_UPLOAD_PERMISSIONS = 0o640

# Evidence attached to a declaration: size limit (bytes) and the types accepted,
# recognised from the content (libmagic), never from the name.
EVIDENCE_MAX_SIZE = int(os.environ.get("EVIDENCE_MAX_SIZE", str(10 * 2**20)))
# A replaced evidence file stays with the declaration's history this long (the
# audit trail of a campaign, reviewed the next year), then its bytes are purged.
EVIDENCE_REPLACED_RETENTION_DAYS = int(os.environ.get("EVIDENCE_REPLACED_RETENTION_DAYS", "730"))

# Emails (campaigns, send-backs, reminders; core/mail.py): printed on the console unless an SMTP host is set.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT") or "25")
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)  # STARTTLS, usually port 587
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)  # TLS from the start, usually port 465
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL exclude each other: set one of them.")
# Seconds before a silent SMTP server fails the delivery (then retried), instead of holding a worker.
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT") or "10")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "cpom-volet3@ars.sante.fr")
# The address of the site in emails' links.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

DSFR_MARK_OPTIONAL_FIELDS = True
CRISPY_ALLOWED_TEMPLATE_PACKS = ["dsfr_crispy"]
CRISPY_TEMPLATE_PACK = "dsfr_crispy"
DJANGO_TABLES2_TEMPLATE = "django_tables2/dsfr.html"
# No class on the <table>: the DSFR's fr-table is the wrapper of django_tables2/dsfr.html (on the table too, its
# margins left an empty band under the last row).
DJANGO_TABLES2_TABLE_ATTRS = {}

SITE_TITLE = "Coopérations territoriales — CPOM Volet 3"
SITE_TAGLINE = "Engagements de coopération des contrats pluriannuels d’objectifs et de moyens"

# Celery: without REDIS_URL, tasks run eagerly in the calling process.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis stopped: a request that enqueues work answers at once instead of
# retrying the result store for ~19 s (scripts/faults/redis_down.py).
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
}
# A task taken by a worker that died unacknowledged goes back to the queue after
# this many seconds; longer than the longest task (a région's archive).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))}
# Periodic jobs, run by `celery -A config beat` (docker-compose's beat service).
CELERY_BEAT_SCHEDULE = {
    "purge-expired-annex-archives": {"task": "cooperations.tasks.purge_expired_archives", "schedule": 3600.0},
    "remind-campaign-declarations": {"task": "indicators.tasks.send_campaign_reminders", "schedule": 6 * 3600.0},
    "compute-indicators-nightly": {
        "task": "indicators.tasks.compute_every_night",
        "schedule": crontab(hour=2, minute=30),
    },
    "purge-unneeded-evidence": {"task": "indicators.tasks.purge_evidence", "schedule": crontab(hour=3, minute=45)},
    "deactivate-unused-accounts": {"task": "accounts.tasks.deactivate_unused", "schedule": crontab(hour=5, minute=0)},
}
# Accounts unused this many days are warned by email, then deactivated ACCOUNT_WARNING_DAYS later.
ACCOUNT_INACTIVITY_DAYS = int(os.environ.get("ACCOUNT_INACTIVITY_DAYS", "180"))
ACCOUNT_WARNING_DAYS = int(os.environ.get("ACCOUNT_WARNING_DAYS", "14"))

# Redis away costs speed, never a page (core.cache); a dead host is given up fast.
REDIS_CACHE = {
    "BACKEND": "core.cache.ResilientRedisCache",
    "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
}
if REDIS_URL:
    CACHES = {"default": {**REDIS_CACHE, "LOCATION": REDIS_URL}}

# Production hardening: on whenever DEBUG is off.
SESSION_COOKIE_HTTPONLY = True
# Login throttling (django-axes, extended by accounts.lockout): three counters of
# the failures within the cool-off, each with its own limit. A user name from one
# address (a typing user), a user name from every address (rotating addresses
# gives no fresh attempts, yet one address cannot lock a name for everyone at the
# tight limit), an address whatever the name (one address spraying names).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "accounts.proconnect.ProConnectBackend",
]
LOGIN_FAILURE_LIMITS = {
    ("username", "ip_address"): max(1, int(os.environ.get("AXES_FAILURE_LIMIT", "5"))),
    ("username",): max(1, int(os.environ.get("AXES_USERNAME_FAILURE_LIMIT", "20"))),
    ("ip_address",): max(1, int(os.environ.get("AXES_ADDRESS_FAILURE_LIMIT", "50"))),
}
AXES_LOCKOUT_PARAMETERS = [list(parameters) for parameters in LOGIN_FAILURE_LIMITS]
# Axes compares one number with this one limit; the handler scales each counter to it.
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMITS[("username", "ip_address")]
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_COOLOFF_TIME = 0.25  # hours, counted from a counter's last failure
# A success clears the failures of that user name from that address only (LockoutHandler).
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip_address"
AXES_VERBOSE = False
# The client address of a login. Default: REMOTE_ADDR, no header trusted. Behind
# reverse proxies that alone reach the application, TRUSTED_PROXY_COUNT of them:
# the entry the outermost appended to TRUSTED_PROXY_HEADER (accounts.lockout).
TRUSTED_PROXY_COUNT = max(0, int(os.environ.get("TRUSTED_PROXY_COUNT", "0")))
TRUSTED_PROXY_HEADER = "HTTP_" + (
    os.environ.get("TRUSTED_PROXY_HEADER", "X-Forwarded-For").strip().upper().replace("-", "_").removeprefix("HTTP_")
)

# Content Security Policy (django-csp): only this site's files, no inline script,
# handler or style attribute; the only inline blocks (the print CSS of the annex
# and of the diagnostic) carry the request's nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# The API (/api/v1/, app api): Django REST framework, JSON only, a token in
# « Authorization: Bearer … » and nothing else (no session, so no CSRF),
# throttled per token; its OpenAPI 3 schema by drf-spectacular, its
# documentation from drf-spectacular-sidecar's static files.
API_THROTTLE_RATE = os.environ.get("API_THROTTLE_RATE", "600/min")
API_TOKEN_DEFAULT_DAYS = 90
API_TOKEN_MAX_DAYS = 365
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasApiToken"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.FrenchAutoSchema",
    "EXCEPTION_HANDLER": "api.views.exception_handler",
    "COERCE_DECIMAL_TO_STRING": False,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Open data (/donnees-ouvertes/, app opendata): the files written each night
# (and by export_open_data) into this directory, listed and served by the page.
OPEN_DATA_ROOT = Path(os.environ.get("OPEN_DATA_ROOT", MEDIA_ROOT / "donnees-ouvertes"))
CELERY_BEAT_SCHEDULE["export-open-data-nightly"] = {
    "task": "opendata.tasks.export_open_data",
    "schedule": crontab(hour=4, minute=15),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API Coopérations territoriales — CPOM Volet 3",
    "DESCRIPTION": (
        "Lecture des données du volet 3 des CPOM (répertoire, structures de coopération, CPOM, engagements, "
        "indicateurs, campagnes, déclarations, valeurs calculées) et déclaration des valeurs par le système "
        "d’un établissement. Chaque appel porte un jeton : « Authorization: Bearer <jeton> », créé dans "
        "l’application (page « Jetons d’API »). Un jeton voit exactement ce que son titulaire voit dans les "
        "pages. Les grandes collections sont paginées par curseur (lien « next ») ; chaque lecture porte un "
        "ETag (If-None-Match → 304)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "docExpansion": "none", "defaultModelsExpandDepth": 0},
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.document_refusals"],
    "ENUM_NAME_OVERRIDES": {
        "CpomStepEnum": "cpom.models.CpomStatus",
        "CommitmentStatusEnum": "cpom.models.CommitmentStatus",
        "DeclarationStatusEnum": "indicators.models.DeclarationStatus",
        "CampaignPhaseEnum": "indicators.models.CampaignPhase",
    },
}

SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        # The refusals carry who, what and why as fields; the console shows them on one line.
        "access": {
            "format": "%(levelname)s %(name)s %(message)s user=%(username)s role=%(role)s %(method)s %(path)s reason=%(reason)s"
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "access": {"class": "logging.StreamHandler", "formatter": "access"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint logs each rendering step at INFO; its warnings still show.
    # django-axes logs every successful login at INFO; failures and lockouts stay (WARNING).
    "loggers": {
        "access.refused": {"handlers": ["access"], "level": "WARNING", "propagate": False},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# Error reporting (Sentry), only when SENTRY_DSN is set; personal data scrubbed (config/sentry.py).
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from config.sentry import init_sentry

    init_sentry(
        SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT") or "production",
        release=os.environ.get("SENTRY_RELEASE") or None,
        traces_sample_rate=os.environ.get("SENTRY_TRACES_SAMPLE_RATE") or "0",
    )

# ProConnect, the State's sign-in (OpenID Connect, accounts/proconnect.py). On only when the client id and secret
# are set with either the discovery URL or the four endpoints (an explicit endpoint wins over the discovered one);
# otherwise no button and its URLs answer 404. The test and production platforms differ: nothing is hard-coded.
PROCONNECT_DISCOVERY_URL = os.environ.get("PROCONNECT_DISCOVERY_URL", "")
PROCONNECT_CLIENT_ID = os.environ.get("PROCONNECT_CLIENT_ID", "")
PROCONNECT_CLIENT_SECRET = os.environ.get("PROCONNECT_CLIENT_SECRET", "")
PROCONNECT_ISSUER = os.environ.get("PROCONNECT_ISSUER", "")
PROCONNECT_AUTHORIZATION_ENDPOINT = os.environ.get("PROCONNECT_AUTHORIZATION_ENDPOINT", "")
PROCONNECT_TOKEN_ENDPOINT = os.environ.get("PROCONNECT_TOKEN_ENDPOINT", "")
PROCONNECT_USERINFO_ENDPOINT = os.environ.get("PROCONNECT_USERINFO_ENDPOINT", "")
PROCONNECT_JWKS_ENDPOINT = os.environ.get("PROCONNECT_JWKS_ENDPOINT", "")
PROCONNECT_END_SESSION_ENDPOINT = os.environ.get("PROCONNECT_END_SESSION_ENDPOINT", "")
PROCONNECT_SIGN_ALGO = os.environ.get("PROCONNECT_SIGN_ALGO", "RS256")
PROCONNECT_TIMEOUT = float(os.environ.get("PROCONNECT_TIMEOUT") or "10")
# The level asked of everyone, and the levels that count as a second factor: an ARS agent signed in without one
# is sent back to ProConnect asking for them (essential acr claim).
PROCONNECT_ACR_VALUES = os.environ.get("PROCONNECT_ACR_VALUES", "eidas1")
PROCONNECT_MFA_ACR_VALUES = env_list(
    "PROCONNECT_MFA_ACR_VALUES",
    "eidas2,eidas3,https://proconnect.gouv.fr/assurance/self-asserted-2fa,"
    "https://proconnect.gouv.fr/assurance/consistency-checked-2fa",
)


def url_origin(url: str) -> str:
    from urllib.parse import urlsplit

    split = urlsplit(url)
    return f"{split.scheme}://{split.netloc}" if split.scheme and split.netloc else ""


# The logout form's answer redirects to ProConnect's end-session endpoint: the browser follows it only when
# form-action allows its origin (the discovery document's host, or the endpoint given).
CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] += sorted(
    {origin for origin in map(url_origin, [PROCONNECT_DISCOVERY_URL, PROCONNECT_END_SESSION_ENDPOINT]) if origin}
)
# Password reset links (/mot-de-passe-oublie/) are valid this long.
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", str(3600)))
# TOTP second factor (django-otp): the issuer shown in the authenticator app.
OTP_TOTP_ISSUER = "CPOM Volet 3"
