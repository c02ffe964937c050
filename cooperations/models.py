"""Reference register (geography, FINESS entities and sites) and the
cooperation structures that link them.

Who may see what is decided by the ``visible_to(user)`` queryset methods
below, and nowhere else; ``accounts.User`` carries the role and its scope.
"""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .finess import validate_finess


class Region(models.Model):
    """An INSEE région; each maps onto one ARS."""

    code = models.CharField(_("code INSEE"), max_length=2, primary_key=True)
    name = models.CharField(_("nom"), max_length=100)

    class Meta:
        verbose_name = _("région")
        verbose_name_plural = _("régions")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Department(models.Model):
    code = models.CharField(_("code INSEE"), max_length=3, primary_key=True)
    name = models.CharField(_("nom"), max_length=100)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="departments", verbose_name=_("région"))

    class Meta:
        verbose_name = _("département")
        verbose_name_plural = _("départements")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} — {self.name}"


class Sector(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE_NONPROFIT = "prive_non_lucratif", _("Privé non lucratif")
    PRIVATE_FORPROFIT = "prive_lucratif", _("Privé lucratif")
    FOREIGN = "etranger", _("Droit étranger")


class LegalStatus(models.Model):
    """FINESS legal status (statut juridique) and the sector it belongs to."""

    code = models.CharField(_("code FINESS"), max_length=4, primary_key=True)
    label = models.CharField(_("libellé"), max_length=200)
    sector = models.CharField(_("secteur"), max_length=20, choices=Sector.choices)

    class Meta:
        verbose_name = _("statut juridique")
        verbose_name_plural = _("statuts juridiques")
        ordering = ["code"]

    def __str__(self):
        return self.label


class Category(models.Model):
    """FINESS establishment category (catégorie d'établissement)."""

    code = models.CharField(_("code FINESS"), max_length=4, primary_key=True)
    label = models.CharField(_("libellé"), max_length=200)

    class Meta:
        verbose_name = _("catégorie d’établissement")
        verbose_name_plural = _("catégories d’établissement")
        ordering = ["label"]

    def __str__(self):
        return self.label


def _user_role(user):
    return getattr(user, "role", None) if user is not None and user.is_authenticated else None


class RegisterQuerySet(models.QuerySet):
    """Entities and sites: a regional user sees his région, a director his
    own legal entity (and its sites)."""

    director_field = "pk"

    def visible_to(self, user):
        role = _user_role(user)
        if role is None:
            return self.none()
        if user.is_admin:
            return self
        if user.is_regional:
            return self.filter(region_id=user.region_id)
        if user.is_director:
            return self.filter(**{self.director_field: user.legal_entity_id})
        return self.none()


class LegalEntityQuerySet(RegisterQuerySet):
    director_field = "pk"


class RegionFromDepartment(models.Model):
    """The région is denormalised from the département: every access check
    filters on it."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.department_id and not self.region_id:
            self.region_id = self.department.region_id
        super().save(*args, **kwargs)


class LegalEntity(RegionFromDepartment):
    """A legal entity (entité juridique), identified by its FINESS EJ."""

    finess = models.CharField(_("FINESS EJ"), max_length=9, unique=True, validators=[validate_finess])
    name = models.CharField(_("raison sociale"), max_length=255)
    # The SAE register names sites, not legal entities: until a source that
    # names the entity is imported, its name is built from its sites.
    name_is_provisional = models.BooleanField(_("nom provisoire (déduit des sites)"), default=False)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    finessplus_id = models.CharField(
        _("identifiant FINESS+"), max_length=20, blank=True, db_index=True, help_text=_("pmSmsseId du flux FINESS+.")
    )
    legal_status = models.ForeignKey(
        LegalStatus, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("statut juridique")
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("département")
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("région"))
    closed_on = models.DateField(_("date de fermeture"), null=True, blank=True)

    objects = LegalEntityQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("entité juridique")
        verbose_name_plural = _("entités juridiques")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.finess})"

    def get_absolute_url(self):
        return reverse("cooperations:legal_entity_detail", args=[self.finess])


class EstablishmentQuerySet(RegisterQuerySet):
    director_field = "legal_entity_id"


class Establishment(RegionFromDepartment):
    """A site (établissement), identified by its FINESS ET."""

    finess = models.CharField(_("FINESS ET"), max_length=9, unique=True, validators=[validate_finess])
    name = models.CharField(_("raison sociale"), max_length=255)
    legal_entity = models.ForeignKey(
        LegalEntity, on_delete=models.PROTECT, related_name="establishments", verbose_name=_("entité juridique")
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("catégorie"))
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("département")
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("région"))
    commune_code = models.CharField(_("code commune INSEE"), max_length=5, blank=True)
    commune_name = models.CharField(_("commune"), max_length=100, blank=True)
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    postcode = models.CharField(_("code postal"), max_length=5, blank=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    mco_beds = models.PositiveIntegerField(_("lits MCO (SAE 2023)"), null=True, blank=True)
    finessplus_id = models.CharField(
        _("identifiant FINESS+"), max_length=20, blank=True, db_index=True, help_text=_("egeId du flux FINESS+.")
    )
    closed_on = models.DateField(_("date de fermeture"), null=True, blank=True)

    objects = EstablishmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("établissement")
        verbose_name_plural = _("établissements")
        ordering = ["name"]
        indexes = [models.Index(fields=["region", "name"])]

    def __str__(self):
        return f"{self.name} ({self.finess})"

    def get_absolute_url(self):
        return reverse("cooperations:establishment_detail", args=[self.finess])


class Family(models.TextChoices):
    CONVENTIONAL = "conventionnelle", _("Coopération conventionnelle")
    ORGANIC = "organique", _("Coopération organique (personne morale)")
    OTHER = "autre", _("Autre forme de coopération")


class StructureKind(models.TextChoices):
    """Legal vehicles of a cooperation (seeds 003 and 004)."""

    GHT = "ght", _("Groupement hospitalier de territoire (GHT)")
    CONVENTION = "convention", _("Convention de coopération")
    FMIH = "fmih", _("Fédération médicale inter-hospitalière (FMIH)")
    COMMON_DIRECTION = "direction_commune", _("Direction commune")
    LIBERAL_CONTRACT = "contrat_liberaux", _("Contrat avec des praticiens libéraux")
    GCS_MEANS = "gcs_moyens", _("GCS de moyens")
    GCS_HEALTH_ESTABLISHMENT = "gcs_es", _("GCS érigé en établissement de santé")
    GCS_AUTHORISATIONS = "gcs_autorisations", _("GCS exploitant des autorisations (ordonnance 2017-28)")
    GCSMS = "gcsms", _("Groupement de coopération sociale et médico-sociale (GCSMS)")
    GIE = "gie", _("Groupement d’intérêt économique (GIE)")
    GIP = "gip", _("Groupement d’intérêt public (GIP)")
    ASSOCIATION = "association", _("Association")
    MSP = "msp", _("Maison de santé pluriprofessionnelle (MSP)")
    HEALTH_POLE = "pole_sante", _("Pôle de santé")
    HEALTH_NETWORK = "reseau_sante", _("Réseau de santé")
    CLS = "cls", _("Contrat local de santé (CLS)")
    PROFESSIONAL_PROTOCOL = "protocole", _("Protocole de coopération entre professionnels")
    CPTS = "cpts", _("Communauté professionnelle territoriale de santé (CPTS)")


KIND_FAMILY = {
    StructureKind.GHT: Family.CONVENTIONAL,
    StructureKind.CONVENTION: Family.CONVENTIONAL,
    StructureKind.FMIH: Family.CONVENTIONAL,
    StructureKind.COMMON_DIRECTION: Family.CONVENTIONAL,
    StructureKind.LIBERAL_CONTRACT: Family.CONVENTIONAL,
    StructureKind.GCS_MEANS: Family.ORGANIC,
    StructureKind.GCS_HEALTH_ESTABLISHMENT: Family.ORGANIC,
    StructureKind.GCS_AUTHORISATIONS: Family.ORGANIC,
    StructureKind.GCSMS: Family.ORGANIC,
    StructureKind.GIE: Family.ORGANIC,
    StructureKind.GIP: Family.ORGANIC,
    StructureKind.ASSOCIATION: Family.ORGANIC,
    StructureKind.MSP: Family.OTHER,
    StructureKind.HEALTH_POLE: Family.OTHER,
    StructureKind.HEALTH_NETWORK: Family.OTHER,
    StructureKind.CLS: Family.OTHER,
    StructureKind.PROFESSIONAL_PROTOCOL: Family.OTHER,
    StructureKind.CPTS: Family.ORGANIC,
}


class CompositionSource(models.TextChoices):
    ENTERED = "saisie", _("Saisie dans l’application")
    OFFICIAL = "officielle", _("Liste officielle importée")
    FINESSPLUS = "finessplus", _("Répertoire FINESS+")
    RECONSTRUCTED = "reconstituee", _("Composition reconstituée pour la démonstration")


class Nature(models.TextChoices):
    VOLUNTARY = "volontaire", _("Volontaire")
    CONSTRAINED = "contrainte", _("Contrainte")


class Purpose(models.TextChoices):
    STRATEGIC = "strategique", _("Stratégique")
    ECONOMIC = "economique", _("Économique")


class CooperationStructureQuerySet(models.QuerySet):
    def visible_to(self, user):
        role = _user_role(user)
        if role is None:
            return self.none()
        if user.is_admin:
            return self
        if user.is_regional:
            member_in_region = Membership.objects.filter(
                structure=OuterRef("pk"), legal_entity__region_id=user.region_id
            )
            return self.filter(Q(region_id=user.region_id) | Exists(member_in_region))
        if user.is_director:
            own_membership = Membership.objects.filter(structure=OuterRef("pk"), legal_entity_id=user.legal_entity_id)
            return self.filter(Exists(own_membership))
        return self.none()

    def editable_by(self, user):
        if _user_role(user) is None:
            return self.none()
        if user.is_admin:
            return self
        if user.is_negotiator:
            return self.filter(region_id=user.region_id)
        return self.none()


class CooperationStructure(models.Model):
    """The legal vehicle framing a cooperation: GHT, GCS, convention…"""

    kind = models.CharField(_("forme juridique"), max_length=30, choices=StructureKind.choices)
    family = models.CharField(_("famille"), max_length=20, choices=Family.choices, editable=False)
    name = models.CharField(_("nom"), max_length=255)
    code = models.CharField(
        _("code officiel"),
        max_length=20,
        blank=True,
        help_text=_("Pour un GHT : le code national (ex. 11101)."),
    )
    short_code = models.CharField(_("code court"), max_length=20, blank=True, help_text=_("Ex. IDF-01."))
    finess = models.CharField(
        _("FINESS"),
        max_length=9,
        blank=True,
        validators=[validate_finess],
        help_text=_("Pour une structure dotée de la personnalité morale (GCS, GIP…)."),
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="structures", verbose_name=_("région")
    )
    start_date = models.DateField(_("date de création"), null=True, blank=True)
    end_date = models.DateField(_("date de fin"), null=True, blank=True)
    nature = models.CharField(_("nature du lien"), max_length=20, choices=Nature.choices, blank=True)
    purpose = models.CharField(_("logique du lien"), max_length=20, choices=Purpose.choices, blank=True)
    description = models.TextField(_("objet"), blank=True)
    legal_entity = models.ForeignKey(
        "LegalEntity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="own_structures",
        verbose_name=_("personne morale de la structure"),
        help_text=_("Pour un groupement organique (GCS…) : son entité juridique au répertoire."),
    )
    finessplus_id = models.CharField(_("identifiant FINESS+"), max_length=20, blank=True)
    composition_source = models.CharField(
        _("origine de la composition"),
        max_length=20,
        choices=CompositionSource.choices,
        default=CompositionSource.ENTERED,
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("modifié par"),
    )

    objects = CooperationStructureQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("structure de coopération")
        verbose_name_plural = _("structures de coopération")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "code"], condition=~Q(code=""), name="unique_structure_code_per_kind"
            ),
            models.UniqueConstraint(
                fields=["finessplus_id"], condition=~Q(finessplus_id=""), name="unique_structure_finessplus_id"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="structure_end_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.short_code} {self.name}".strip() if self.short_code else self.name

    def save(self, *args, **kwargs):
        self.family = KIND_FAMILY[StructureKind(self.kind)]
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("cooperations:structure_detail", args=[self.pk])

    @property
    def is_reconstructed(self):
        return self.composition_source == CompositionSource.RECONSTRUCTED

    @property
    def is_official(self):
        return self.composition_source in (CompositionSource.OFFICIAL, CompositionSource.FINESSPLUS)


class MemberRole(models.TextChoices):
    SUPPORT = "support", _("Établissement support")
    MEMBER = "membre", _("Membre")
    ASSOCIATE = "associe", _("Associé")
    PARTNER = "partenaire", _("Partenaire")


class ExternalKind(models.TextChoices):
    CITY_MEDICINE = "ville", _("Médecine de ville")
    MEDICO_SOCIAL = "medico_social", _("Acteur médico-social")
    LOCAL_AUTHORITY = "collectivite", _("Collectivité territoriale")
    OTHER = "autre", _("Autre")


class MembershipQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(structure__in=CooperationStructure.objects.visible_to(user))


class Membership(models.Model):
    """A member of a cooperation structure: a legal entity of the register
    (optionally one of its sites), or an actor outside it (city doctors,
    médico-social services…) named in text."""

    structure = models.ForeignKey(
        CooperationStructure, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("structure")
    )
    legal_entity = models.ForeignKey(
        LegalEntity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("entité juridique"),
    )
    establishment = models.ForeignKey(
        Establishment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("site"),
    )
    external_name = models.CharField(_("partenaire hors répertoire"), max_length=255, blank=True)
    external_kind = models.CharField(_("type de partenaire"), max_length=20, choices=ExternalKind.choices, blank=True)
    role = models.CharField(_("rôle"), max_length=20, choices=MemberRole.choices, default=MemberRole.MEMBER)
    start_date = models.DateField(_("depuis le"), null=True, blank=True)
    end_date = models.DateField(_("jusqu’au"), null=True, blank=True)
    source = models.CharField(
        _("origine"), max_length=20, choices=CompositionSource.choices, default=CompositionSource.ENTERED
    )

    objects = MembershipQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("membre")
        verbose_name_plural = _("membres")
        ordering = ["structure", "role", "legal_entity__name", "external_name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(legal_entity__isnull=False) & Q(external_name=""))
                | (Q(legal_entity__isnull=True) & Q(establishment__isnull=True) & ~Q(external_name="")),
                name="membership_register_xor_external",
            ),
            models.UniqueConstraint(
                fields=["structure", "legal_entity"],
                condition=Q(legal_entity__isnull=False, establishment__isnull=True),
                name="unique_entity_member_per_structure",
            ),
            models.UniqueConstraint(
                fields=["structure"],
                condition=Q(role="support"),
                name="one_support_per_structure",
            ),
        ]

    def __str__(self):
        return f"{self.member_name} — {self.get_role_display()}"

    @property
    def member_name(self):
        if self.establishment_id:
            return self.establishment.name
        if self.legal_entity_id:
            return self.legal_entity.name
        return self.external_name


class RegisterEngagement(models.Model):
    """A contractual engagement of an entity or a site as the FINESS+
    register lists it (CPOM, agreements, orders), shown beside the CPOMs
    entered in the application."""

    CPOM_SUBTYPE = "CPM"

    register_id = models.CharField(_("identifiant FINESS+"), max_length=20, unique=True)
    legal_entity = models.ForeignKey(
        LegalEntity, on_delete=models.CASCADE, related_name="register_engagements", verbose_name=_("entité juridique")
    )
    establishment = models.ForeignKey(
        Establishment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="register_engagements",
        verbose_name=_("site"),
    )
    kind = models.CharField(_("type"), max_length=10)
    subtype = models.CharField(_("sous-type"), max_length=10, blank=True)
    effective_date = models.DateField(_("date d’effet"), null=True, blank=True)
    signature_date = models.DateField(_("date de signature"), null=True, blank=True)
    end_date = models.DateField(_("date de fin"), null=True, blank=True)
    expiry_date = models.DateField(_("date de caducité"), null=True, blank=True)
    authority = models.CharField(_("autorité"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("engagement au répertoire FINESS+")
        verbose_name_plural = _("engagements au répertoire FINESS+")
        ordering = ["-effective_date"]

    def __str__(self):
        return f"{self.kind}/{self.subtype} {self.register_id}"

    @property
    def is_cpom(self):
        return self.subtype == self.CPOM_SUBTYPE

    @property
    def label(self):
        labels = {"CPM": _("CPOM"), "ASE": _("Autorisation"), "APL": _("Agrément"), "ARR": _("Arrêté")}
        return labels.get(self.subtype, f"{self.kind} {self.subtype}".strip())


class ImportRun(models.Model):
    """A register file uploaded by an admin and imported by a Celery task."""

    class Register(models.TextChoices):
        FINESSPLUS = "finessplus", _("Flux FINESS+ « structures » (JSON ou JSON.gz)")
        FINESS = "finess", _("Établissements : SAE, extraction FINESS, coordonnées, MCO (CSV)")
        GHT = "ght", _("GHT : liste SAE ou liste officielle des membres DGOS (CSV ou XLSX)")

    class Status(models.TextChoices):
        PENDING = "en_attente", _("En attente")
        RUNNING = "en_cours", _("En cours")
        DONE = "termine", _("Terminé")
        FAILED = "refuse", _("Refusé")

    register = models.CharField(_("type de fichier"), max_length=20, choices=Register.choices)
    file = models.FileField(_("fichier importé"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("nom d’origine"), max_length=255)
    size = models.BigIntegerField(_("taille (octets)"), default=0)
    status = models.CharField(_("état"), max_length=20, choices=Status.choices, default=Status.PENDING)
    report = models.JSONField(_("rapport"), default=dict, blank=True)
    error = models.TextField(_("motif du refus"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("par")
    )
    created_at = models.DateTimeField(_("déposé le"), auto_now_add=True)
    started_at = models.DateTimeField(_("commencé le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("import de fichier de référence")
        verbose_name_plural = _("imports de fichiers de référence")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_register_display()} — {self.original_name}"

    def get_absolute_url(self):
        return reverse("cooperations:import_detail", args=[self.pk])

    @property
    def progress_key(self):
        return f"import-progress-{self.pk}"


# --- CPOM contracts and their Volet 3 commitments -------------------------------------------


class FrozenCpomError(Exception):
    """A write to the content of a CPOM that is not open for editing (signed,
    or waiting for signature). Changes then go through an amendment."""

    def __init__(self, message=None):
        super().__init__(message or _("Ce CPOM n’est pas modifiable à son étape actuelle : ouvrez un avenant."))


class StaleVersionError(Exception):
    """A save based on a version someone else has changed since."""

    def __init__(self, current):
        self.current = current
        super().__init__(_("Quelqu’un a modifié cet élément depuis que vous l’avez ouvert."))


class CpomStatus(models.TextChoices):
    PREPARATION = "preparation", _("En préparation")
    CONCERTATION = "concertation", _("En concertation")
    TO_SIGN = "a_signer", _("À signer")
    SIGNED = "signe", _("Signé")


EDITABLE_STATUSES = (CpomStatus.PREPARATION, CpomStatus.CONCERTATION)
# The longest a CPOM may run (article L. 6114-1 du code de la santé publique).
CPOM_MAX_YEARS = 5


class CpomQuerySet(models.QuerySet):
    def visible_to(self, user):
        """ARS users see their région's CPOMs; a director sees his entity's
        once the ARS has shared a draft with him or signed it."""
        role = _user_role(user)
        if role is None:
            return self.none()
        if user.is_admin:
            return self
        if user.is_regional:
            return self.filter(region_id=user.region_id)
        if user.is_director:
            return self.filter(legal_entity_id=user.legal_entity_id, shared_with_director=True)
        return self.none()


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
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("créé par")
    )

    history = HistoricalRecords(excluded_fields=["updated_at", "version"])
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
        return reverse("cooperations:cpom_detail", args=[self.pk])

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
        ordering = ["cpom", "number"]
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
        return self.filter(cpom__in=Cpom.objects.visible_to(user))


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
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("modifié par")
    )

    history = HistoricalRecords(excluded_fields=["updated_at", "version", "updated_by"])
    objects = CommitmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("engagement")
        verbose_name_plural = _("engagements")
        ordering = ["cpom", "position", "pk"]
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
        ordering = ["commitment", "pk"]
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


class AnnexArchive(models.Model):
    """A ZIP of the annexes of several CPOMs (a région, or a filtered list),
    built by a Celery task and downloadable for a limited time."""

    class Status(models.TextChoices):
        PENDING = "en_attente", _("En attente")
        RUNNING = "en_cours", _("En cours")
        DONE = "termine", _("Terminé")
        FAILED = "refuse", _("Échec")

    label = models.CharField(_("contenu"), max_length=255)
    region = models.ForeignKey(
        Region, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("région")
    )
    cpom_ids = models.JSONField(_("CPOM inclus"), default=list)
    status = models.CharField(_("état"), max_length=20, choices=Status.choices, default=Status.PENDING)
    done = models.PositiveIntegerField(_("annexes produites"), default=0)
    file = models.FileField(_("archive"), upload_to="annexes/archives/", blank=True)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64, blank=True)
    error = models.TextField(_("erreur"), blank=True)
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
        return reverse("cooperations:annex_archive_detail", args=[self.pk])

    @property
    def total(self):
        return len(self.cpom_ids)

    @property
    def is_expired(self):
        return self.expires_at <= timezone.now()

    @property
    def progress(self):
        if self.status == self.Status.DONE or not self.total:
            return 100
        return round(100 * self.done / self.total)
