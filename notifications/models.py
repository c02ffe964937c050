from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from notifications.kinds import KINDS

KIND_CHOICES = [(kind.code, kind.label) for kind in KINDS.values()]


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """What waits on one person: a sentence, the page where it waits, read or not."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("destinataire"),
    )
    kind = models.CharField(_("type"), max_length=40, choices=KIND_CHOICES)
    title = models.CharField(_("objet"), max_length=300)
    body = models.TextField(_("détail"), blank=True)
    link = models.CharField(_("page concernée"), max_length=500)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("auteur de l’action"),
    )
    created_at = models.DateTimeField(_("reçue le"), auto_now_add=True)
    read_at = models.DateTimeField(_("lue le"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notif_recipient_unread")]

    def __str__(self):
        return self.title

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class EmailPreference(models.Model):
    """A person's choice for one kind; no row means the kind's default."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_preferences", verbose_name=_("personne")
    )
    kind = models.CharField(_("type"), max_length=40, choices=KIND_CHOICES)
    email = models.BooleanField(_("recevoir un courriel"))

    class Meta:
        verbose_name = _("préférence de courriel")
        verbose_name_plural = _("préférences de courriel")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_email_preference_per_kind")]

    def __str__(self):
        return f"{self.user} — {self.get_kind_display()} : {'oui' if self.email else 'non'}"
