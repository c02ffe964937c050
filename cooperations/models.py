"""Reference register (geography, FINESS entities and sites) and the
cooperation structures that link them.

Who may see what is decided by the ``visible_to(user)`` queryset methods
below, and nowhere else; ``accounts.User`` carries the role and its scope.
"""

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from accounts.scopes import entity_ids, scoped, signed_in
from cooperations.finess import validate_finess
from core.history import HistoricalRecords
from core.jobs import BackgroundJob
from core.urls import object_url


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


class RegisterQuerySet(models.QuerySet):
    """Entities and sites: a regional user sees his région, a director his
    own legal entity (and its sites)."""

    director_field = "pk"

    def visible_to(self, user):
        return scoped(self, user, region="region_id", entity=self.director_field)


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


class NameSource(models.TextChoices):
    """Where a legal entity's name (raison sociale) comes from."""

    SITES = "sites", _("déduit de ses sites (répertoire SAE) : nom provisoire")
    FINESS_PLUS = "finessplus", _("flux FINESS+ de l’ANS")
    ARS = "ars", _("saisi par l’ARS")


class LegalEntity(RegionFromDepartment):
    """A legal entity (entité juridique), identified by its FINESS EJ."""

    finess = models.CharField(_("FINESS EJ"), max_length=9, unique=True, validators=[validate_finess])
    name = models.CharField(_("raison sociale"), max_length=255)
    # The SAE register names sites, not legal entities: until a source that
    # names the entity is imported, its name is built from its sites.
    name_is_provisional = models.BooleanField(_("nom provisoire (déduit des sites)"), default=False)
    name_source = models.CharField(
        _("source de la raison sociale"), max_length=20, choices=NameSource.choices, blank=True
    )
    name_source_detail = models.CharField(
        _("justificatif de la raison sociale"),
        max_length=255,
        blank=True,
        help_text=_("Le document ou le fichier qui donne ce nom (statuts, Kbis, extrait FINESS+ du …)."),
    )
    name_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("raison sociale saisie par"),
    )
    name_set_at = models.DateTimeField(_("raison sociale établie le"), null=True, blank=True)
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
        # The order of every list of entities, and of the CPOM list (by their entity): the first page read
        # from the index instead of sorting every row (issue 19: CPOM list at 3,000 CPOM, 6.7 -> 2.5 ms).
        indexes = [models.Index(fields=["name"])]

    def __str__(self):
        return f"{self.name} ({self.finess})"

    def get_absolute_url(self):
        return object_url("portal:legal_entity_detail", self.finess)

    @property
    def legal_name(self):
        """The name a contract may print: the raison sociale from a source
        that names the entity, or "" while the name is only deduced from its
        sites (a contract then names the entity by its FINESS EJ)."""
        return "" if self.name_is_provisional else self.name

    @property
    def contract_name(self):
        """How a contract names the entity: its legal name, else its FINESS EJ."""
        return self.legal_name or _("l’entité juridique FINESS EJ %(finess)s") % {"finess": self.finess}


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
        # A région's sites by name; every site by name for a national list (10 -> 3 ms at 100 rows).
        indexes = [models.Index(fields=["region", "name"]), models.Index(fields=["name"])]

    def __str__(self):
        return f"{self.name} ({self.finess})"

    def get_absolute_url(self):
        return object_url("cooperations:establishment_detail", self.finess)


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
        def regional(user):
            member_in_region = Membership.objects.filter(
                structure=OuterRef("pk"), legal_entity__region_id=user.region_id
            )
            return Q(region_id=user.region_id) | Exists(member_in_region)

        def director(user):
            return Exists(Membership.objects.filter(structure=OuterRef("pk"), legal_entity_id__in=entity_ids(user)))

        return scoped(self, user, region=regional, entity=director)

    def editable_by(self, user):
        if not signed_in(user) or not (user.is_admin or user.is_negotiator):
            return self.none()
        return scoped(self, user, region="region_id")


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
        return object_url("cooperations:structure_detail", self.pk)

    @property
    def is_reconstructed(self):
        return self.composition_source == CompositionSource.RECONSTRUCTED

    @property
    def is_official(self):
        return self.composition_source in (CompositionSource.OFFICIAL, CompositionSource.FINESSPLUS)

    @property
    def is_from_official_list(self):
        """Its composition is the DGOS list of GHT members, imported."""
        return self.composition_source == CompositionSource.OFFICIAL


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
    def is_support(self):
        return self.role == MemberRole.SUPPORT

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


