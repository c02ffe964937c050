"""The open data of the Volet 3: for each région and year, one row per
indicator of each commitment of the signed CPOMs in force that year (not
withheld by the ARS), in CSV and JSON, described by one TableSchema.

``FIELDS`` is the one description of a row: the files, the schema, the
example file and the page's documentation are all written from it."""

import csv
import datetime
import io
import json
import os
import re
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db.models import Exists, Max, OuterRef, Prefetch, Q
from django.utils import timezone

from cooperations.models import ExternalKind, Region, StructureKind
from core.exports import neutralise
from core.values import ValueType
from cpom.models import (
    ActionKind,
    Commitment,
    CommitmentPartner,
    CommitmentStatus,
    Cpom,
    CpomStatus,
    Direction,
    Indicator,
    IndicatorKind,
    TargetValue,
    Theme,
)
from indicators.models import Declaration, DeclarationStatus
from opendata.models import Withholding

SCHEMA_NAME = "engagements-cooperation-cpom-volet3"
SCHEMA_VERSION = "1.0.0"
FINESS_PATTERN = r"^(?:[0-9]{2}|2[AB])[0-9]{7}$"
FINESS_LIST_PATTERN = r"^(?:(?:[0-9]{2}|2[AB])[0-9]{7}(?:\|(?:[0-9]{2}|2[AB])[0-9]{7})*)?$"
LIST_SEPARATOR = "|"
CSV_DELIMITER = ","
LICENCE = {
    "title": "Licence Ouverte / Open Licence version 2.0",
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence",
}
FILE_NAME = re.compile(r"^volet3-engagements-(?P<region>[0-9]{2})-(?P<year>[0-9]{4})\.(?P<format>csv|json)$")
EXAMPLE_NAME = "exemple-valide.csv"
SCHEMA_FILE = "schema.json"


def data_file_name(region_code, year, extension):
    return f"volet3-engagements-{region_code}-{year}.{extension}"


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    title: str
    description: str
    example: object
    required: bool = False
    pattern: str | None = None
    enum: tuple | None = None
    minimum: int | None = None
    maximum: int | None = None
    # Free text written by people: neutralised in CSV (a spreadsheet must not read it as a formula).
    free_text: bool = False

    def descriptor(self):
        described = {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "type": self.type,
            "example": self.example,
        }
        if self.type == "date":
            described["format"] = "%Y-%m-%d"
        constraints = {"required": self.required}
        if self.pattern:
            constraints["pattern"] = self.pattern
        if self.enum:
            constraints["enum"] = list(self.enum)
        if self.minimum is not None:
            constraints["minimum"] = self.minimum
        if self.maximum is not None:
            constraints["maximum"] = self.maximum
        described["constraints"] = constraints
        return described


def codes(choices):
    return tuple(str(value) for value, _label in choices)


def listing(choices):
    return " ; ".join(f"« {value} » : {label}" for value, label in choices)


