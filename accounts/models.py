"""Users carry one role and the scope it applies to."""

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrateur")
    NEGOTIATOR = "negociateur", _("Négociateur ARS")
    OBSERVER = "observateur", _("Observateur")
    DIRECTOR = "directeur", _("Directeur d’établissement")


class User(AbstractUser):
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices, default=Role.OBSERVER)
    region = models.ForeignKey(
        "cooperations.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("région (ARS)"),
        help_text=_("Périmètre d’un négociateur ou d’un observateur."),
    )
    legal_entity = models.ForeignKey(
        "cooperations.LegalEntity",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("entité juridique"),
        help_text=_("Périmètre d’un directeur d’établissement."),
    )
    # Who holds which role where is audited; the password hash and the login
    # time are not (a login is no change of the account, see accounts.signals).
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=["negociateur", "observateur"], region__isnull=False)
                | Q(role="directeur", legal_entity__isnull=False)
                | Q(role="admin"),
                name="user_role_has_scope",
            )
        ]

    def clean(self):
        super().clean()
        if self.role in (Role.NEGOTIATOR, Role.OBSERVER) and not self.region_id:
            raise ValidationError({"region": _("Un négociateur ou un observateur doit être rattaché à une région.")})
        if self.role == Role.DIRECTOR and not self.legal_entity_id:
            raise ValidationError(
                {"legal_entity": _("Un directeur d’établissement doit être rattaché à une entité juridique.")}
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
        return self.role == Role.DIRECTOR and not self.is_superuser
