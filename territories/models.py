"""The Hospi Diag figures of each establishment and their percentiles by
category and région (and nationally), precomputed when the figures are
loaded (``load_peer_figures``): the peer comparison reads one row per
indicator instead of sorting every establishment's value on each page."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from cooperations.models import Region


class HospiDiagFigure(models.Model):
    """One Hospi Diag indicator value of one establishment (FINESS EJ for a
    public hospital, ET for a private one: the PMSI convention)."""

    year = models.PositiveSmallIntegerField(_("année"))
    finess = models.CharField(_("FINESS"), max_length=9)
    name = models.CharField(_("raison sociale"), max_length=255)
    category = models.CharField(_("catégorie Hospi Diag"), max_length=10)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("région")
    )
    indicator = models.CharField(_("indicateur"), max_length=12)
    value = models.DecimalField(_("valeur"), max_digits=18, decimal_places=4)

    class Meta:
        verbose_name = _("valeur Hospi Diag")
        verbose_name_plural = _("valeurs Hospi Diag")
        ordering = ["indicator", "value"]
        constraints = [
            models.UniqueConstraint(fields=["year", "finess", "indicator"], name="unique_hospidiag_figure"),
        ]
        indexes = [
            models.Index(fields=["finess"]),
            models.Index(fields=["year", "indicator", "category", "region"]),
        ]

    def __str__(self):
        return f"{self.indicator} {self.finess} {self.year} : {self.value}"


class PeerPercentiles(models.Model):
    """The distribution of an indicator among the establishments of a
    category, in a région (``region`` set) or in France (empty)."""

    year = models.PositiveSmallIntegerField(_("année"))
    indicator = models.CharField(_("indicateur"), max_length=12)
    category = models.CharField(_("catégorie Hospi Diag"), max_length=10)
    region = models.ForeignKey(
        Region, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("région")
    )
    count = models.PositiveIntegerField(_("établissements"))
    p10 = models.DecimalField(_("10e centile"), max_digits=18, decimal_places=4)
    p25 = models.DecimalField(_("1er quartile"), max_digits=18, decimal_places=4)
    p50 = models.DecimalField(_("médiane"), max_digits=18, decimal_places=4)
    p75 = models.DecimalField(_("3e quartile"), max_digits=18, decimal_places=4)
    p90 = models.DecimalField(_("90e centile"), max_digits=18, decimal_places=4)

    class Meta:
        verbose_name = _("centiles d’un indicateur Hospi Diag")
        verbose_name_plural = _("centiles des indicateurs Hospi Diag")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "indicator", "category", "region"], name="unique_peer_percentiles_region"
            ),
            models.UniqueConstraint(
                fields=["year", "indicator", "category"],
                condition=models.Q(region__isnull=True),
                name="unique_peer_percentiles_national",
            ),
        ]

    def __str__(self):
        return f"{self.indicator} {self.category} {self.region_id or 'France'} {self.year}"


class TemplatePeerMeans(models.Model):
    """The peer distribution of a library template, kept ready: each legal
    entity's mean validated value of the template's latest year (the page of
    an indicator reads this row instead of grouping every validated value of
    the template, 24,000 at national scale).

    ``generation`` changes, in the same transaction, with every change that
    can alter the means (a declaration entering or leaving « validée », a
    validated declaration deleted: ``territories.signals``); a Celery task
    then recomputes them (``territories.tasks.refresh_template_peer_means``)
    and stores them only if the generation it started from is still the
    current one. The means are read only when ``computed_generation`` equals
    ``generation``: otherwise the page groups the values itself, as it did
    before this table existed."""

    template = models.OneToOneField(
        "cpom.IndicatorTemplate", on_delete=models.CASCADE, primary_key=True, related_name="+",
        verbose_name=_("modèle de la bibliothèque"),
    )  # fmt: skip
    generation = models.UUIDField(_("génération"))
    computed_generation = models.UUIDField(_("génération calculée"), null=True, blank=True)
    year = models.PositiveSmallIntegerField(_("année"), null=True, blank=True)
    # [[legal entity id, région id, mean as a decimal string], ...] of ``year``.
    means = models.JSONField(_("moyennes par entité juridique"), default=list, blank=True)
    computed_at = models.DateTimeField(_("calculées le"), null=True, blank=True)

    class Meta:
        verbose_name = _("moyennes des pairs d’un modèle d’indicateur")
        verbose_name_plural = _("moyennes des pairs des modèles d’indicateurs")

    def __str__(self):
        return f"{self.template_id} {self.year or ''}"

    @property
    def is_current(self):
        return self.computed_generation is not None and self.computed_generation == self.generation