YEAR = {"minimum": 2000, "maximum": 2100}
FIELDS = [
    Field("date_extraction", "date", "Date d’extraction", "Jour où le fichier a été produit.", "2026-03-01", True),
    Field(
        "annee",
        "integer",
        "Année",
        "L’année de la ligne : cible et valeur validée de cette année-là.",
        2025,
        True,
        **YEAR,
    ),
    Field(
        "code_region",
        "string",
        "Code de la région",
        "Code INSEE de la région (et de son ARS).",
        "11",
        True,
        r"^[0-9]{2}$",
    ),
    Field("nom_region", "string", "Région", "Nom de la région.", "Île-de-France", True),
    Field(
        "identifiant_cpom",
        "integer",
        "Identifiant du CPOM",
        "Identifiant du CPOM dans l’application.",
        12,
        True,
        minimum=1,
    ),
    Field(
        "reference_cpom",
        "string",
        "Référence du CPOM",
        "Référence du contrat donnée par l’ARS.",
        "CPOM-2021-078",
        free_text=True,
    ),
    Field("premiere_annee_cpom", "integer", "Première année du CPOM", "Première année du contrat.", 2021, True, **YEAR),
    Field("derniere_annee_cpom", "integer", "Dernière année du CPOM", "Dernière année du contrat.", 2025, True, **YEAR),
    Field(
        "date_signature_cpom", "date", "Date de signature", "Date de signature du contrat initial.", "2021-01-15", True
    ),
    Field(
        "numero_avenant",
        "integer",
        "Dernier avenant signé",
        "Numéro du dernier avenant signé (0 : contrat initial).",
        1,
        True,
        minimum=0,
    ),
    Field(
        "finess_ej",
        "string",
        "FINESS EJ",
        "Numéro FINESS de l’entité juridique signataire.",
        "780110078",
        True,
        FINESS_PATTERN,
    ),
    Field(
        "raison_sociale_ej",
        "string",
        "Raison sociale",
        "Nom de l’entité juridique.",
        "Centre hospitalier de Mantes",
        True,
    ),
    Field(
        "identifiant_engagement",
        "integer",
        "Identifiant de l’engagement",
        "Identifiant de l’engagement.",
        40,
        True,
        minimum=1,
    ),
    Field(
        "rang_engagement", "integer", "Rang de l’engagement", "Ordre de l’engagement dans le CPOM.", 1, True, minimum=0
    ),
    Field(
        "intitule_engagement",
        "string",
        "Intitulé de l’engagement",
        "Intitulé.",
        "Filière gériatrique du territoire",
        True,
        free_text=True,
    ),
    Field(
        "theme",
        "string",
        "Thème",
        f"Thème de coopération : {listing(Theme.choices)}.",
        "medicales",
        True,
        enum=codes(Theme.choices),
    ),
    Field(
        "type_action",
        "string",
        "Type d’action",
        f"Type d’action du volet 3 : {listing(ActionKind.choices)}.",
        "filieres",
        True,
        enum=codes(ActionKind.choices),
    ),
    Field(
        "objectif",
        "string",
        "Objectif",
        "Objectif de l’engagement.",
        "Organiser le parcours gériatrique entre les sites.",
        True,
        free_text=True,
    ),
    Field(
        "benefices_attendus",
        "string",
        "Bénéfices attendus",
        "Bénéfices attendus pour les parties.",
        "Moins de passages aux urgences.",
        free_text=True,
    ),
    Field(
        "support_juridique_forme",
        "string",
        "Forme du support juridique",
        f"Forme juridique de la structure qui encadre la coopération, s’il y en a une : {listing(StructureKind.choices)}.",
        "ght",
        enum=codes(StructureKind.choices),
    ),
    Field(
        "support_juridique_nom",
        "string",
        "Support juridique",
        "Nom de la structure qui encadre la coopération.",
        "GHT Yvelines Nord",
        free_text=True,
    ),
    Field(
        "support_juridique_finess",
        "string",
        "FINESS du support juridique",
        "Numéro FINESS de la structure, si elle a la personnalité morale.",
        "780000000",
        pattern=FINESS_PATTERN,
    ),
    Field(
        "partenaires_finess",
        "string",
        "Partenaires (FINESS)",
        f"Numéros FINESS des partenaires du répertoire (entités juridiques, structures dotées d’un FINESS), séparés par « {LIST_SEPARATOR} ».",
        "780110078|780001236",
        pattern=FINESS_LIST_PATTERN,
    ),
    Field(
        "partenaires_structures",
        "string",
        "Partenaires (structures)",
        f"Structures de coopération partenaires, « forme:nom », séparées par « {LIST_SEPARATOR} ».",
        "gcs_moyens:GCS Blanchisserie des Yvelines",
        free_text=True,
    ),
    Field(
        "partenaires_hors_repertoire",
        "string",
        "Partenaires hors répertoire (types)",
        f"Type de chaque partenaire hors répertoire (jamais son nom), séparés par « {LIST_SEPARATOR} » : {listing(ExternalKind.choices)}.",
        "ville|medico_social",
        pattern=r"^(?:(?:"
        + "|".join(codes(ExternalKind.choices))
        + r")(?:\|(?:"
        + "|".join(codes(ExternalKind.choices))
        + r"))*)?$",
    ),
    Field("date_debut", "date", "Date de début", "Début prévu de l’engagement.", "2022-01-01"),
    Field("echeance", "date", "Échéance", "Échéance de l’engagement.", "2025-12-31"),
    Field(
        "etat",
        "string",
        "État d’avancement",
        f"État de l’engagement au dernier avenant signé : {listing(CommitmentStatus.choices)}.",
        "en_cours",
        True,
        enum=codes(CommitmentStatus.choices),
    ),
    Field(
        "identifiant_indicateur",
        "integer",
        "Identifiant de l’indicateur",
        "Identifiant de l’indicateur de suivi.",
        118,
        True,
        minimum=1,
    ),
    Field(
        "libelle_indicateur",
        "string",
        "Indicateur",
        "Libellé de l’indicateur.",
        "Nombre de consultations avancées",
        True,
        free_text=True,
    ),
    Field(
        "nature_indicateur",
        "string",
        "Nature de l’indicateur",
        f"{listing(IndicatorKind.choices)}.",
        "declaratif",
        True,
        enum=codes(IndicatorKind.choices),
    ),
    Field(
        "type_valeur",
        "string",
        "Type de valeur",
        f"{listing(ValueType.choices)}. Une valeur oui/non vaut 1 ou 0 ; un niveau d’échelle, son rang (texte : son libellé).",
        "effectif",
        True,
        enum=codes(ValueType.choices),
    ),
    Field("unite", "string", "Unité", "Unité des valeurs.", "consultations", free_text=True),
    Field(
        "sens_amelioration",
        "string",
        "Sens d’amélioration",
        f"{listing(Direction.choices)}.",
        "hausse",
        True,
        enum=codes(Direction.choices),
    ),
    Field(
        "source_donnees",
        "string",
        "Source des données",
        "D’où vient la valeur.",
        "Dossier patient informatisé",
        free_text=True,
    ),
    Field("valeur_reference", "number", "Valeur de référence", "Valeur de départ (nombre).", 120),
    Field(
        "valeur_reference_texte",
        "string",
        "Valeur de référence (texte)",
        "Valeur de départ d’un indicateur texte, oui/non ou échelle.",
        "",
        free_text=True,
    ),
    Field("annee_reference", "integer", "Année de référence", "Année de la valeur de référence.", 2020, **YEAR),
    Field("cible_annee", "number", "Cible de l’année", "Valeur-cible de l’année de la ligne (nombre).", 150),
    Field(
        "cible_annee_texte",
        "string",
        "Cible de l’année (texte)",
        "Valeur-cible d’un indicateur texte, oui/non ou échelle.",
        "",
        free_text=True,
    ),
    Field("cible_finale", "number", "Cible finale", "Valeur-cible de la dernière année du CPOM (nombre).", 200),
    Field(
        "cible_finale_texte",
        "string",
        "Cible finale (texte)",
        "Valeur-cible finale d’un indicateur texte, oui/non ou échelle.",
        "",
        free_text=True,
    ),
    Field(
        "valeur_validee",
        "number",
        "Valeur validée",
        "Valeur de l’année déclarée par l’établissement et validée par l’ARS (nombre).",
        160,
    ),
    Field(
        "valeur_validee_texte",
        "string",
        "Valeur validée (texte)",
        "Valeur validée d’un indicateur texte, oui/non ou échelle.",
        "",
        free_text=True,
    ),
    Field("date_validation", "date", "Date de validation", "Jour où l’ARS a validé la valeur.", "2026-02-10"),
]
FIELD_NAMES = [f.name for f in FIELDS]

