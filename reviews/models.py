"""The yearly review of a signed CPOM (revue annuelle, dialogue de gestion)
and its final evaluation: per commitment, what was achieved against the
targets, both sides' remarks or conclusions, the ARS's decisions, and the
stored PDFs of their minutes and report.

What each item says of the values is written when it is prepared (the
values, the targets and the status of each indicator at that time), so that
a finalized review keeps what was reviewed even after an amendment. Who may
see what: ``visible_to(user)``, the CPOM's own rule."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.history import HistoricalRecords
from core.urls import object_url
from cpom.models import Commitment, Cpom, CpomVersion, Indicator, Theme, with_visible_cpom


class ReviewStatus(models.TextChoices):
    DRAFT = "en_cours", _("En cours")
    FINALIZED = "finalisee", _("Finalisée")


class Achievement(models.TextChoices):
    """Where a commitment stands at a review."""

    DONE = "realise", _("Réalisé")
    ON_TRACK = "en_bonne_voie", _("En bonne voie")
    LATE = "en_retard", _("En retard")
    ABANDONED = "abandonne", _("Abandonné")


class Decision(models.TextChoices):
    KEEP = "maintenir", _("Maintenir en l’état")
    REVISE_TARGET = "reviser_cible", _("Réviser une cible")
    AMEND = "ouvrir_avenant", _("Ouvrir un avenant")
    ABANDON = "abandonner", _("Abandonner")


ACHIEVEMENT_BADGES = {
    Achievement.DONE: "fr-badge--success",
    Achievement.ON_TRACK: "fr-badge--info",
    Achievement.LATE: "fr-badge--error",
    Achievement.ABANDONED: "",
}


class VisibleWithCpom(models.QuerySet):
    def visible_to(self, user):
        return with_visible_cpom(self, user, "cpom__")


class ReviewStep(models.Model):
    """What a yearly review and the final evaluation share: a draft opened by the ARS, then finalized
    (locked, its PDF stored), read by whoever sees the CPOM."""

    status = models.CharField(_("état"), max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("ouverte par")
    )
    opened_at = models.DateTimeField(_("ouverte le"), auto_now_add=True)
    finalized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("finalisée par"),
    )
    finalized_at = models.DateTimeField(_("finalisée le"), null=True, blank=True)

    objects = VisibleWithCpom.as_manager()

    class Meta:
        abstract = True

    @property
    def is_finalized(self):
        return self.status == ReviewStatus.FINALIZED


class AnnualReview(ReviewStep):
    cpom = models.ForeignKey(Cpom, on_delete=models.CASCADE, related_name="annual_reviews", verbose_name=_("CPOM"))
    year = models.PositiveSmallIntegerField(_("année revue"))
    meeting_date = models.DateField(_("date de la réunion"), null=True, blank=True)
    attendees = models.TextField(_("participants"), blank=True)
    amendment = models.ForeignKey(
        CpomVersion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("avenant ouvert par la revue"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("revue annuelle")
        verbose_name_plural = _("revues annuelles")
        # By the parent's id: ordering by the relation itself would join the parent's own ordering, up
        # to the entity's name, in every query of these rows (issue 19).
        ordering = ["cpom_id", "year"]
        constraints = [models.UniqueConstraint(fields=["cpom", "year"], name="one_review_per_cpom_and_year")]

    def __str__(self):
        return _("Revue annuelle %(year)s — %(cpom)s") % {"year": self.year, "cpom": self.cpom}

    def get_absolute_url(self):
        return object_url("reviews:review", self.cpom_id, self.year)


class ReviewItem(models.Model):
    """One commitment at a review."""

    review = models.ForeignKey(AnnualReview, on_delete=models.CASCADE, related_name="items", verbose_name=_("revue"))
    commitment = models.ForeignKey(
        Commitment, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("engagement")
    )
    position = models.PositiveSmallIntegerField(_("rang"), default=0)
    title = models.CharField(_("intitulé de l’engagement"), max_length=255)
    theme = models.CharField(_("thème"), max_length=30, choices=Theme.choices)
    # [{"indicator": id, "label", "target", "value", "progress"}]: the values of the year as reviewed.
    lines = models.JSONField(_("indicateurs revus"), default=list, blank=True)
    proposed_status = models.CharField(_("statut proposé"), max_length=20, choices=Achievement.choices)
    status = models.CharField(_("statut retenu"), max_length=20, choices=Achievement.choices)
    ars_remark = models.TextField(_("remarques de l’ARS"), blank=True)
    establishment_remark = models.TextField(_("remarques de l’établissement"), blank=True)
    decision = models.CharField(_("décision"), max_length=20, choices=Decision.choices, blank=True)
    revised_indicators = models.ManyToManyField(
        Indicator, blank=True, related_name="+", verbose_name=_("indicateurs dont les cibles sont à revoir")
    )
    revision_note = models.TextField(_("cibles à revoir"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("engagement revu")
        verbose_name_plural = _("engagements revus")
        ordering = ["review", "position", "pk"]

    def __str__(self):
        return f"{self.review} — {self.title}"

    @property
    def status_badge(self):
        return ACHIEVEMENT_BADGES[Achievement(self.status)]


class FinalEvaluation(ReviewStep):
    cpom = models.OneToOneField(
        Cpom, on_delete=models.CASCADE, related_name="final_evaluation", verbose_name=_("CPOM évalué")
    )
    next_cpom = models.ForeignKey(
        Cpom,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="evaluations_carried_here",
        verbose_name=_("CPOM suivant"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("évaluation finale")
        verbose_name_plural = _("évaluations finales")
        ordering = ["cpom_id"]

    def __str__(self):
        return _("Évaluation finale — %(cpom)s") % {"cpom": self.cpom}

    def get_absolute_url(self):
        return object_url("reviews:evaluation", self.cpom_id)


class EvaluationItem(models.Model):
    """One commitment over the whole period."""

    evaluation = models.ForeignKey(
        FinalEvaluation, on_delete=models.CASCADE, related_name="items", verbose_name=_("évaluation")
    )
    commitment = models.ForeignKey(
        Commitment, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("engagement")
    )
    position = models.PositiveSmallIntegerField(_("rang"), default=0)
    title = models.CharField(_("intitulé de l’engagement"), max_length=255)
    theme = models.CharField(_("thème"), max_length=30, choices=Theme.choices)
    # [{"indicator", "label", "years": [{"year", "target", "value", "met"}]}]: each indicator's trajectory.
    trajectory = models.JSONField(_("trajectoire des indicateurs"), default=list, blank=True)
    targets_met = models.PositiveSmallIntegerField(_("cibles atteintes"), default=0)
    targets_total = models.PositiveSmallIntegerField(_("cibles évaluées"), default=0)
    ars_conclusion = models.TextField(_("conclusion de l’ARS"), blank=True)
    establishment_conclusion = models.TextField(_("conclusion de l’établissement"), blank=True)
    carry_over = models.BooleanField(_("à reconduire dans le prochain CPOM"), default=False)
    carried_to = models.ForeignKey(
        Commitment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="carried_from",
        verbose_name=_("engagement reconduit"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("engagement évalué")
        verbose_name_plural = _("engagements évalués")
        ordering = ["evaluation", "position", "pk"]

    def __str__(self):
        return f"{self.evaluation} — {self.title}"

    @property
    def share_met(self):
        """The share of the targets met, 0 to 100, or None without any target to judge."""
        return round(100 * self.targets_met / self.targets_total) if self.targets_total else None


class DocumentKind(models.TextChoices):
    MINUTES = "compte_rendu", _("Compte rendu de revue annuelle")
    REPORT = "rapport", _("Rapport d’évaluation finale")


def document_upload_to(instance, filename):
    return f"revues/{instance.cpom_id}/{filename}"


class ReviewDocument(models.Model):
    """A stored PDF: the minutes of a review or the report of an evaluation,
    numbered per document, with the SHA-256 of its bytes. Written once."""

    cpom = models.ForeignKey(Cpom, on_delete=models.CASCADE, related_name="+", verbose_name=_("CPOM"))
    kind = models.CharField(_("document"), max_length=20, choices=DocumentKind.choices)
    review = models.ForeignKey(
        AnnualReview, on_delete=models.CASCADE, null=True, blank=True, related_name="documents", verbose_name=_("revue")
    )
    evaluation = models.ForeignKey(
        FinalEvaluation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("évaluation"),
    )
    number = models.PositiveSmallIntegerField(_("version"))
    file = models.FileField(_("fichier PDF"), upload_to=document_upload_to)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("taille (octets)"))
    created_at = models.DateTimeField(_("généré le"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("par")
    )

    class Meta:
        verbose_name = _("document de revue")
        verbose_name_plural = _("documents de revue")
        ordering = ["-number"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="compte_rendu", review__isnull=False, evaluation__isnull=True))
                | (Q(kind="rapport", review__isnull=True, evaluation__isnull=False)),
                name="review_document_of_one_thing",
            ),
            models.UniqueConstraint(
                fields=["review", "number"], condition=Q(review__isnull=False), name="one_minutes_number"
            ),
            models.UniqueConstraint(
                fields=["evaluation", "number"], condition=Q(evaluation__isnull=False), name="one_report_number"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} v{self.number} ({self.sha256[:12]})"
