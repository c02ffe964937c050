"""Users carry one role and the scope it applies to: an ARS user his
région (and, when he manages its accounts, ``manages_accounts``), a person
on an establishment's side his memberships, one per legal entity, each with
its function (director or contributor)."""

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.history import HistoricalRecords


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrateur")
    NEGOTIATOR = "negociateur", _("Négociateur ARS")
    OBSERVER = "observateur", _("Observateur")
    # The establishment's side: the function, per legal entity, is on each EntityMembership.
    DIRECTOR = "directeur", _("Établissement")
    # Signed in (ProConnect) but granted nothing yet: may only ask for access.
    NONE = "aucun", _("Sans rôle")


class Function(models.TextChoices):
    DIRECTOR = "directeur", _("Directeur / représentant légal")
    CONTRIBUTOR = "contributeur", _("Contributeur")


class User(AbstractUser):
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices, default=Role.NONE)
    region = models.ForeignKey(
        "cooperations.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("région (ARS)"),
        help_text=_("Périmètre d’un négociateur ou d’un observateur."),
    )
    manages_accounts = models.BooleanField(
        _("gestionnaire des accès"),
        default=False,
        help_text=_("Gère les comptes de sa région et valide les demandes d’accès (ARS)."),
    )
    legal_entities = models.ManyToManyField(
        "cooperations.LegalEntity",
        through="EntityMembership",
        through_fields=("user", "legal_entity"),
        related_name="users",
        blank=True,
        verbose_name=_("entités juridiques"),
    )
    proconnect_siret = models.CharField(
        _("SIRET ProConnect"),
        max_length=14,
        blank=True,
        help_text=_("Le SIRET de l’organisation déclarée à la connexion ProConnect."),
    )
    proconnect_sub = models.CharField(
        _("identifiant ProConnect"),
        max_length=255,
        blank=True,
        help_text=_("Le « sub » de la personne chez ProConnect : il la reconnaît à la connexion suivante."),
    )
    deactivation_warned_at = models.DateTimeField(_("averti de la désactivation le"), null=True, blank=True)
    # Who holds which role where is audited; the password hash and the login
    # time are not (a login is no change of the account, see accounts.signals).
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=["negociateur", "observateur"], region__isnull=False)
                | Q(role__in=["directeur", "admin", "aucun"], manages_accounts=False),
                name="user_role_has_scope",
            ),
            models.UniqueConstraint(
                fields=["proconnect_sub"], condition=~Q(proconnect_sub=""), name="one_user_per_proconnect_sub"
            ),
        ]

    def clean(self):
        super().clean()
        if self.role in (Role.NEGOTIATOR, Role.OBSERVER) and not self.region_id:
            raise ValidationError({"region": _("Un négociateur ou un observateur doit être rattaché à une région.")})
        if self.manages_accounts and self.role not in (Role.NEGOTIATOR, Role.OBSERVER):
            raise ValidationError(
                {"manages_accounts": _("Seul un agent d’ARS rattaché à une région peut gérer ses comptes.")}
            )

    @property
    def is_admin(self):
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def is_negotiator(self):
        return self.role == Role.NEGOTIATOR and not self.is_superuser

    @property
    def is_observer(self):
        return self.role == Role.OBSERVER and not self.is_superuser

    @property
    def is_regional(self):
        """Negotiators and observers see one région."""
        return self.is_negotiator or self.is_observer

    @property
    def is_director(self):
        """On an establishment's side (director or contributor of one or more
        legal entities: the function is per entity, see accounts.scopes)."""
        return self.role == Role.DIRECTOR and not self.is_superuser

    @property
    def is_user_manager(self):
        return self.manages_accounts and self.is_regional


