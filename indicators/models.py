"""The follow-up of the indicators of signed CPOMs: campaigns, declarations
and their validation, computed values with their inputs and runs, public
figures. The indicators themselves belong to the contract (``cpom``)."""

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.scopes import scoped
from cooperations.models import Department
from core.history import HistoricalRecords
from core.jobs import BackgroundJob
from core.urls import object_url
from core.values import format_value
from cpom.models import (
    ActivityField,
    Cpom,
    Indicator,
    IndicatorKind,
    IndicatorTemplate,
    MarketActivity,
    SupportFunction,
    shared_with_establishment,
    with_visible_cpom,
)

# --- Follow-up: campaigns and declarations ----------------------------------------------------


class CampaignPhase(models.TextChoices):
    UPCOMING = "a_venir", _("À venir")
    DECLARATION = "declaration", _("Déclarations ouvertes")
    CORRECTION = "correction", _("Corrections")
    CLOSED = "close", _("Clôturée")

    @property
    def badge(self):
        """The DSFR badge class of the phase."""
        return {"a_venir": "fr-badge--info", "declaration": "fr-badge--success", "correction": "fr-badge--warning"}.get(
            self.value, ""
        )

    @property
    def callout(self):
        """The DSFR callout colour of the phase, on the establishment's page."""
        return {
            "declaration": "fr-callout--green-emeraude",
            "correction": "fr-callout--orange-terre-battue",
        }.get(self.value, "")


class CampaignQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The ARS sees its région's campaigns; a director those that cover
        one of his entity's CPOMs."""

        def director(user):
            covering = Campaign.cpoms.through.objects.filter(
                shared_with_establishment(user, prefix="cpom__"), campaign_id=models.OuterRef("pk")
            )
            return Q(models.Exists(covering))

        return scoped(self, user, region="region_id", entity=director)

    def accepting_on(self, day):
        """Campaigns in their declaration or correction window on that day."""
        return self.filter(opens_on__lte=day, corrections_until__gte=day)


