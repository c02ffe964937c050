"""The diagnostic: the phase before negotiation. A territory (a GHT or a
département) or a legal entity is diagnosed against a reference grid
(seed 000 annex 1, seed 002), its existing cooperations are inventoried
(seed 003), axes of cooperation are found and prioritised, and an axis
becomes a draft Volet 3 commitment."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.scopes import entity_ids, scoped
from cooperations.models import CooperationStructure, Department, LegalEntity, Nature, Purpose, Region
from core.history import HistoricalRecords
from core.urls import object_url
from cpom.models import Commitment, Theme


class GridSection(models.TextChoices):
    TERRITORY = "territoire", _("Vision des enjeux territoriaux")
    STRUCTURE = "structure", _("Vision des enjeux par structure")
    QUESTIONS = "questions", _("Questions à se poser lors du diagnostic")
    AMBULATORY = "ambulatoire", _("Fiche complémentaire : lien avec l’ambulatoire")


class GridObjective(models.Model):
    """A theme of annex 1 of seed 000 and one of its objectives."""

    theme = models.CharField(_("thème"), max_length=100)
    label = models.CharField(_("objectif"), max_length=255)
    position = models.PositiveSmallIntegerField(_("rang"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("objectif de la grille")
        verbose_name_plural = _("objectifs de la grille")
        ordering = ["position", "pk"]

    def __str__(self):
        return f"{self.theme} — {self.label}"


class GridQuestion(models.Model):
    """A question of the reference grid, answered in each diagnostic."""

    section = models.CharField(_("partie"), max_length=20, choices=GridSection.choices)
    label = models.CharField(_("question"), max_length=255)
    guidance = models.TextField(_("pistes de réflexion"), blank=True)
    position = models.PositiveSmallIntegerField(_("rang"), default=0)
    active = models.BooleanField(_("en usage"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("question de la grille")
        verbose_name_plural = _("grille de diagnostic")
        ordering = ["section", "position", "pk"]

    def __str__(self):
        return self.label


class Scope(models.TextChoices):
    GHT = "ght", _("Un GHT")
    DEPARTMENT = "departement", _("Un département")
    ENTITY = "entite", _("Une entité juridique")


class DiagnosticStatus(models.TextChoices):
    IN_PROGRESS = "en_cours", _("En cours")
    DONE = "termine", _("Terminé")


class DiagnosticQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The ARS sees its région's diagnostics; a director those that
        concern his entity (of it, of a GHT it belongs to, of its département)."""

        def director(user):
            own = entity_ids(user)
            own_department = LegalEntity.objects.filter(pk__in=own).values("department")
            concerned = Diagnostic.objects.filter(
                Q(legal_entity_id__in=own)
                | Q(ght__memberships__legal_entity_id__in=own)
                | Q(scope=Scope.DEPARTMENT, department__in=own_department)
            )
            return Q(pk__in=concerned.values("pk"))

        return scoped(self, user, region="region_id", entity=director)