# What is deliberately kept out of the files, and why (the page and the schema say it).
NOT_PUBLISHED = [
    (
        "Les noms des personnes",
        "auteurs, signataires, valideurs, directeurs ; un partenaire hors répertoire n’apparaît que par son type, son nom pouvant être celui d’un professionnel",
    ),
    ("Les notes internes de l’ARS", "échanges de travail de l’agence sur les déclarations"),
    (
        "Les commentaires",
        "commentaires des établissements sur leurs valeurs, messages et propositions de la concertation",
    ),
    ("Les justificatifs", "pièces déposées par les établissements à l’appui de leurs valeurs"),
    (
        "Les valeurs non validées",
        "brouillons, valeurs soumises ou renvoyées pour correction, et l’historique de leurs statuts",
    ),
    (
        "Les valeurs calculées et leurs données d’entrée",
        "séjours hospitaliers par lieu de résidence (PMSI) et coûts, qui ne sont pas des données ouvertes",
    ),
    (
        "Les CPOM non signés",
        "en préparation, en concertation, à signer ; un CPOM dont un avenant est en cours reparaît à la signature de l’avenant",
    ),
    (
        "Les CPOM retenus par l’ARS",
        "une ARS peut retenir un CPOM de la publication ; le motif est gardé et montré aux administrateurs",
    ),
]


