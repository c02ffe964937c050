"""A CPOM the ARS keeps out of the open data, with its reason. Released
withholdings stay: who withheld what, when and why is kept."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.scopes import scoped


class WithholdingQuerySet(models.QuerySet):
    def active(self):
        return self.filter(released_at__isnull=True)

    def visible_to(self, user):
        """The ARS of the CPOM's région and admins; never an establishment."""
        return scoped(self, user, region="cpom__region_id")


class Withholding(models.Model):
    cpom = models.ForeignKey(
        "cpom.Cpom", on_delete=models.CASCADE, related_name="open_data_withholdings", verbose_name=_("CPOM")
    )
    reason = models.TextField(_("motif"), max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("retenu par")
    )
    created_at = models.DateTimeField(_("retenu le"), auto_now_add=True)
    released_at = models.DateTimeField(_("publié de nouveau le"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("publié de nouveau par"),
    )

    objects = WithholdingQuerySet.as_manager()

    class Meta:
        verbose_name = _("CPOM retenu hors des données ouvertes")
        verbose_name_plural = _("CPOM retenus hors des données ouvertes")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["cpom"], condition=Q(released_at__isnull=True), name="one_active_withholding_per_cpom"
            )
        ]

    def __str__(self):
        return f"{self.cpom} — {self.reason[:60]}"

    @property
    def is_active(self):
        return self.released_at is None