class Diagnostic(models.Model):
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("région"))
    scope = models.CharField(_("périmètre"), max_length=20, choices=Scope.choices)
    ght = models.ForeignKey(
        CooperationStructure, on_delete=models.PROTECT, null=True, blank=True, related_name="diagnostics",
        verbose_name=_("GHT"),
    )  # fmt: skip
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("département")
    )
    legal_entity = models.ForeignKey(
        LegalEntity, on_delete=models.PROTECT, null=True, blank=True, related_name="diagnostics",
        verbose_name=_("entité juridique"),
    )  # fmt: skip
    title = models.CharField(_("intitulé"), max_length=255)
    status = models.CharField(
        _("état"), max_length=20, choices=DiagnosticStatus.choices, default=DiagnosticStatus.IN_PROGRESS
    )
    health_needs = models.TextField(_("besoins de santé du territoire"), blank=True)
    prs_orientations = models.TextField(_("orientations du projet régional de santé"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("ouvert par")
    )
    created_at = models.DateTimeField(_("ouvert le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    objects = DiagnosticQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("diagnostic")
        verbose_name_plural = _("diagnostics")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope="ght", ght__isnull=False)
                | Q(scope="departement", department__isnull=False)
                | Q(scope="entite", legal_entity__isnull=False),
                name="diagnostic_scope_has_its_object",
            )
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return object_url("diagnostics:diagnostic_detail", self.pk)

    @property
    def subject(self):
        return {"ght": self.ght, "departement": self.department, "entite": self.legal_entity}[self.scope]

    def entities(self):
        """The legal entities concerned: the entity, the GHT's members, or
        the entities of the département."""
        if self.scope == Scope.ENTITY:
            return LegalEntity.objects.filter(pk=self.legal_entity_id)
        if self.scope == Scope.GHT:
            return LegalEntity.objects.filter(memberships__structure=self.ght_id).distinct()
        return LegalEntity.objects.filter(department=self.department_id, closed_on__isnull=True)


class Answer(models.Model):
    diagnostic = models.ForeignKey(Diagnostic, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(GridQuestion, on_delete=models.PROTECT, related_name="answers")
    text = models.TextField(_("réponse"), blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("réponse")
        verbose_name_plural = _("réponses")
        constraints = [models.UniqueConstraint(fields=["diagnostic", "question"], name="one_answer_per_question")]

    def __str__(self):
        return self.text[:60]


class StructureView(models.Model):
    """The per-structure view of a diagnostic: the entity's needs and
    constraints, filled in by the ARS or the entity's director."""

    diagnostic = models.ForeignKey(Diagnostic, on_delete=models.CASCADE, related_name="structure_views")
    legal_entity = models.ForeignKey(LegalEntity, on_delete=models.PROTECT, related_name="+")
    needs = models.TextField(_("besoins"), blank=True)
    constraints = models.TextField(_("contraintes"), blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("vision par structure")
        verbose_name_plural = _("visions par structure")
        constraints = [models.UniqueConstraint(fields=["diagnostic", "legal_entity"], name="one_view_per_structure")]

    def __str__(self):
        return str(self.legal_entity)


class InventoryItem(models.Model):
    """An existing cooperation, as the diagnostic qualifies it (seed 003)."""

    diagnostic = models.ForeignKey(Diagnostic, on_delete=models.CASCADE, related_name="inventory")
    structure = models.ForeignKey(CooperationStructure, on_delete=models.CASCADE, related_name="+")
    nature = models.CharField(_("volontaire ou contrainte"), max_length=20, choices=Nature.choices, blank=True)
    purpose = models.CharField(_("stratégique ou économique"), max_length=20, choices=Purpose.choices, blank=True)
    theme = models.CharField(_("thème"), max_length=30, choices=Theme.choices, blank=True)
    comment = models.CharField(_("commentaire"), max_length=500, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("coopération existante")
        verbose_name_plural = _("inventaire des coopérations existantes")
        constraints = [models.UniqueConstraint(fields=["diagnostic", "structure"], name="one_item_per_structure")]

    def __str__(self):
        return str(self.structure)


SCORES = [(n, str(n)) for n in range(1, 6)]


class Axis(models.Model):
    """An axis of cooperation and its prioritisation."""

    diagnostic = models.ForeignKey(Diagnostic, on_delete=models.CASCADE, related_name="axes")
    title = models.CharField(_("axe de coopération"), max_length=255)
    theme = models.CharField(_("thème"), max_length=30, choices=Theme.choices)
    description = models.TextField(_("enjeu"), blank=True)
    partners = models.ManyToManyField(LegalEntity, blank=True, related_name="+", verbose_name=_("partenaires"))
    other_partners = models.CharField(_("autres partenaires (hors répertoire)"), max_length=500, blank=True)
    pooling = models.TextField(_("ce qui est mis en commun"), blank=True)
    quick_win = models.BooleanField(_("opération accessible rapidement"), default=False)
    target_group = models.TextField(_("organisation cible : au niveau du groupement"), blank=True)
    target_actors = models.TextField(_("organisation cible : au niveau des acteurs"), blank=True)
    impacts_group = models.TextField(_("impacts pour le groupement"), blank=True)
    impacts_actors = models.TextField(_("impacts pour chaque acteur"), blank=True)
    impact = models.PositiveSmallIntegerField(_("impact (1 à 5)"), choices=SCORES, null=True, blank=True)
    feasibility = models.PositiveSmallIntegerField(_("faisabilité (1 à 5)"), choices=SCORES, null=True, blank=True)
    commitment = models.ForeignKey(
        Commitment, on_delete=models.SET_NULL, null=True, blank=True, related_name="diagnostic_axes",
        verbose_name=_("engagement issu de l’axe"),
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("axe de coopération")
        verbose_name_plural = _("axes de coopération")
        ordering = ["diagnostic", "pk"]

    def __str__(self):
        return self.title

    @property
    def priority(self):
        """Impact × feasibility (1 to 25); None until both are scored."""
        if self.impact and self.feasibility:
            return self.impact * self.feasibility
        return None
