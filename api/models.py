"""API tokens: a région's read-only token for BI tools, an entity's token for
the establishment's own system (read and declare). The secret is shown once
at creation and only its SHA-256 is kept."""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.scopes import signed_in

# Every token starts with this, so that a leaked one is easy to recognise (secret scanners, logs).
TOKEN_PREFIX = "cpom_"  # nosec B105 - the public prefix that marks a token, not a secret
# How many characters of a token are kept in clear to tell tokens apart in lists.
SHOWN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 8


def hash_key(key: str) -> str:
    """The stored form of a token. The secret is 256 random bits: a plain
    SHA-256 cannot be reversed, and a salted slow hash would only slow down
    every API call."""
    return hashlib.sha256(key.encode()).hexdigest()


class TokenKind(models.TextChoices):
    REGION = "region", _("Région (lecture seule)")
    ENTITY = "entite", _("Entité juridique (lecture et déclarations)")


class ApiTokenQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Who sees which tokens on the tokens page: an admin every token; a
        négociateur his région's tokens; a director his own."""
        if not signed_in(user):
            return self.none()
        if user.is_admin:
            return self
        if user.is_negotiator:
            return self.filter(kind=TokenKind.REGION, region_id=user.region_id)
        if user.is_director:
            return self.filter(user_id=user.pk)
        return self.none()

    def active(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class ApiToken(models.Model):
    name = models.CharField(
        _("nom"), max_length=100, help_text=_("Pour le reconnaître : l’outil ou le système qui l’utilise.")
    )
    kind = models.CharField(_("type"), max_length=10, choices=TokenKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("titulaire")
    )
    region = models.ForeignKey(
        "cooperations.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("région"),
    )
    legal_entity = models.ForeignKey(
        "cooperations.LegalEntity",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entité juridique"),
    )
    prefix = models.CharField(_("début du jeton"), max_length=SHOWN_PREFIX_LENGTH)
    key_hash = models.CharField(_("empreinte SHA-256"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expire le"))
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("révoqué par"),
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("jeton d’API")
        verbose_name_plural = _("jetons d’API")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=TokenKind.REGION, region__isnull=False, legal_entity__isnull=True)
                | Q(kind=TokenKind.ENTITY, legal_entity__isnull=False, region__isnull=True),
                name="api_token_kind_has_its_scope",
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self):
        return self.revoked_at is not None

    @property
    def is_expired(self):
        return self.expires_at <= timezone.now()

    @property
    def is_active(self):
        return not self.is_revoked and not self.is_expired

    @property
    def may_declare(self):
        return self.kind == TokenKind.ENTITY

    @property
    def status_label(self):
        if self.is_revoked:
            return _("Révoqué")
        if self.is_expired:
            return _("Expiré")
        return _("Actif")

    @property
    def scope_label(self):
        if self.kind == TokenKind.REGION:
            return str(self.region)
        return str(self.legal_entity)