def table_schema():
    """The TableSchema of the files, after schema.data.gouv.fr's conventions."""
    site = settings.SITE_URL.rstrip("/")
    not_published = " ; ".join(f"{what} ({why})" for what, why in NOT_PUBLISHED)
    return {
        "$schema": "https://frictionlessdata.io/schemas/table-schema.json",
        "name": SCHEMA_NAME,
        "title": "Engagements de coopération territoriale du volet 3 des CPOM",
        "description": (
            "Les engagements de coopération territoriale (volet 3) des contrats pluriannuels d’objectifs et de moyens "
            "(CPOM) signés entre les agences régionales de santé et les établissements de santé : pour chaque "
            "région et chaque année, une ligne par indicateur de suivi de chaque engagement, avec l’entité "
            "signataire, le thème, le type d’action, le support juridique, les partenaires, le calendrier, l’état, "
            "la valeur de référence, la cible de l’année, la cible finale et la valeur validée par l’ARS. "
            f"Fichiers CSV en UTF-8, séparateur « {CSV_DELIMITER} », décimales avec un point, dates AAAA-MM-JJ ; "
            "une cellule de texte qu’un tableur lirait comme une formule (=, +, -, @) est précédée d’une apostrophe. "
            f"Mêmes lignes en JSON (tableau d’objets, sans apostrophe). Non publié : {not_published}."
        ),
        "countryCode": "FR",
        "homepage": f"{site}/donnees-ouvertes/",
        "path": f"{site}/donnees-ouvertes/{SCHEMA_FILE}",
        "example": f"{site}/donnees-ouvertes/{EXAMPLE_NAME}",
        "version": SCHEMA_VERSION,
        "created": "2026-11-30",
        "lastModified": "2026-11-30",
        "keywords": ["CPOM", "volet 3", "coopération territoriale", "ARS", "établissements de santé", "FINESS", "GHT"],
        "licenses": [LICENCE],
        "resources": [{"title": "Exemple de fichier valide", "path": f"{site}/donnees-ouvertes/{EXAMPLE_NAME}"}],
        "sources": [
            {
                "title": "Répertoire FINESS",
                "path": "https://www.data.gouv.fr/fr/datasets/finess-extraction-du-fichier-des-etablissements/",
            },
            {"title": "CPOM saisis et signés dans l’application par les ARS", "path": f"{site}/"},
        ],
        "contributors": [
            {
                "title": "Agences régionales de santé — plateforme CPOM volet 3",
                "organisation": "Agences régionales de santé",
                "role": "author",
            }
        ],
        "fields": [f.descriptor() for f in FIELDS],
        "primaryKey": ["identifiant_indicateur", "annee"],
        "missingValues": [""],
    }


def published_cpoms():
    """Signed CPOMs (content as signed) that no ARS keeps out of the open data."""
    withheld = Withholding.objects.active().filter(cpom=OuterRef("pk"))
    return Cpom.objects.filter(status=CpomStatus.SIGNED, signed_on__isnull=False).exclude(Exists(withheld))