class ImportRunQuerySet(models.QuerySet):
    def registers(self):
        return self.filter(kind=ImportRun.Kind.REGISTER)

    def inputs(self):
        return self.exclude(kind=ImportRun.Kind.REGISTER)

    def visible_to(self, user):
        """A register file is national: admins only. An input file (stays,
        costs) is seen as the import it makes: an admin's (national) by every
        ARS, a négociateur's by the ARS of his région only."""
        return scoped(
            self,
            user,
            region=lambda user: (
                ~Q(kind=ImportRun.Kind.REGISTER) & (Q(region__isnull=True) | Q(region_id=user.region_id))
            ),
        )


class ImportRun(BackgroundJob):
    """A file uploaded to be imported by a Celery task: a register file (an
    admin's), or an input file of the computed indicators (stays, costs; an
    admin's or a négociateur's). The file is kept only while the run lasts.
    Its progress goes to the cache while it runs: the import's own
    transaction would hide a progress written in the database."""

    class Kind(models.TextChoices):
        REGISTER = "repertoire", _("Fichier du répertoire")
        # The values of indicators.models.InputKind (the layer above), checked by a test.
        STAYS = "sejours", _("Séjours hospitaliers par lieu de résidence")
        COSTS = "couts", _("Coûts des fonctions support")

    class Register(models.TextChoices):
        FINESSPLUS = "finessplus", _("Flux FINESS+ « structures » (JSON ou JSON.gz)")
        FINESS = "finess", _("Établissements : SAE, extraction FINESS, coordonnées, MCO (CSV)")
        GHT = "ght", _("GHT : liste SAE ou liste officielle des membres DGOS (CSV ou XLSX)")

    class Status(models.TextChoices):
        # The values of core.jobs.JobStatus; a file that fails is refused.
        PENDING = "en_attente", _("En attente")
        RUNNING = "en_cours", _("En cours")
        DONE = "termine", _("Terminé")
        FAILED = "refuse", _("Refusé")

    kind = models.CharField(_("nature"), max_length=20, choices=Kind.choices, default=Kind.REGISTER)
    # Empty for an input file (set by the code, never by a form: the upload form requires it).
    register = models.CharField(_("type de fichier"), max_length=20, choices=Register.choices)
    # An input file: the source named by its author, and his région (empty: an admin's, national).
    source = models.CharField(_("source"), max_length=100, blank=True)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("région")
    )
    # Emptied once the run ends (discard_file).
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

    objects = ImportRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("import de fichier")
        verbose_name_plural = _("imports de fichiers")
        ordering = ["-created_at"]

    def __str__(self):
        label = self.get_register_display() if self.kind == self.Kind.REGISTER else self.get_kind_display()
        return f"{label} — {self.original_name}"

    def get_absolute_url(self):
        return object_url("cooperations:import_detail", self.pk)

    @property
    def progress_key(self):
        return f"import-progress-{self.pk}"

    @property
    def is_finished(self):
        return not self.in_progress

    @property
    def progress(self):
        if self.is_finished:
            return 100
        try:
            return round(float(cache.get(self.progress_key, 0.0)) * 100)
        except Exception:  # noqa: BLE001 - the cache (Redis) down: the page shows no progress rather than an error
            return 0

    def discard_file(self):
        """The uploaded file is needed only while the run lasts: deleted once it ends."""
        if self.file:
            self.file.delete(save=False)
            ImportRun.objects.filter(pk=self.pk).update(file="")
