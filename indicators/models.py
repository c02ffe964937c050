"""Follow-up indicators of the Volet 3 commitments and their target values.

An indicator belongs to a commitment of a CPOM: it is content of the CPOM,
frozen with it once signed (``GuardedByCpom``)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cooperations.models import (
    EDITABLE_STATUSES,
    Commitment,
    Cpom,
    FrozenCpomError,
    GuardedByCpom,
    cpom_of_commitment,
)

from .values import ValueType, format_value, parse_value


class IndicatorKind(models.TextChoices):
    AUTOMATABLE = "automatisable", _("Quantitatif automatisable (calculé)")
    DECLARATIVE = "declaratif", _("Déclaratif (renseigné par l’établissement)")


class Direction(models.TextChoices):
    HIGHER = "hausse", _("Plus la valeur est haute, mieux c’est")
    LOWER = "baisse", _("Plus la valeur est basse, mieux c’est")
    REACH = "atteinte", _("Atteindre la valeur-cible")


class Computation(models.TextChoices):
    """What the Celery jobs can compute from imported or application data."""

    LEAKAGE_RATE = "taux_de_fuite", _("Taux de fuite des séjours du territoire")
    SUPPORT_COST = "cout_fonctions_support", _("Coût des prestations des fonctions support")
    APPLICATION_COUNT = "decompte_application", _("Décompte des données de l’application")


class IndicatorDefinition(models.Model):
    """What an indicator is, shared by the library templates and the
    indicators written into CPOMs."""

    label = models.CharField(_("libellé"), max_length=255)
    kind = models.CharField(
        _("nature"), max_length=20, choices=IndicatorKind.choices, default=IndicatorKind.DECLARATIVE
    )
    value_type = models.CharField(
        _("type de valeur"), max_length=20, choices=ValueType.choices, default=ValueType.COUNT
    )
    unit = models.CharField(_("unité"), max_length=50, blank=True)
    direction = models.CharField(
        _("sens d’amélioration"), max_length=20, choices=Direction.choices, default=Direction.HIGHER
    )
    data_source = models.CharField(_("source des données"), max_length=255, blank=True)
    computation = models.CharField(
        _("calcul automatique"),
        max_length=30,
        choices=Computation.choices,
        blank=True,
        help_text=_("Pour un indicateur automatisable : le calcul qui le produit."),
    )
    scale_levels = models.TextField(
        _("niveaux de l’échelle"),
        blank=True,
        help_text=_("Pour une échelle qualitative : un niveau par ligne, du plus faible au plus fort."),
    )

    class Meta:
        abstract = True


class IndicatorTemplate(IndicatorDefinition):
    """A model indicator of the library, from the seeds; it pre-fills the
    indicator form."""

    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("rang"), default=0)

    class Meta:
        verbose_name = _("modèle d’indicateur")
        verbose_name_plural = _("bibliothèque d’indicateurs")
        ordering = ["position", "label"]

    def __str__(self):
        return self.label

    def as_prefill(self):
        return {
            "label": self.label,
            "kind": self.kind,
            "value_type": self.value_type,
            "unit": self.unit,
            "direction": self.direction,
            "data_source": self.data_source,
            "computation": self.computation,
            "scale_levels": self.scale_levels,
        }


class IndicatorQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(commitment__cpom__in=Cpom.objects.visible_to(user))


class Indicator(GuardedByCpom, IndicatorDefinition):
    """A follow-up indicator of a commitment, with its baseline and one target
    value per year of the CPOM."""

    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("engagement")
    )
    template = models.ForeignKey(
        IndicatorTemplate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("modèle de la bibliothèque"),
    )
    position = models.PositiveSmallIntegerField(_("rang"), default=0)
    baseline_value = models.DecimalField(
        _("valeur de référence"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    baseline_text = models.CharField(_("valeur de référence (texte)"), max_length=500, blank=True)
    baseline_year = models.PositiveSmallIntegerField(_("année de référence"), null=True, blank=True)

    history = HistoricalRecords()
    objects = IndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = _("indicateur de suivi")
        verbose_name_plural = _("indicateurs de suivi")
        ordering = ["commitment", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=IndicatorKind.DECLARATIVE, computation="")
                | Q(kind=IndicatorKind.AUTOMATABLE) & ~Q(computation=""),
                name="indicator_computation_iff_automatable",
            )
        ]

    def __str__(self):
        return self.label

    def guarded_cpom_id(self):
        return cpom_of_commitment(self.commitment_id)

    def parse(self, raw):
        """``(number, text)`` for a value typed for this indicator, or
        ValidationError with a French message."""
        return parse_value(self.value_type, raw, self.scale_levels)

    def set_target(self, year, raw, user=None):
        """Set (or create) the target of a year from what a user typed."""
        number, text = self.parse(raw)
        target = self.targets.filter(year=year).first() or TargetValue(indicator=self, year=year)
        target.value, target.text = number, text
        target._history_user = user
        target.save()
        return target

    @property
    def baseline_display(self):
        return format_value(self.value_type, self.baseline_value, self.baseline_text, self.unit)


class TargetValue(models.Model):
    """The value an indicator should reach in one year of the CPOM."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="targets", verbose_name=_("indicateur")
    )
    year = models.PositiveSmallIntegerField(_("année"))
    value = models.DecimalField(_("valeur"), max_digits=18, decimal_places=4, null=True, blank=True)
    text = models.CharField(_("valeur (texte)"), max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("valeur-cible")
        verbose_name_plural = _("valeurs-cibles")
        ordering = ["indicator", "year"]
        constraints = [models.UniqueConstraint(fields=["indicator", "year"], name="unique_target_per_year")]

    def __str__(self):
        return f"{self.year} : {self.display}"

    def save(self, *args, **kwargs):
        cpom = self._check_writable()
        if not cpom["first_year"] <= self.year <= cpom["last_year"]:
            raise ValidationError(
                _("L’année %(year)s est hors de la période du CPOM (%(first)s–%(last)s).")
                % {"year": self.year, "first": cpom["first_year"], "last": cpom["last_year"]}
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._check_writable()
        return super().delete(*args, **kwargs)

    def _check_writable(self):
        cpom = (
            Cpom.objects.filter(commitments__indicators=self.indicator_id)
            .values("pk", "status", "first_year", "last_year")
            .first()
        )
        if cpom is None or cpom["status"] not in EDITABLE_STATUSES:
            raise FrozenCpomError()
        return cpom

    @property
    def display(self):
        return format_value(self.indicator.value_type, self.value, self.text, self.indicator.unit)
