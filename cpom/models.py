"""The contract: a CPOM, its signed versions, its Volet 3 commitments with
their partners, the concertation (comments, change proposals), the follow-up
indicators with their baseline and yearly targets, the indicator library and
the generated annexes. Everything here is signed, frozen and amended with
its CPOM.

Who may see what is decided by the ``visible_to(user)`` queryset methods."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.scopes import entity_ids, scoped
from cooperations.models import CooperationStructure, ExternalKind, LegalEntity, Region
from core.concurrency import StaleVersionError  # noqa: F401 - raised by the contract's services
from core.history import HistoricalRecords
from core.jobs import BackgroundJob
from core.urls import object_url
from core.values import ValueType, format_value, parse_value

# --- CPOM contracts and their Volet 3 commitments -------------------------------------------


class FrozenCpomError(Exception):
    """A write to the content of a CPOM that is not open for editing (signed,
    or waiting for signature). Changes then go through an amendment."""

    def __init__(self, message=None):
        super().__init__(message or _("Ce CPOM n’est pas modifiable à son étape actuelle : ouvrez un avenant."))


class CpomStatus(models.TextChoices):
    PREPARATION = "preparation", _("En préparation")
    CONCERTATION = "concertation", _("En concertation")
    TO_SIGN = "a_signer", _("À signer")
    SIGNED = "signe", _("Signé")


EDITABLE_STATUSES = (CpomStatus.PREPARATION, CpomStatus.CONCERTATION)
# The years a user may type anywhere (a CPOM's period, a baseline, a campaign).
YEAR_MIN, YEAR_MAX = 2000, 2100
# The longest a CPOM may run (article L. 6114-1 du code de la santé publique).
CPOM_MAX_YEARS = 5


def shared_with_establishment(user, prefix=""):
    """The CPOMs a person on an establishment's side sees, as a Q (``prefix``:
    the path to the CPOM, e.g. "cpom__"): his entities', once the ARS has
    shared a draft with him or signed it."""
    return Q(**{f"{prefix}legal_entity_id__in": entity_ids(user), f"{prefix}shared_with_director": True})


def with_visible_cpom(queryset, user, prefix=""):
    """``queryset`` cut to the rows whose CPOM (at ``prefix``, e.g.
    "commitment__cpom__") ``user`` sees: ARS users their région's, a director
    his entity's once shared with him or signed. Written on the query's own
    join to the CPOM: a subquery on the CPOMs was one more relation for
    PostgreSQL's planner to place (4 ms of planning for the sent-back values
    of a director's home page, issue 19)."""
    return scoped(
        queryset,
        user,
        region=f"{prefix}region_id",
        entity=lambda user: shared_with_establishment(user, prefix=prefix),
    )


class CpomQuerySet(models.QuerySet):
    def visible_to(self, user):
        return with_visible_cpom(self, user)


def assert_cpom_editable(cpom_id):
    """The one guard every write to a CPOM's content goes through, reading
    the status from the database rather than from a cached object."""
    if not Cpom.objects.filter(pk=cpom_id, status__in=EDITABLE_STATUSES).exists():
        raise FrozenCpomError()


