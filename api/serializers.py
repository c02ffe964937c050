"""What the API shows of each object, with French field names (those of the
pages and of the open data). Reads only, except the declaration's entry."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cooperations.models import (
    CooperationStructure,
    Department,
    Establishment,
    LegalEntity,
    Membership,
    Region,
)
from core.values import scale_levels
from cpom.models import Commitment, CommitmentPartner, Cpom, CpomVersion, Indicator, TargetValue
from indicators.models import Campaign, CampaignPhase, ComputedValue, Declaration, DeclarationEvent, InputImport

# --- The register ---------------------------------------------------------------------------


class RegionSerializer(serializers.ModelSerializer):
    nom = serializers.CharField(source="name")

    class Meta:
        model = Region
        fields = ["code", "nom"]


class DepartmentSerializer(serializers.ModelSerializer):
    nom = serializers.CharField(source="name")
    region = serializers.CharField(source="region_id")

    class Meta:
        model = Department
        fields = ["code", "nom", "region"]


class LegalEntitySerializer(serializers.ModelSerializer):
    nom = serializers.CharField(source="name")
    nom_provisoire = serializers.BooleanField(source="name_is_provisional")
    statut_juridique = serializers.CharField(source="legal_status_id", allow_null=True)
    statut_juridique_libelle = serializers.CharField(source="legal_status.label", allow_null=True, default=None)
    secteur = serializers.CharField(source="legal_status.sector", allow_null=True, default=None)
    departement = serializers.CharField(source="department_id", allow_null=True)
    region = serializers.CharField(source="region_id", allow_null=True)
    date_fermeture = serializers.DateField(source="closed_on", allow_null=True)

    class Meta:
        model = LegalEntity
        fields = [
            "id",
            "finess",
            "nom",
            "nom_provisoire",
            "siren",
            "statut_juridique",
            "statut_juridique_libelle",
            "secteur",
            "departement",
            "region",
            "date_fermeture",
        ]


class EstablishmentSerializer(serializers.ModelSerializer):
    nom = serializers.CharField(source="name")
    entite = serializers.CharField(source="legal_entity.finess", help_text=_("FINESS EJ de l’entité juridique."))
    categorie = serializers.CharField(source="category_id", allow_null=True)
    categorie_libelle = serializers.CharField(source="category.label", allow_null=True, default=None)
    departement = serializers.CharField(source="department_id", allow_null=True)
    region = serializers.CharField(source="region_id", allow_null=True)
    code_commune = serializers.CharField(source="commune_code")
    commune = serializers.CharField(source="commune_name")
    adresse = serializers.CharField(source="address")
    code_postal = serializers.CharField(source="postcode")
    lits_mco = serializers.IntegerField(source="mco_beds", allow_null=True)
    date_fermeture = serializers.DateField(source="closed_on", allow_null=True)

    class Meta:
        model = Establishment
        fields = [
            "id",
            "finess",
            "nom",
            "entite",
            "categorie",
            "categorie_libelle",
            "departement",
            "region",
            "code_commune",
            "commune",
            "adresse",
            "code_postal",
            "siret",
            "latitude",
            "longitude",
            "lits_mco",
            "date_fermeture",
        ]


class MembershipSerializer(serializers.ModelSerializer):
    entite = serializers.CharField(source="legal_entity.finess", allow_null=True, default=None)
    entite_nom = serializers.CharField(source="legal_entity.name", allow_null=True, default=None)
    etablissement = serializers.CharField(source="establishment.finess", allow_null=True, default=None)
    partenaire_hors_repertoire = serializers.CharField(source="external_name")
    type_partenaire = serializers.CharField(source="external_kind")
    depuis = serializers.DateField(source="start_date", allow_null=True)
    jusqu_au = serializers.DateField(source="end_date", allow_null=True)
    origine = serializers.CharField(source="source")

    class Meta:
        model = Membership
        fields = [
            "id",
            "entite",
            "entite_nom",
            "etablissement",
            "partenaire_hors_repertoire",
            "type_partenaire",
            "role",
            "depuis",
            "jusqu_au",
            "origine",
        ]


class StructureSerializer(serializers.ModelSerializer):
    forme = serializers.CharField(source="kind")
    forme_libelle = serializers.CharField(source="get_kind_display")
    famille = serializers.CharField(source="family")
    nom = serializers.CharField(source="name")
    code_court = serializers.CharField(source="short_code")
    region = serializers.CharField(source="region_id", allow_null=True)
    date_creation = serializers.DateField(source="start_date", allow_null=True)
    date_fin = serializers.DateField(source="end_date", allow_null=True)
    logique = serializers.CharField(source="purpose")
    objet = serializers.CharField(source="description")
    personne_morale = serializers.CharField(
        source="legal_entity.finess",
        allow_null=True,
        default=None,
        help_text=_("FINESS EJ de la personne morale d’un groupement organique."),
    )
    origine_composition = serializers.CharField(source="composition_source")
    modifie_le = serializers.DateTimeField(source="updated_at")
    membres = MembershipSerializer(source="memberships", many=True)

    class Meta:
        model = CooperationStructure
        fields = [
            "id",
            "forme",
            "forme_libelle",
            "famille",
            "nom",
            "code",
            "code_court",
            "finess",
            "region",
            "date_creation",
            "date_fin",
            "nature",
            "logique",
            "objet",
            "personne_morale",
            "origine_composition",
            "modifie_le",
            "membres",
        ]


# --- The contract ---------------------------------------------------------------------------


class CpomVersionSerializer(serializers.ModelSerializer):
    numero = serializers.IntegerField(source="number")
    libelle = serializers.CharField(source="label")
    objet = serializers.CharField(source="reason")
    ouverte_le = serializers.DateTimeField(source="opened_at")
    signee_le = serializers.DateField(source="signed_on", allow_null=True)

    class Meta:
        model = CpomVersion
        fields = ["numero", "libelle", "objet", "ouverte_le", "signee_le"]


class CpomVersionContentSerializer(CpomVersionSerializer):
    contenu_signe = serializers.JSONField(
        source="content", allow_null=True, help_text=_("Le contenu tel que signé (libellés et valeurs affichés).")
    )

    class Meta(CpomVersionSerializer.Meta):
        fields = [*CpomVersionSerializer.Meta.fields, "contenu_signe"]


class CpomSerializer(serializers.ModelSerializer):
    entite = serializers.CharField(source="legal_entity.finess", help_text=_("FINESS EJ."))
    entite_nom = serializers.CharField(source="legal_entity.name")
    region = serializers.CharField(source="region_id")
    reference = serializers.CharField()
    premiere_annee = serializers.IntegerField(source="first_year")
    derniere_annee = serializers.IntegerField(source="last_year")
    etape = serializers.ChoiceField(source="status", choices=Cpom._meta.get_field("status").choices)
    communique_etablissement = serializers.BooleanField(source="shared_with_director")
    signe_le = serializers.DateField(source="signed_on", allow_null=True)
    modifie_le = serializers.DateTimeField(source="last_change")
    versions = CpomVersionSerializer(many=True)

    class Meta:
        model = Cpom
        fields = [
            "id",
            "entite",
            "entite_nom",
            "region",
            "reference",
            "premiere_annee",
            "derniere_annee",
            "etape",
            "communique_etablissement",
            "signe_le",
            "modifie_le",
            "versions",
        ]


class CpomDetailSerializer(CpomSerializer):
    versions = CpomVersionContentSerializer(many=True)


class PartnerSerializer(serializers.ModelSerializer):
    entite = serializers.CharField(source="legal_entity.finess", allow_null=True, default=None)
    entite_nom = serializers.CharField(source="legal_entity.name", allow_null=True, default=None)
    structure = serializers.IntegerField(source="structure_id", allow_null=True)
    structure_nom = serializers.CharField(source="structure.name", allow_null=True, default=None)
    partenaire_hors_repertoire = serializers.CharField(source="external_name")
    type_partenaire = serializers.CharField(source="external_kind")

    class Meta:
        model = CommitmentPartner
        fields = [
            "id",
            "entite",
            "entite_nom",
            "structure",
            "structure_nom",
            "partenaire_hors_repertoire",
            "type_partenaire",
        ]


class CommitmentSerializer(serializers.ModelSerializer):
    cpom = serializers.IntegerField(source="cpom_id")
    rang = serializers.IntegerField(source="position")
    intitule = serializers.CharField(source="title")
    type_action = serializers.ChoiceField(
        source="action_kind", choices=Commitment._meta.get_field("action_kind").choices
    )
    theme = serializers.ChoiceField(choices=Commitment._meta.get_field("theme").choices)
    objectif = serializers.CharField(source="objective")
    benefices = serializers.CharField(source="benefits")
    support_juridique = serializers.IntegerField(
        source="vehicle_id", allow_null=True, help_text=_("Identifiant de la structure de coopération.")
    )
    support_juridique_nom = serializers.CharField(source="vehicle.name", allow_null=True, default=None)
    date_debut = serializers.DateField(source="start_date", allow_null=True)
    echeance = serializers.DateField(source="deadline", allow_null=True)
    etat = serializers.ChoiceField(source="status", choices=Commitment._meta.get_field("status").choices)
    modifie_le = serializers.DateTimeField(source="last_change")
    partenaires = PartnerSerializer(source="partners", many=True)

    class Meta:
        model = Commitment
        fields = [
            "id",
            "cpom",
            "rang",
            "intitule",
            "type_action",
            "theme",
            "objectif",
            "benefices",
            "support_juridique",
            "support_juridique_nom",
            "date_debut",
            "echeance",
            "etat",
            "modifie_le",
            "partenaires",
        ]


class TargetSerializer(serializers.ModelSerializer):
    annee = serializers.IntegerField(source="year")
    valeur = serializers.DecimalField(source="value", max_digits=18, decimal_places=4, allow_null=True)
    texte = serializers.CharField(source="text")

    class Meta:
        model = TargetValue
        fields = ["annee", "valeur", "texte"]


class BaselineSerializer(serializers.Serializer):
    valeur = serializers.DecimalField(source="baseline_value", max_digits=18, decimal_places=4, allow_null=True)
    texte = serializers.CharField(source="baseline_text")
    annee = serializers.IntegerField(source="baseline_year", allow_null=True)


class IndicatorSerializer(serializers.ModelSerializer):
    engagement = serializers.IntegerField(source="commitment_id")
    cpom = serializers.IntegerField(source="commitment.cpom_id")
    rang = serializers.IntegerField(source="position")
    libelle = serializers.CharField(source="label")
    nature = serializers.ChoiceField(source="kind", choices=Indicator._meta.get_field("kind").choices)
    type_valeur = serializers.ChoiceField(source="value_type", choices=Indicator._meta.get_field("value_type").choices)
    unite = serializers.CharField(source="unit")
    sens = serializers.ChoiceField(source="direction", choices=Indicator._meta.get_field("direction").choices)
    source_donnees = serializers.CharField(source="data_source")
    calcul = serializers.CharField(source="computation")
    niveaux_echelle = serializers.SerializerMethodField()
    reference = BaselineSerializer(source="*")
    cibles = TargetSerializer(source="targets", many=True)
    modifie_le = serializers.DateTimeField(source="last_change", allow_null=True)

    class Meta:
        model = Indicator
        fields = [
            "id",
            "engagement",
            "cpom",
            "rang",
            "libelle",
            "nature",
            "type_valeur",
            "unite",
            "sens",
            "source_donnees",
            "calcul",
            "niveaux_echelle",
            "reference",
            "cibles",
            "modifie_le",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_niveaux_echelle(self, indicator):
        return scale_levels(indicator.scale_levels)


# --- The follow-up ----------------------------------------------------------------------------


class CampaignSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_id")
    annee = serializers.IntegerField(source="year")
    ouverture = serializers.DateField(source="opens_on")
    cloture = serializers.DateField(source="closes_on")
    fin_corrections = serializers.DateField(source="corrections_until")
    phase = serializers.ChoiceField(source="current_phase", choices=CampaignPhase.choices)
    cpoms = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    modifie_le = serializers.DateTimeField(source="last_change")

    class Meta:
        model = Campaign
        fields = ["id", "region", "annee", "ouverture", "cloture", "fin_corrections", "phase", "cpoms", "modifie_le"]


class EventSerializer(serializers.ModelSerializer):
    statut_precedent = serializers.CharField(source="previous_status")
    statut = serializers.CharField(source="status")
    le = serializers.DateTimeField(source="at")
    par = serializers.SerializerMethodField()
    motif = serializers.CharField(source="reason")

    class Meta:
        model = DeclarationEvent
        fields = ["statut_precedent", "statut", "le", "par", "motif"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_par(self, event):
        if event.user is None:
            return ""
        return event.user.get_full_name() or event.user.username


class DeclarationSerializer(serializers.ModelSerializer):
    indicateur = serializers.IntegerField(source="indicator_id")
    campagne = serializers.IntegerField(source="campaign_id")
    annee = serializers.IntegerField(source="year")
    entite = serializers.CharField(source="indicator.commitment.cpom.legal_entity.finess", help_text=_("FINESS EJ."))
    valeur = serializers.DecimalField(source="value", max_digits=18, decimal_places=4, allow_null=True)
    texte = serializers.CharField(source="text", help_text=_("Valeur texte, oui/non ou niveau d’une échelle."))
    valeur_affichee = serializers.CharField(source="display", help_text=_("La valeur telle que les pages l’affichent."))
    commentaire = serializers.CharField(source="comment")
    justificatif = serializers.SerializerMethodField()
    statut = serializers.ChoiceField(source="status", choices=Declaration._meta.get_field("status").choices)
    soumise_le = serializers.DateTimeField(source="submitted_at", allow_null=True)
    decision_le = serializers.DateTimeField(source="decided_at", allow_null=True)
    modifie_le = serializers.DateTimeField(source="updated_at")
    version = serializers.IntegerField(
        source="edit_token_value",
        allow_null=True,
        help_text=_("À renvoyer dans une modification : refusée (409) si la valeur a changé entre-temps."),
    )
    historique = EventSerializer(source="events", many=True)

    class Meta:
        model = Declaration
        fields = [
            "id",
            "indicateur",
            "campagne",
            "annee",
            "entite",
            "valeur",
            "texte",
            "valeur_affichee",
            "commentaire",
            "justificatif",
            "statut",
            "soumise_le",
            "decision_le",
            "modifie_le",
            "version",
            "historique",
        ]

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {"nom": {"type": "string"}, "url": {"type": "string"}},
            "required": ["nom", "url"],
        }
    )
    def get_justificatif(self, declaration):
        if not declaration.evidence:
            return None
        request = self.context.get("request")
        path = f"/api/v1/declarations/{declaration.pk}/justificatif/"
        return {
            "nom": declaration.evidence_name or "justificatif",
            "url": request.build_absolute_uri(path) if request else path,
        }


class DeclarationEntrySerializer(serializers.Serializer):
    """What an establishment's system sends: the same entry as the page's."""

    campagne = serializers.IntegerField(required=False, help_text=_("À la création : la campagne."))
    indicateur = serializers.IntegerField(required=False, help_text=_("À la création : l’indicateur déclaré."))
    valeur = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text=_(
            "Comme dans la page : nombre (« 12,5 » ou « 12.5 »), pourcentage, « oui » / « non », niveau d’une "
            "échelle (libellé ou rang) ou texte."
        ),
    )
    commentaire = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    justificatif = serializers.FileField(
        required=False,
        help_text=_(
            "En multipart/form-data : PDF, document bureautique (Word, Excel, PowerPoint, OpenDocument) ou image "
            "(PNG, JPEG), 10 Mo au plus."
        ),
    )
    retirer_justificatif = serializers.BooleanField(required=False, default=False)
    soumettre = serializers.BooleanField(
        required=False, default=False, help_text=_("Enregistrer puis soumettre la valeur à l’ARS.")
    )
    version = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text=_("La version lue (champ « version ») : la modification est refusée si la valeur a changé depuis."),
    )


class ImportUsedSerializer(serializers.ModelSerializer):
    annee = serializers.IntegerField(source="year", allow_null=True)
    donnees = serializers.CharField(source="kind")
    region = serializers.CharField(source="region_id", allow_null=True)

    class Meta:
        model = InputImport
        fields = ["id", "donnees", "source", "annee", "region"]


class ComputedValueSerializer(serializers.ModelSerializer):
    indicateur = serializers.IntegerField(source="indicator_id")
    annee = serializers.IntegerField(source="year")
    valeur = serializers.DecimalField(source="value", max_digits=18, decimal_places=4, allow_null=True)
    numerateur = serializers.DecimalField(source="numerator", max_digits=20, decimal_places=2, allow_null=True)
    denominateur = serializers.DecimalField(source="denominator", max_digits=20, decimal_places=2, allow_null=True)
    motif_non_calculable = serializers.CharField(source="reason")
    donnees_utilisees = serializers.JSONField(source="inputs")
    empreinte_donnees = serializers.CharField(source="inputs_checksum")
    imports = ImportUsedSerializer(many=True)
    calcule_le = serializers.DateTimeField(source="computed_at")

    class Meta:
        model = ComputedValue
        fields = [
            "id",
            "indicateur",
            "annee",
            "valeur",
            "numerateur",
            "denominateur",
            "motif_non_calculable",
            "donnees_utilisees",
            "empreinte_donnees",
            "imports",
            "calcule_le",
        ]