def publishable(region=None):
    """{région code: sorted years} that have at least one published row."""
    cpoms = published_cpoms().filter(commitments__indicators__isnull=False).distinct()
    if region is not None:
        cpoms = cpoms.filter(region=region)
    years = {}
    for code, first, last in cpoms.values_list("region_id", "first_year", "last_year"):
        years.setdefault(code, set()).update(range(first, last + 1))
    return {code: sorted(found) for code, found in sorted(years.items())}


def _number(value):
    if value is None:
        return None
    value = Decimal(value).normalize()
    return int(value) if value == value.to_integral_value() else float(value)


def _date(value):
    return value.isoformat() if value else None


def rows(region, year, extracted_on):
    """The rows of a région and a year, in a fixed number of queries."""
    cpoms = (
        published_cpoms()
        .filter(region=region, first_year__lte=year, last_year__gte=year)
        .select_related("legal_entity")
        .annotate(amendment=Max("versions__number", filter=Q(versions__signed_on__isnull=False)))
    )
    by_id = {cpom.pk: cpom for cpom in cpoms}
    partners = CommitmentPartner.objects.select_related("legal_entity", "structure").order_by("pk")
    indicators = Indicator.objects.order_by("position", "pk").prefetch_related(
        Prefetch("targets", queryset=TargetValue.objects.order_by("year"))
    )
    commitments = (
        Commitment.objects.filter(cpom_id__in=by_id)
        .select_related("vehicle")
        .prefetch_related(Prefetch("partners", queryset=partners), Prefetch("indicators", queryset=indicators))
        .order_by("cpom_id", "position", "pk")
    )
    validated = {
        declaration.indicator_id: declaration
        for declaration in Declaration.objects.filter(
            indicator__commitment__cpom_id__in=by_id, year=year, status=DeclarationStatus.VALIDATED
        )
    }
    result = []
    for commitment in commitments:
        cpom = by_id[commitment.cpom_id]
        common = _commitment_columns(cpom, commitment, region, year, extracted_on)
        for indicator in commitment.indicators.all():
            result.append({**common, **_indicator_columns(indicator, cpom, year, validated.get(indicator.pk))})
    return result


def _commitment_columns(cpom, commitment, region, year, extracted_on):
    partners = list(commitment.partners.all())
    finess = [p.legal_entity.finess for p in partners if p.legal_entity_id]
    finess += [p.structure.finess for p in partners if p.structure_id and p.structure.finess]
    structures = [f"{p.structure.kind}:{p.structure.name}" for p in partners if p.structure_id]
    external = [p.external_kind or ExternalKind.OTHER for p in partners if p.external_name]
    vehicle = commitment.vehicle
    return {
        "date_extraction": extracted_on.isoformat(),
        "annee": year,
        "code_region": region.code,
        "nom_region": region.name,
        "identifiant_cpom": cpom.pk,
        "reference_cpom": cpom.reference,
        "premiere_annee_cpom": cpom.first_year,
        "derniere_annee_cpom": cpom.last_year,
        "date_signature_cpom": _date(cpom.signed_on),
        "numero_avenant": cpom.amendment or 0,
        "finess_ej": cpom.legal_entity.finess,
        "raison_sociale_ej": cpom.legal_entity.name,
        "identifiant_engagement": commitment.pk,
        "rang_engagement": commitment.position,
        "intitule_engagement": commitment.title,
        "theme": commitment.theme,
        "type_action": commitment.action_kind,
        "objectif": commitment.objective,
        "benefices_attendus": commitment.benefits,
        "support_juridique_forme": vehicle.kind if vehicle else None,
        "support_juridique_nom": vehicle.name if vehicle else "",
        "support_juridique_finess": (vehicle.finess or None) if vehicle else None,
        "partenaires_finess": LIST_SEPARATOR.join(dict.fromkeys(finess)),
        "partenaires_structures": LIST_SEPARATOR.join(structures),
        "partenaires_hors_repertoire": LIST_SEPARATOR.join(external),
        "date_debut": _date(commitment.start_date),
        "echeance": _date(commitment.deadline),
        "etat": commitment.status,
    }