class Cpom(models.Model):
    """A contrat pluriannuel d’objectifs et de moyens between the ARS and a
    legal entity; the application holds its Volet 3."""

    legal_entity = models.ForeignKey(
        LegalEntity, on_delete=models.PROTECT, related_name="cpoms", verbose_name=_("entité juridique")
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="cpoms", verbose_name=_("région (ARS)"))
    reference = models.CharField(_("référence du contrat"), max_length=50, blank=True)
    first_year = models.PositiveSmallIntegerField(_("première année"))
    last_year = models.PositiveSmallIntegerField(_("dernière année"))
    status = models.CharField(_("étape"), max_length=20, choices=CpomStatus.choices, default=CpomStatus.PREPARATION)
    concertation_round = models.PositiveSmallIntegerField(_("tour de concertation"), default=0)
    shared_with_director = models.BooleanField(_("communiqué à l’établissement"), default=False)
    signed_on = models.DateField(_("signé le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("créé par")
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = CpomQuerySet.as_manager()

    class Meta:
        verbose_name = _("CPOM")
        verbose_name_plural = _("CPOM")
        ordering = ["legal_entity__name", "-first_year"]
        constraints = [
            models.CheckConstraint(condition=Q(last_year__gte=models.F("first_year")), name="cpom_period_ordered"),
            models.CheckConstraint(
                condition=Q(last_year__lte=models.F("first_year") + CPOM_MAX_YEARS - 1), name="cpom_period_max_5_years"
            ),
        ]

    def __str__(self):
        return _("CPOM %(first)s–%(last)s de %(entity)s") % {
            "first": self.first_year,
            "last": self.last_year,
            "entity": self.legal_entity.name,
        }

    def get_absolute_url(self):
        return object_url("portal:cpom_detail", self.pk)

    @property
    def years(self):
        return list(range(self.first_year, self.last_year + 1))

    @property
    def period(self):
        return f"{self.first_year}–{self.last_year}"

    @property
    def is_editable(self):
        return self.status in EDITABLE_STATUSES

    @property
    def is_demo(self):
        return self.reference.startswith("DEMO-")

    @property
    def has_been_signed(self):
        return self.signed_on is not None

    @property
    def next_actor(self):
        """Who must act at the current step, in words for the banner."""
        return {
            CpomStatus.PREPARATION: _("L’ARS rédige les engagements."),
            CpomStatus.CONCERTATION: _(
                "L’établissement relit, commente et propose des modifications ; l’ARS y répond puis reprend la main."
            ),
            CpomStatus.TO_SIGN: _("L’ARS fait signer le CPOM et enregistre la signature."),
            CpomStatus.SIGNED: _("Contenu figé : toute modification passe par un avenant ouvert par l’ARS."),
        }[CpomStatus(self.status)]


class CpomVersion(models.Model):
    """What was signed when: the initial contract (number 0) and each
    amendment (avenant, number ≥ 1), with the content as signed."""

    cpom = models.ForeignKey(Cpom, on_delete=models.CASCADE, related_name="versions", verbose_name=_("CPOM"))
    number = models.PositiveSmallIntegerField(_("numéro"))
    reason = models.TextField(_("objet de l’avenant"), blank=True)
    opened_at = models.DateTimeField(_("ouvert le"), auto_now_add=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("ouvert par")
    )
    signed_on = models.DateField(_("signé le"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signature enregistrée par"),
    )
    content = models.JSONField(_("contenu signé"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("version signée du CPOM")
        verbose_name_plural = _("versions signées du CPOM")
        # By the parent's id: ordering by the relation itself would join the parent's own ordering, up
        # to the entity's name, in every query of these rows (issue 19).
        ordering = ["cpom_id", "number"]
        constraints = [models.UniqueConstraint(fields=["cpom", "number"], name="unique_cpom_version_number")]

    def __str__(self):
        return self.label

    @property
    def label(self):
        if self.number == 0:
            return str(_("Contrat initial"))
        return str(_("Avenant n° %(n)s") % {"n": self.number})

    @property
    def is_signed(self):
        return self.signed_on is not None


class ActionKind(models.TextChoices):
    """The six kinds of cooperation action of the Volet 3 (seed 000)."""

    PATHWAYS = "filieres", _("Organisation de filières")
    COMMUNICATION = "communication", _("Communication autour des filières")
    ACTIVITY_TRANSFER = "transferts", _("Transferts d’activités entre sites")
    STAFF_POOLING = "personnels", _("Mutualisation de personnels")
    SUPPORT_POOLING = "fonctions_support", _("Mutualisation de fonctions support")
    SHARED_EQUIPMENT = "equipements", _("Équipements et plateaux partagés")


class Theme(models.TextChoices):
    """The five themes of cooperation (seed 002)."""

    MEDICAL = "medicales", _("Coopérations médicales")
    TECHNICAL_PLATFORMS = "plateaux_techniques", _("Plateaux techniques et fonctions médico-techniques")
    LOGISTICS = "logistique", _("Fonctions logistiques et techniques")
    MANAGEMENT = "direction", _("Fonctions de direction")
    AUTHORISATIONS = "autorisations", _("Autorisations de soins")


class CommitmentStatus(models.TextChoices):
    PLANNED = "prevu", _("Prévu")
    IN_PROGRESS = "en_cours", _("En cours")
    DONE = "realise", _("Réalisé")
    ABANDONED = "abandonne", _("Abandonné")


class CommitmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        return with_visible_cpom(self, user, "cpom__")


class GuardedByCpom(models.Model):
    """Content of a CPOM: no save or delete once the CPOM is frozen."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        assert_cpom_editable(self.guarded_cpom_id())
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        assert_cpom_editable(self.guarded_cpom_id())
        return super().delete(*args, **kwargs)

    def guarded_cpom_id(self):
        raise NotImplementedError


def cpom_of_commitment(commitment_id):
    """The CPOM id of a commitment, as a subquery: the guard of a commitment's
    partners and indicators reads it in the same query as the CPOM's step."""
    return Commitment.objects.filter(pk=commitment_id).values("cpom_id")[:1]


class Commitment(GuardedByCpom):
    """A Volet 3 commitment (engagement): what the partners commit to achieve
    together. The legal vehicle only frames it."""

    cpom = models.ForeignKey(Cpom, on_delete=models.CASCADE, related_name="commitments", verbose_name=_("CPOM"))
    position = models.PositiveSmallIntegerField(_("rang"), default=0)
    title = models.CharField(_("intitulé"), max_length=255)
    action_kind = models.CharField(_("type d’action"), max_length=30, choices=ActionKind.choices)
    theme = models.CharField(_("thème"), max_length=30, choices=Theme.choices)
    objective = models.TextField(_("objectif"))
    benefits = models.TextField(_("bénéfices attendus pour les parties"), blank=True)
    vehicle = models.ForeignKey(
        CooperationStructure,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="framed_commitments",
        verbose_name=_("support juridique"),
        help_text=_("La structure qui encadre la coopération, s’il y en a une."),
    )
    start_date = models.DateField(_("date de début"), null=True, blank=True)
    deadline = models.DateField(_("échéance"), null=True, blank=True)
    status = models.CharField(
        _("état d’avancement"), max_length=20, choices=CommitmentStatus.choices, default=CommitmentStatus.PLANNED
    )
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("modifié par")
    )
    # The negotiator who maintained an objective that reads as creating a legal
    # vehicle, when, and the wording he maintained: asked again only if it changes.
    vehicle_rule_confirmed_text = models.TextField(_("objectif maintenu malgré la règle du volet 3"), blank=True)
    vehicle_rule_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("objectif maintenu par"),
    )
    vehicle_rule_confirmed_at = models.DateTimeField(_("objectif maintenu le"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at", "updated_by"])
    objects = CommitmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("engagement")
        verbose_name_plural = _("engagements")
        ordering = ["cpom_id", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline__isnull=True)
                | Q(start_date__isnull=True)
                | Q(deadline__gte=models.F("start_date")),
                name="commitment_deadline_after_start",
            )
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return f"{self.cpom.get_absolute_url()}#engagement-{self.pk}"

    def guarded_cpom_id(self):
        return self.cpom_id

    @staticmethod
    def vehicle_rule_wording(title, objective):
        """What a confirmation of the vehicle rule is about: the title and the objective, as typed."""
        return f"{(title or '').strip()}\n{(objective or '').strip()}"

    def vehicle_rule_confirmed_for(self, title, objective):
        return bool(self.vehicle_rule_confirmed_at) and self.vehicle_rule_confirmed_text == self.vehicle_rule_wording(
            title, objective
        )


class CommitmentPartner(GuardedByCpom):
    """A partner of a commitment: a legal entity of the register, a
    cooperation structure, or an actor outside the register named in text."""

    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="partners", verbose_name=_("engagement")
    )
    legal_entity = models.ForeignKey(
        LegalEntity, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("établissement")
    )
    structure = models.ForeignKey(
        CooperationStructure,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("structure de coopération"),
    )
    external_name = models.CharField(_("partenaire hors répertoire"), max_length=255, blank=True)
    external_kind = models.CharField(_("type de partenaire"), max_length=20, choices=ExternalKind.choices, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("partenaire de l’engagement")
        verbose_name_plural = _("partenaires de l’engagement")
        ordering = ["commitment_id", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(legal_entity__isnull=False) & Q(structure__isnull=True) & Q(external_name=""))
                | (Q(legal_entity__isnull=True) & Q(structure__isnull=False) & Q(external_name=""))
                | (Q(legal_entity__isnull=True) & Q(structure__isnull=True) & ~Q(external_name="")),
                name="commitment_partner_exactly_one",
            )
        ]

    def __str__(self):
        return self.name

    def guarded_cpom_id(self):
        return cpom_of_commitment(self.commitment_id)

    @property
    def contract_name(self):
        """The partner as a contract names it: never an entity's provisional name."""
        if self.legal_entity_id:
            entity = self.legal_entity
            return entity.legal_name or _("Entité juridique FINESS EJ %(finess)s") % {"finess": entity.finess}
        return self.name

    @property
    def name(self):
        if self.legal_entity_id:
            return self.legal_entity.name
        if self.structure_id:
            return str(self.structure)
        kind = f" ({self.get_external_kind_display()})" if self.external_kind else ""
        return f"{self.external_name}{kind}"


class Comment(models.Model):
    """A dated message of the negotiation, on one commitment or on the CPOM
    as a whole."""

    cpom = models.ForeignKey(Cpom, on_delete=models.CASCADE, related_name="comments", verbose_name=_("CPOM"))
    commitment = models.ForeignKey(
        Commitment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="comments",
        verbose_name=_("engagement"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("auteur")
    )
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("le"), auto_now_add=True)
    concertation_round = models.PositiveSmallIntegerField(_("tour de concertation"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("commentaire")
        verbose_name_plural = _("commentaires")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.body[:60]


class ProposalStatus(models.TextChoices):
    PENDING = "en_attente", _("En attente de réponse")
    ACCEPTED = "acceptee", _("Acceptée")
    REJECTED = "refusee", _("Refusée")


class ChangeProposal(models.Model):
    """A change the establishment proposes on a commitment during the
    concertation: one field or one target value, the value it proposes, and
    the negotiator's answer."""

    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="proposals", verbose_name=_("engagement")
    )
    target = models.CharField(_("élément concerné"), max_length=60)
    target_label = models.CharField(_("libellé de l’élément"), max_length=300)
    current_value = models.TextField(_("valeur au moment de la proposition"), blank=True)
    proposed_value = models.TextField(_("valeur proposée"))
    reason = models.TextField(_("justification"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposé par")
    )
    created_at = models.DateTimeField(_("proposée le"), auto_now_add=True)
    status = models.CharField(
        _("réponse"), max_length=20, choices=ProposalStatus.choices, default=ProposalStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("répondue le"), null=True, blank=True)
    decision_note = models.TextField(_("motif de la réponse"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("proposition de modification")
        verbose_name_plural = _("propositions de modification")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.target_label} → {self.proposed_value[:40]}"

    @property
    def is_pending(self):
        return self.status == ProposalStatus.PENDING


def annex_upload_to(instance, filename):
    return f"annexes/{instance.cpom_id}/{filename}"


class AnnexFile(models.Model):
    """A generated PDF annex: which version of which CPOM, when, by whom, and
    the SHA-256 of its bytes. The annex of a signed version is generated
    once and served again byte for byte."""

    cpom = models.ForeignKey(Cpom, on_delete=models.CASCADE, related_name="annex_files", verbose_name=_("CPOM"))
    version = models.ForeignKey(
        CpomVersion, on_delete=models.CASCADE, related_name="annex_files", verbose_name=_("version")
    )
    version_signed = models.BooleanField(_("version signée"), default=False)
    file = models.FileField(_("fichier PDF"), upload_to=annex_upload_to)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("taille (octets)"))
    created_at = models.DateTimeField(_("généré le"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("par")
    )

    class Meta:
        verbose_name = _("annexe PDF générée")
        verbose_name_plural = _("annexes PDF générées")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["version"], condition=Q(version_signed=True), name="one_stored_annex_per_signed_version"
            )
        ]

    def __str__(self):
        return f"{self.cpom} — {self.version.label} ({self.sha256[:12]})"


class AnnexArchive(BackgroundJob):
    """A ZIP of the annexes of several CPOMs (a région, or a filtered list),
    built by a Celery task and downloadable for a limited time."""

    label = models.CharField(_("contenu"), max_length=255)
    region = models.ForeignKey(
        Region, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("région")
    )
    cpom_ids = models.JSONField(_("CPOM inclus"), default=list)
    file = models.FileField(_("archive"), upload_to="annexes/archives/", blank=True)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("par")
    )
    created_at = models.DateTimeField(_("demandée le"), auto_now_add=True)
    expires_at = models.DateTimeField(_("téléchargeable jusqu’au"))

    class Meta:
        verbose_name = _("archive d’annexes")
        verbose_name_plural = _("archives d’annexes")
        ordering = ["-created_at"]

    def __str__(self):
        return self.label

    def get_absolute_url(self):
        return object_url("cpom:annex_archive_detail", self.pk)

    def save(self, *args, **kwargs):
        self.total = len(self.cpom_ids)
        super().save(*args, **kwargs)

    @property
    def is_expired(self):
        return self.expires_at <= timezone.now()


# --- Indicators of the commitments and their targets ----------------------------------------


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
    LEAKAGE_PROXY = "fuite_hospidiag", _("Taux de fuite approché : 100 − part de marché du GHT (Hospi Diag 2022)")
    MCO_ACTIVITY = "activite_mco", _("Séjours MCO de l’établissement (ScanSanté)")


class TerritoryKind(models.TextChoices):
    GHT = "ght", _("Le GHT de l’établissement (sites de ses membres)")
    DEPARTMENT = "departement", _("Le département de l’établissement")


class ActivityField(models.TextChoices):
    MCO = "MCO", _("MCO (médecine, chirurgie, obstétrique)")
    SSR = "SSR", _("SSR (soins de suite et de réadaptation)")
    HAD = "HAD", _("HAD (hospitalisation à domicile)")
    PSY = "PSY", _("Psychiatrie")


class SupportFunction(models.TextChoices):
    CATERING = "restauration", _("Restauration")
    LAUNDRY = "blanchisserie", _("Blanchisserie")
    STERILISATION = "sterilisation", _("Stérilisation")
    IMAGING = "imagerie", _("Imagerie")
    BIOLOGY = "biologie", _("Biologie")
    PHARMACY = "pui", _("Pharmacie à usage intérieur")
    LOGISTICS = "logistique", _("Logistique")
    OTHER = "autre", _("Autre fonction support")


class MarketActivity(models.TextChoices):
    """The activity indicators of the Hospi Diag market shares (see the ATIH guide)."""

    A1 = "A1", _("A1 (indicateur d’activité Hospi Diag)")
    A2 = "A2", _("A2 (indicateur d’activité Hospi Diag)")
    A3 = "A3", _("A3 (indicateur d’activité Hospi Diag)")
    A4 = "A4", _("A4 (indicateur d’activité Hospi Diag)")
    A5 = "A5", _("A5 (indicateur d’activité Hospi Diag)")
    A6 = "A6", _("A6 (indicateur d’activité Hospi Diag)")


class CountKind(models.TextChoices):
    ACTIVE_STRUCTURES = "structures_actives", _("Structures de coopération actives dont l’établissement est membre")
    DONE_COMMITMENTS = "engagements_realises", _("Engagements réalisés de ses CPOM")


class Frequency(models.TextChoices):
    ANNUAL = "annuelle", _("Annuelle (une valeur par année civile)")
    HALF_YEARLY = "semestrielle", _("Semestrielle (valeur annuelle déclarée en deux temps)")
    ONCE = "ponctuelle", _("Ponctuelle (constat de réalisation)")


# The technical sheet of an indicator, in the order the sheet prints it (after
# the definition's own unit, direction and source).
SHEET_FIELDS = ("definition", "numerator", "denominator", "frequency", "baseline_origin", "evidence")


# The parameters each calculation reads (blank: its default; see
# indicators.computations). The form shows only the chosen calculation's; the
# CPOM page, the sheet and the annex print them.
COMPUTATION_PARAMETERS = {
    Computation.LEAKAGE_RATE: ("territory_kind", "activity_field"),
    Computation.SUPPORT_COST: ("support_function",),
    Computation.APPLICATION_COUNT: ("count_kind",),
    Computation.LEAKAGE_PROXY: ("market_activity",),
    Computation.MCO_ACTIVITY: (),
}


class IndicatorDefinition(models.Model):
    """What an indicator is, shared by the library templates and the
    indicators written into CPOMs, with its technical sheet (fiche
    technique: definition, what is counted, frequency, baseline, evidence)."""

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
    definition = models.TextField(_("définition"), blank=True, help_text=_("Ce que l’indicateur mesure, en clair."))
    numerator = models.TextField(
        _("numérateur (ou ce qui est compté)"),
        blank=True,
        help_text=_("Pour un taux : ce qui est au numérateur ; pour un effectif : ce qui est compté, et comment."),
    )
    denominator = models.TextField(
        _("dénominateur"), blank=True, help_text=_("Pour un taux ou un ratio ; vide pour un effectif.")
    )
    frequency = models.CharField(_("fréquence"), max_length=20, choices=Frequency.choices, default=Frequency.ANNUAL)
    baseline_origin = models.TextField(
        _("origine de la valeur de référence"),
        blank=True,
        help_text=_("De quelle année et de quelle source vient la valeur de départ."),
    )
    evidence = models.TextField(
        _("pièces justificatives"), blank=True, help_text=_("Les documents à joindre à chaque déclaration.")
    )

    class Meta:
        abstract = True

    @property
    def is_computed(self):
        return self.kind == IndicatorKind.AUTOMATABLE

    @property
    def computation_parameters(self):
        """The parameters of its calculation in words (« Fonction support : Blanchisserie »),
        joined by « ; », or "" (a blank parameter is its calculation's default, not printed)."""
        shown = []
        for name in COMPUTATION_PARAMETERS.get(self.computation, ()):
            if getattr(self, name, ""):
                label = capfirst(self._meta.get_field(name).verbose_name)
                shown.append(f"{label} : {getattr(self, f'get_{name}_display')()}")
        return " ; ".join(shown)

    def sheet_source(self):
        """Who declares the value, or what it is computed from."""
        if self.is_computed:
            calculation = self.get_computation_display() if self.computation else ""
            if self.computation_parameters:
                calculation = f"{calculation} ({self.computation_parameters})"
            text = _("Calculée par l’application : %(calculation)s.") % {"calculation": calculation}
        else:
            text = _("Déclarée par l’établissement (le directeur la soumet), validée ou renvoyée par l’ARS.")
        if self.data_source:
            text = f"{text} {_('Données :')} {self.data_source}"
        return text

    def sheet_baseline(self):
        return self.baseline_origin

    def sheet_rows(self):
        """The technical sheet, as (label, text) rows: the page, the
        declaration form and the annex's appendix print these."""
        unit = self.unit or self.get_value_type_display()
        return [
            (_("Définition"), self.definition),
            (_("Numérateur ou objet du décompte"), self.numerator),
            (_("Dénominateur"), self.denominator or _("Sans objet : la valeur n’est pas un rapport.")),
            (_("Unité"), unit),
            (_("Sens d’amélioration"), self.get_direction_display()),
            (_("Source"), self.sheet_source()),
            (_("Fréquence"), self.get_frequency_display()),
            (_("Valeur de référence"), self.sheet_baseline()),
            (_("Pièces justificatives à joindre"), self.evidence),
        ]


class IndicatorTemplate(IndicatorDefinition):
    """A model indicator of the library, from the seeds; it pre-fills the
    indicator form."""

    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("rang"), default=0)
    history = HistoricalRecords()

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
            **{name: getattr(self, name) for name in SHEET_FIELDS},
        }

    def get_sheet_url(self):
        return object_url("cpom:template_sheet", self.pk)