class Campaign(models.Model):
    """A yearly follow-up campaign of a région: the establishments whose
    signed CPOMs it covers declare the values of the year."""

    region = models.ForeignKey(
        "cooperations.Region", on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("région (ARS)")
    )
    year = models.PositiveSmallIntegerField(_("année suivie"))
    opens_on = models.DateField(_("ouverture des déclarations"))
    closes_on = models.DateField(_("clôture des déclarations"))
    corrections_until = models.DateField(_("fin des corrections"))
    cpoms = models.ManyToManyField(Cpom, related_name="campaigns", verbose_name=_("CPOM suivis"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("ouverte par")
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    reminder_sent_on = models.DateField(_("relance envoyée le"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["reminder_sent_on"])
    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("campagne de suivi")
        verbose_name_plural = _("campagnes de suivi")
        ordering = ["-year", "region"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "year"],
                name="one_campaign_per_region_and_year",
                violation_error_message=_("Une campagne existe déjà pour cette région et cette année."),
            ),
            models.CheckConstraint(
                condition=Q(opens_on__lte=models.F("closes_on")) & Q(closes_on__lte=models.F("corrections_until")),
                name="campaign_windows_in_order",
                violation_error_message=_(
                    "Les dates doivent se suivre : ouverture, puis clôture des déclarations, puis fin des corrections."
                ),
            ),
        ]

    def __str__(self):
        return _("Campagne %(year)s — %(region)s") % {"year": self.year, "region": self.region}

    def get_absolute_url(self):
        return object_url("indicators:campaign_dashboard", self.pk)

    def phase(self, day=None):
        day = day or timezone.localdate()
        if day < self.opens_on:
            return CampaignPhase.UPCOMING
        if day <= self.closes_on:
            return CampaignPhase.DECLARATION
        if day <= self.corrections_until:
            return CampaignPhase.CORRECTION
        return CampaignPhase.CLOSED

    @property
    def current_phase(self):
        return CampaignPhase(self.phase())

    def due_indicators(self):
        """The declarative indicators of the covered CPOMs: what the
        establishments must declare for the year."""
        return Indicator.objects.filter(commitment__cpom__campaigns=self, kind=IndicatorKind.DECLARATIVE)

    def followed_indicators(self):
        """Every indicator of the covered CPOMs, computed ones included."""
        return Indicator.objects.filter(commitment__cpom__campaigns=self)


class DeclarationStatus(models.TextChoices):
    DRAFT = "brouillon", _("Brouillon")
    SUBMITTED = "soumise", _("Soumise à l’ARS")
    VALIDATED = "validee", _("Validée")
    SENT_BACK = "renvoyee", _("Renvoyée pour correction")


# The state machine of a declaration: where each status may go next.
DECLARATION_TRANSITIONS = {
    DeclarationStatus.DRAFT: {DeclarationStatus.SUBMITTED},
    DeclarationStatus.SUBMITTED: {DeclarationStatus.VALIDATED, DeclarationStatus.SENT_BACK},
    DeclarationStatus.SENT_BACK: {DeclarationStatus.SUBMITTED},
    # Reopened by the ARS (services.reopen, permissions.can_reopen): back to the establishment with a reason.
    DeclarationStatus.VALIDATED: {DeclarationStatus.SENT_BACK},
}
# What the establishment may still change.
DIRECTOR_EDITABLE = {DeclarationStatus.DRAFT, DeclarationStatus.SENT_BACK}


class DeclarationQuerySet(models.QuerySet):
    def visible_to(self, user):
        return with_visible_cpom(self, user, "indicator__commitment__cpom__")


def evidence_path(declaration, filename):
    """Evidence lives under MEDIA_ROOT (never the static root), under a
    random name; it is served only through a view that checks rights."""
    suffix = Path(filename).suffix.lower()[:10]
    return f"justificatifs/{declaration.year}/{uuid.uuid4().hex}{suffix}"


class Declaration(models.Model):
    """The value of an indicator for one year, as the establishment declared
    it and the ARS validated it. One per indicator and year."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="declarations", verbose_name=_("indicateur")
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="declarations", verbose_name=_("campagne")
    )
    year = models.PositiveSmallIntegerField(_("année"))
    value = models.DecimalField(_("valeur"), max_digits=18, decimal_places=4, null=True, blank=True)
    text = models.CharField(_("valeur (texte)"), max_length=500, blank=True)
    comment = models.TextField(_("commentaire de l’établissement"), blank=True, max_length=2000)
    evidence = models.FileField(_("justificatif"), upload_to=evidence_path, blank=True, max_length=200)
    evidence_name = models.CharField(_("nom du justificatif"), max_length=200, blank=True)
    status = models.CharField(
        _("statut"), max_length=20, choices=DeclarationStatus.choices, default=DeclarationStatus.DRAFT
    )
    submitted_at = models.DateTimeField(_("soumise le"), null=True, blank=True)
    decided_at = models.DateTimeField(_("décision de l’ARS le"), null=True, blank=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("modifiée par")
    )
    # The consistency checks of the value (indicators.checks), stored with it so the queue reads them in its
    # one query: [{"code", "message"}], the codes for filtering, and whether there is any.
    flags = models.JSONField(_("alertes de cohérence"), default=list, blank=True)
    flag_codes = models.CharField(_("codes des alertes"), max_length=100, blank=True)
    flagged = models.BooleanField(_("valeur signalée"), default=False)
    # A value sent back then submitted again is a correction, with the establishment's answer to the reason.
    is_correction = models.BooleanField(_("correction"), default=False)
    correction_answer = models.TextField(_("réponse au motif du renvoi"), blank=True, max_length=2000)
    # A correction saved as a draft over a sent-back value, not submitted yet.
    corrected_at = models.DateTimeField(_("correction enregistrée le"), null=True, blank=True)
    # Reopened by the ARS after its validation: correctable even once the campaign is closed.
    reopened_at = models.DateTimeField(_("rouverte le"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = DeclarationQuerySet.as_manager()

    class Meta:
        verbose_name = _("déclaration")
        verbose_name_plural = _("déclarations")
        # By the parent's id: ordering by the relation itself would join the parent's own ordering, up
        # to the entity's name, in every query of these rows (issue 19).
        ordering = ["indicator_id", "year"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "year"], name="one_declaration_per_indicator_and_year")
        ]
        # The dashboard's and the validation queue's counts per status of a campaign (bench_pages).
        indexes = [models.Index(fields=["campaign", "status"], name="declaration_campaign_status")]

    def __str__(self):
        return f"{self.indicator} — {self.year}"

    def get_absolute_url(self):
        return object_url("indicators:declaration_detail", self.pk)

    @property
    def display(self):
        return format_value(self.indicator.value_type, self.value, self.text, self.indicator.unit)

    @property
    def has_value(self):
        return self.value is not None or bool(self.text)

    @property
    def is_frozen(self):
        return self.status == DeclarationStatus.VALIDATED

    @property
    def is_submitted(self):
        return self.status == DeclarationStatus.SUBMITTED

    @property
    def is_sent_back(self):
        return self.status == DeclarationStatus.SENT_BACK

    @property
    def is_corrected(self):
        """Submitted again after the ARS sent it back: « corrigée », not a new submission."""
        return self.status == DeclarationStatus.SUBMITTED and self.is_correction

    @property
    def awaits_correction_submission(self):
        """A correction saved as a draft over a sent-back value, still to submit."""
        return self.status == DeclarationStatus.SENT_BACK and self.corrected_at is not None

    @property
    def status_label(self):
        return _("Corrigée") if self.is_corrected else self.get_status_display()

    @property
    def flag_messages(self):
        return [flag.get("message", "") for flag in self.flags or ()]


class DeclarationEvent(models.Model):
    """One change of status of a declaration: who, when, why."""

    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="events", verbose_name=_("déclaration")
    )
    previous_status = models.CharField(
        _("statut précédent"), max_length=20, choices=DeclarationStatus.choices, blank=True
    )
    status = models.CharField(_("nouveau statut"), max_length=20, choices=DeclarationStatus.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("par")
    )
    at = models.DateTimeField(_("le"), default=timezone.now)
    reason = models.TextField(_("motif"), blank=True)

    class Meta:
        verbose_name = _("changement de statut")
        verbose_name_plural = _("changements de statut")
        ordering = ["declaration_id", "at", "pk"]

    def __str__(self):
        return f"{self.get_status_display()} — {self.at:%d/%m/%Y %H:%M}"

    @property
    def label(self):
        """The step as the history says it: a correction and a reopening are named as such."""
        if self.previous_status == DeclarationStatus.SENT_BACK and self.status == DeclarationStatus.SUBMITTED:
            return _("Corrigée et soumise de nouveau")
        if self.previous_status == DeclarationStatus.VALIDATED and self.status == DeclarationStatus.SENT_BACK:
            return _("Rouverte par l’ARS")
        return self.get_status_display()


class DeclarationNote(models.Model):
    """An internal note of the ARS on a declaration; establishments never
    see it."""

    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="notes", verbose_name=_("déclaration")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("auteur")
    )
    text = models.TextField(_("note interne"), max_length=2000)
    created_at = models.DateTimeField(_("le"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("note interne")
        verbose_name_plural = _("notes internes")
        ordering = ["declaration_id", "created_at", "pk"]

    def __str__(self):
        return self.text[:60]


class ConsistencyThreshold(models.Model):
    """The thresholds of the consistency checks (indicators.checks) of one
    library template or one indicator (the indicator's beats its template's;
    without either, the defaults of indicators.checks). For a percentage,
    in points; otherwise in percent of the reference value."""

    template = models.OneToOneField(
        IndicatorTemplate, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("modèle de la bibliothèque"),
    )  # fmt: skip
    indicator = models.OneToOneField(
        Indicator, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("indicateur")
    )
    jump = models.DecimalField(
        _("écart toléré à l’année précédente"), max_digits=7, decimal_places=2, null=True, blank=True,
        help_text=_("En % de la valeur précédente (en points pour un pourcentage). Vide : le seuil par défaut."),
    )  # fmt: skip
    target_gap = models.DecimalField(
        _("écart toléré à la cible de l’année"), max_digits=7, decimal_places=2, null=True, blank=True,
        help_text=_("En % de la cible (en points pour un pourcentage). Vide : le seuil par défaut."),
    )  # fmt: skip
    # A threshold decides which values are flagged: who changed it, and when, is kept.
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("seuil des contrôles de cohérence")
        verbose_name_plural = _("seuils des contrôles de cohérence")
        constraints = [
            models.CheckConstraint(
                condition=Q(template__isnull=True, indicator__isnull=False)
                | Q(template__isnull=False, indicator__isnull=True),
                name="threshold_of_one_template_or_indicator",
                violation_error_message=_("Un seuil porte sur un modèle de la bibliothèque ou sur un indicateur."),
            )
        ]

    def __str__(self):
        return str(self.indicator or self.template)


# --- Computed indicators: their input data and results ----------------------------------------


class InputKind(models.TextChoices):
    STAYS = "sejours", _("Séjours hospitaliers par lieu de résidence")
    COSTS = "couts", _("Coûts des fonctions support")


class InputImportQuerySet(models.QuerySet):
    def visible_to(self, user):
        return scoped(self, user, region=lambda user: Q(region__isnull=True) | Q(region_id=user.region_id))


class InputImport(models.Model):
    """A file of input data (stays or support costs) imported whole or not
    at all; a later import of the same source and year replaces its rows."""

    class Status(models.TextChoices):
        DONE = "termine", _("Importé")
        REFUSED = "refuse", _("Refusé")
        REPLACED = "remplace", _("Remplacé par un import plus récent")

    kind = models.CharField(_("données"), max_length=20, choices=InputKind.choices)
    source = models.CharField(_("source"), max_length=100)
    # A négociateur's import belongs to his région (it replaces only his région's imports); an admin's is national.
    region = models.ForeignKey(
        "cooperations.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("région (vide : national)"),
    )  # fmt: skip
    year = models.PositiveSmallIntegerField(_("année"), null=True, blank=True)
    original_name = models.CharField(_("fichier"), max_length=255)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    rows = models.PositiveIntegerField(_("lignes importées"), default=0)
    status = models.CharField(_("état"), max_length=20, choices=Status.choices)
    report = models.JSONField(_("rapport"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("par")
    )
    created_at = models.DateTimeField(_("importé le"), auto_now_add=True)

    objects = InputImportQuerySet.as_manager()

    class Meta:
        verbose_name = _("import de données d’entrée")
        verbose_name_plural = _("imports de données d’entrée")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.source} {self.year or ''}".strip()

    @property
    def is_done(self):
        return self.status == self.Status.DONE

    @property
    def is_refused(self):
        return self.status == self.Status.REFUSED


class InputRowQuerySet(models.QuerySet):
    """The one rule on what a computation may read: the rows of national
    imports (an admin's) and of the imports of the territory's own région,
    never another région's (a négociateur imports for his région only)."""

    def readable_for(self, region_id):
        """Rows a computation for a territory of that région may read."""
        return self.filter(Q(batch__region__isnull=True) | Q(batch__region_id=region_id))

    def readable_for_home_region(self):
        """Rows readable for the région of each row's patients' home
        département: what a computation of every département at once reads."""
        own_region = Department.objects.filter(
            code=models.OuterRef("home_department"), region_id=models.OuterRef("batch__region_id")
        )
        return self.filter(Q(batch__region__isnull=True) | models.Exists(own_region))


class HospitalStay(models.Model):
    """Stays aggregated by year, site, the patients' home area and activity
    field (PMSI shape; the demo's are generated)."""

    batch = models.ForeignKey(InputImport, on_delete=models.CASCADE, related_name="stays")
    year = models.PositiveSmallIntegerField()
    site_finess = models.CharField(max_length=9)
    site_department = models.CharField(max_length=3)
    home_area = models.CharField(max_length=5)
    home_department = models.CharField(max_length=3)
    activity_field = models.CharField(max_length=3, choices=ActivityField.choices)
    stays = models.PositiveIntegerField()

    objects = InputRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("séjours agrégés")
        verbose_name_plural = _("séjours agrégés")
        indexes = [
            models.Index(fields=["year", "activity_field", "home_department"], name="stay_year_field_home"),
            models.Index(fields=["year", "activity_field", "site_finess"], name="stay_year_field_site"),
            models.Index(fields=["year", "activity_field", "home_area"], name="stay_year_field_area"),
        ]

    def __str__(self):
        return f"{self.year} {self.site_finess} ← {self.home_area} ({self.activity_field}) : {self.stays}"


class SupportCost(models.Model):
    """The cost of a support function of an establishment for a year, with
    the units it produced (meals, kg of linen, B of biology…)."""

    batch = models.ForeignKey(InputImport, on_delete=models.CASCADE, related_name="costs")
    year = models.PositiveSmallIntegerField()
    finess = models.CharField(max_length=9)
    legal_entity_finess = models.CharField(max_length=9, db_index=True)
    function = models.CharField(max_length=20, choices=SupportFunction.choices)
    cost = models.DecimalField(max_digits=14, decimal_places=2)
    units = models.DecimalField(max_digits=14, decimal_places=2)
    unit_label = models.CharField(max_length=50, blank=True)

    objects = InputRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("coût de fonction support")
        verbose_name_plural = _("coûts de fonctions support")

    def __str__(self):
        return f"{self.year} {self.finess} {self.function}"


class ComputationRunQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Admins see every run; the ARS of a région its région's."""
        return scoped(self, user, region="region_id")


class ComputationRun(BackgroundJob):
    """One run of the computation of a région's (or every) computed
    indicators for a year, followed by its page."""

    year = models.PositiveSmallIntegerField(_("année"))
    region = models.ForeignKey(
        "cooperations.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("région"),
    )
    changed = models.PositiveIntegerField(_("valeurs modifiées"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("demandé par")
    )
    created_at = models.DateTimeField(_("demandé le"), auto_now_add=True)

    objects = ComputationRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("calcul des indicateurs")
        verbose_name_plural = _("calculs des indicateurs")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return _("Calcul %(year)s — %(region)s") % {"year": self.year, "region": self.region or _("toutes régions")}

    def get_absolute_url(self):
        return object_url("indicators:computation_detail", self.pk)


class ComputedValue(models.Model):
    """The value of a computed indicator for a year, with what it was
    computed from; never typed by hand. ``value`` is empty when it cannot be
    computed, and ``reason`` says why."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="computed_values", verbose_name=_("indicateur")
    )
    year = models.PositiveSmallIntegerField(_("année"))
    value = models.DecimalField(_("valeur"), max_digits=18, decimal_places=4, null=True, blank=True)
    numerator = models.DecimalField(_("numérateur"), max_digits=20, decimal_places=2, null=True, blank=True)
    denominator = models.DecimalField(_("dénominateur"), max_digits=20, decimal_places=2, null=True, blank=True)
    reason = models.CharField(_("non calculable : motif"), max_length=255, blank=True)
    inputs = models.JSONField(_("données utilisées"), default=dict, blank=True)
    inputs_checksum = models.CharField(_("empreinte des données"), max_length=64)
    # The imports whose rows the value was computed from (part of the checksum).
    imports = models.ManyToManyField(
        InputImport, blank=True, related_name="computed_values", verbose_name=_("imports utilisés")
    )
    computed_at = models.DateTimeField(_("calculé le"))
    run = models.ForeignKey(ComputationRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="values")

    class Meta:
        verbose_name = _("valeur calculée")
        verbose_name_plural = _("valeurs calculées")
        ordering = ["indicator_id", "year"]
        constraints = [models.UniqueConstraint(fields=["indicator", "year"], name="one_computed_value_per_year")]

    def __str__(self):
        return f"{self.indicator} — {self.year}"

    @property
    def display(self):
        if self.value is None:
            return _("non calculable")
        return format_value(self.indicator.value_type, self.value, "", self.indicator.unit)


class MarketShare(models.Model):
    """Real public figures: the share (%) an establishment holds in the
    zone d'attractivité of another, per Hospi Diag activity (ATIH, 2022)."""

    year = models.PositiveSmallIntegerField()
    zone_finess = models.CharField(max_length=9, db_index=True)
    finess = models.CharField(max_length=9)
    activity = models.CharField(max_length=2, choices=MarketActivity.choices)
    share = models.DecimalField(max_digits=6, decimal_places=2)

    class Meta:
        verbose_name = _("part de marché (Hospi Diag)")
        verbose_name_plural = _("parts de marché (Hospi Diag)")

    def __str__(self):
        return f"{self.year} {self.finess} dans la zone {self.zone_finess} ({self.activity}) : {self.share} %"


class ActivityRecord(models.Model):
    """Real public figures: MCO stays of an establishment in a year
    (ScanSanté; public ones by FINESS EJ, private ones by site). Small counts
    are masked at the source (« 1 à 10 »): kept as empty."""

    year = models.PositiveSmallIntegerField()
    finess = models.CharField(max_length=9, db_index=True)
    name = models.CharField(max_length=255)
    category = models.CharField(max_length=50)
    stays = models.PositiveIntegerField(null=True, blank=True)
    full_stays = models.PositiveIntegerField(null=True, blank=True)
    partial_stays = models.PositiveIntegerField(null=True, blank=True)
    sessions = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("activité MCO (ScanSanté)")
        verbose_name_plural = _("activités MCO (ScanSanté)")
        constraints = [models.UniqueConstraint(fields=["year", "finess"], name="one_activity_per_year")]

    def __str__(self):
        return f"{self.year} {self.finess} : {self.stays}"