class EntityMembership(models.Model):
    """A person's function in one legal entity. He may hold several: he sees their union."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="entity_memberships", verbose_name=_("utilisateur")
    )
    legal_entity = models.ForeignKey(
        "cooperations.LegalEntity",
        on_delete=models.PROTECT,
        related_name="user_memberships",
        verbose_name=_("entité juridique"),
    )
    function = models.CharField(_("fonction"), max_length=20, choices=Function.choices, default=Function.DIRECTOR)
    granted_at = models.DateTimeField(_("accordé le"), auto_now_add=True)
    granted_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accordé par"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("rattachement à une entité")
        verbose_name_plural = _("rattachements aux entités")
        constraints = [models.UniqueConstraint(fields=["user", "legal_entity"], name="one_membership_per_entity")]

    def __str__(self):
        return f"{self.user} — {self.legal_entity} ({self.get_function_display()})"


class GrantKind(models.TextChoices):
    """What an invitation or an access request grants."""

    DIRECTOR = "directeur", _("Directeur / représentant légal d’une entité")
    CONTRIBUTOR = "contributeur", _("Contributeur d’une entité")
    NEGOTIATOR = "negociateur", _("Négociateur ARS")
    OBSERVER = "observateur", _("Observateur ARS")

    @classmethod
    def on_entity(cls):
        return (cls.DIRECTOR, cls.CONTRIBUTOR)


class Invitation(models.Model):
    """A one-time link sent by email; only the hash of its token is kept."""

    email = models.EmailField(_("adresse électronique"))
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    last_name = models.CharField(_("nom"), max_length=150, blank=True)
    kind = models.CharField(_("accès accordé"), max_length=20, choices=GrantKind.choices)
    legal_entity = models.ForeignKey(
        "cooperations.LegalEntity",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("entité juridique"),
    )
    region = models.ForeignKey(
        "cooperations.Region",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("région (ARS)"),
    )
    manages_accounts = models.BooleanField(_("gestionnaire des accès"), default=False)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("invité par")
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    sent_at = models.DateTimeField(_("envoyée le"))
    expires_at = models.DateTimeField(_("expire le"))
    accepted_at = models.DateTimeField(_("acceptée le"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("acceptée par")
    )
    revoked_at = models.DateTimeField(_("révoquée le"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["token_hash"])

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-sent_at"]

    def __str__(self):
        return f"{self.email} — {self.get_kind_display()}"

    @property
    def is_pending(self):
        return self.accepted_at is None and self.revoked_at is None

    def is_usable(self, now):
        return self.is_pending and self.expires_at > now

    @property
    def scope_label(self):
        return str(self.legal_entity or self.region or "")


class AccessRequest(models.Model):
    """A signed-in person with no role asks for one; the director of the
    entity (a contributor) or the région's user manager (a director, an ARS
    agent) decides."""

    class Status(models.TextChoices):
        PENDING = "en_attente", _("En attente")
        ACCEPTED = "acceptee", _("Acceptée")
        REFUSED = "refusee", _("Refusée")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="access_requests")
    kind = models.CharField(_("accès demandé"), max_length=20, choices=GrantKind.choices)
    legal_entity = models.ForeignKey(
        "cooperations.LegalEntity",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="access_requests",
        verbose_name=_("entité juridique"),
    )
    region = models.ForeignKey(
        "cooperations.Region",
        on_delete=models.CASCADE,
        related_name="access_requests",
        verbose_name=_("région"),
    )
    job_title = models.CharField(_("fonction"), max_length=200)
    siret = models.CharField(_("SIRET déclaré"), max_length=14, blank=True)
    siren_matches = models.BooleanField(_("SIREN concordant"), default=False)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("demandée le"), auto_now_add=True)
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    decided_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("décidée par")
    )
    reason = models.TextField(_("motif"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("demande d’accès")
        verbose_name_plural = _("demandes d’accès")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(status="en_attente"), name="one_pending_access_request"
            )
        ]

    def __str__(self):
        return f"{self.user} — {self.get_kind_display()}"

    @property
    def is_pending(self):
        return self.status == self.Status.PENDING

    @property
    def scope_label(self):
        return str(self.legal_entity or self.region)