class IndicatorQuerySet(models.QuerySet):
    def visible_to(self, user):
        return with_visible_cpom(self, user, "commitment__cpom__")


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
    # What a computed indicator is computed on (blank: the default of its computation).
    territory_kind = models.CharField(
        _("territoire du taux de fuite"), max_length=20, choices=TerritoryKind.choices, blank=True
    )
    activity_field = models.CharField(_("champ d’activité"), max_length=3, choices=ActivityField.choices, blank=True)
    support_function = models.CharField(
        _("fonction support"), max_length=20, choices=SupportFunction.choices, blank=True
    )
    count_kind = models.CharField(_("objet du décompte"), max_length=30, choices=CountKind.choices, blank=True)
    market_activity = models.CharField(
        _("activité Hospi Diag"), max_length=2, choices=MarketActivity.choices, blank=True
    )

    history = HistoricalRecords()
    objects = IndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = _("indicateur de suivi")
        verbose_name_plural = _("indicateurs de suivi")
        ordering = ["commitment_id", "position", "pk"]
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

    def get_sheet_url(self):
        return object_url("cpom:indicator_sheet", self.pk)

    def sheet_baseline(self):
        """The baseline of this indicator: its value and year, and where it comes from."""
        if self.baseline_year:
            value = _("%(value)s en %(year)s.") % {"value": self.baseline_display or "—", "year": self.baseline_year}
        else:
            value = _("Pas encore renseignée.")
        return f"{value} {self.baseline_origin}".strip()

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
        ordering = ["indicator_id", "year"]
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