def _indicator_columns(indicator, cpom, year, declaration):
    targets = {target.year: target for target in indicator.targets.all()}
    this_year, final = targets.get(year), targets.get(cpom.last_year)
    return {
        "identifiant_indicateur": indicator.pk,
        "libelle_indicateur": indicator.label,
        "nature_indicateur": indicator.kind,
        "type_valeur": indicator.value_type,
        "unite": indicator.unit,
        "sens_amelioration": indicator.direction,
        "source_donnees": indicator.data_source,
        "valeur_reference": _number(indicator.baseline_value),
        "valeur_reference_texte": indicator.baseline_text,
        "annee_reference": indicator.baseline_year,
        "cible_annee": _number(this_year.value) if this_year else None,
        "cible_annee_texte": this_year.text if this_year else "",
        "cible_finale": _number(final.value) if final else None,
        "cible_finale_texte": final.text if final else "",
        "valeur_validee": _number(declaration.value) if declaration else None,
        "valeur_validee_texte": declaration.text if declaration else "",
        "date_validation": _date(timezone.localtime(declaration.decided_at).date())
        if declaration and declaration.decided_at
        else None,
    }


FREE_TEXT = {f.name for f in FIELDS if f.free_text}


def to_csv(records) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow(FIELD_NAMES)
    for record in records:
        writer.writerow(
            [
                "" if record[name] is None else (neutralise(record[name]) if name in FREE_TEXT else record[name])
                for name in FIELD_NAMES
            ]
        )
    return out.getvalue().encode("utf-8")


def to_json(records) -> bytes:
    return json.dumps(
        [{name: record[name] for name in FIELD_NAMES} for record in records], ensure_ascii=False, indent=1
    ).encode("utf-8")


def example_records():
    return [{f.name: f.example for f in FIELDS}]


def _replace(path: Path, content: bytes):
    """Write beside, then rename: a reader never gets half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(handle, "wb") as stream:
        stream.write(content)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def write_files(directory, extracted_at=None) -> list[Path]:
    """Write every région's and year's CSV and JSON, the schema and the
    example file into ``directory``; data files no longer published (a CPOM
    withheld, expired) are removed. Returns the data files written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    extracted_on = timezone.localtime(extracted_at or timezone.now()).date()
    regions = {region.code: region for region in Region.objects.all()}
    written = []
    for code, years in publishable().items():
        for year in years:
            records = rows(regions[code], year, extracted_on)
            if not records:
                continue
            for extension, render in (("csv", to_csv), ("json", to_json)):
                path = directory / data_file_name(code, year, extension)
                _replace(path, render(records))
                written.append(path)
    _replace(directory / SCHEMA_FILE, json.dumps(table_schema(), ensure_ascii=False, indent=2).encode("utf-8"))
    _replace(directory / EXAMPLE_NAME, to_csv(example_records()))
    kept = {path.name for path in written}
    for stale in directory.iterdir():
        if FILE_NAME.match(stale.name) and stale.name not in kept:
            stale.unlink()
    return written


@dataclass
class PublishedFile:
    name: str
    region: str
    year: int
    format: str
    size: int
    modified: datetime.datetime


def published_files(directory=None) -> list[PublishedFile]:
    """The data files of the publication directory, by région, year and format."""
    directory = Path(directory or settings.OPEN_DATA_ROOT)
    if not directory.is_dir():
        return []
    regions = dict(Region.objects.values_list("code", "name"))
    found = []
    for entry in os.scandir(directory):
        match = FILE_NAME.match(entry.name)
        if match and entry.is_file():
            stat = entry.stat()
            found.append(
                PublishedFile(
                    name=entry.name,
                    region=regions.get(match["region"], match["region"]),
                    year=int(match["year"]),
                    format=match["format"].upper(),
                    size=stat.st_size,
                    modified=datetime.datetime.fromtimestamp(stat.st_mtime, tz=datetime.UTC),
                )
            )
    return sorted(found, key=lambda f: (f.region, -f.year, f.format))
