"""The data of the load test (issue 8, « No data lost »), on top of the real
reference data: real legal entities of one région (their FINESS numbers come
from the reference files, never invented), each with a director account, a
signed CPOM whose indicators the open campaign follows, and a draft CPOM whose
commitment the région's negotiators edit. Deterministic; everything it creates
is marked (« CHARGE- » references, « charge- » user names) and replaced on
rerun. The contracts and figures are invented, like the demo's."""

import datetime
import json

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import EntityMembership, Role, User
from cooperations.models import LegalEntity, Region, StructureKind
from cooperations.services import set_legal_name
from cpom import services as cpom_services
from cpom.models import Cpom
from demo.cpoms import _commitment, _indicator, _sign
from indicators import services
from indicators.models import Campaign, Declaration

REFERENCE_PREFIX = "CHARGE-"
USER_PREFIX = "charge-"
DEFAULT_PASSWORD = "charge-cpom-2026"
# The declarative counts of the library: each director declares them all.
DECLARED = (
    "Nombre de vacations de temps médical partagé",
    "Nombre de postes à recrutement multi-site",
    "Nombre de patients adressés dans le cadre des filières",
    "Nombre d’actions de communication auprès des adresseurs",
)
TARGETS = ("10", "12", "14", "16", "18")


class LoadTestDataError(Exception):
    """The load-test data cannot be built on this database."""


def director_username(index):
    return f"{USER_PREFIX}directeur-{index:03d}"


def negotiator_username(index):
    return f"{USER_PREFIX}negociateur-{index:02d}"


def _entities(region, count):
    """The first real entities of the région by FINESS, with at least one
    site and no CPOM other than the load test's (so periods never overlap)."""
    foreign_cpom = Cpom.objects.filter(legal_entity=OuterRef("pk")).exclude(reference__startswith=REFERENCE_PREFIX)
    entities = list(
        LegalEntity.objects.filter(region=region, establishments__isnull=False)
        .exclude(Exists(foreign_cpom))
        .distinct()
        .order_by("finess")[:count]
    )
    if len(entities) < count:
        raise LoadTestDataError(
            f"La région {region.code} n’a que {len(entities)} entités juridiques disponibles ({count} demandées)."
        )
    return entities


def remove(region, year):
    """Remove what a previous run built; refuse to touch a real campaign."""
    campaign = Campaign.objects.filter(region=region, year=year).first()
    if campaign is not None:
        if campaign.cpoms.exclude(reference__startswith=REFERENCE_PREFIX).exists():
            raise LoadTestDataError(
                f"Une campagne {year} réelle existe pour la région {region.code} : choisissez une autre année."
            )
        Declaration.objects.filter(campaign=campaign).delete()
        campaign.delete()
    Declaration.objects.filter(indicator__commitment__cpom__reference__startswith=REFERENCE_PREFIX).delete()
    Cpom.objects.filter(reference__startswith=REFERENCE_PREFIX).delete()
    User.objects.filter(username__startswith=USER_PREFIX).delete()


def _user(username, password, role, region=None, legal_entity=None):
    user = User(
        username=username,
        first_name="Charge",
        last_name=username.removeprefix(USER_PREFIX),
        email=f"{username}@charge.invalid",
        role=role,
        region=region if role != Role.DIRECTOR else None,
    )
    user.set_password(password)
    user.save()
    if legal_entity is not None:
        EntityMembership.objects.create(user=user, legal_entity=legal_entity)
    return user


def _ght(entity):
    membership = entity.memberships.filter(structure__kind=StructureKind.GHT).select_related("structure").first()
    return membership.structure if membership else None


@transaction.atomic
def build(directors=60, negotiators=5, drafts=10, region_code="11", year=None, password=DEFAULT_PASSWORD):
    """Replace the load-test data; return the manifest the locustfile reads."""
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise LoadTestDataError("Données de référence absentes : lancez d’abord « manage.py load_reference_data ».")
    today = timezone.localdate()
    year = year or today.year - 1
    remove(region, year)
    entities = _entities(region, directors)
    ars = [_user(negotiator_username(i), password, Role.NEGOTIATOR, region) for i in range(1, negotiators + 1)]
    negotiator = ars[0]
    signed_cpoms, draft_commitments, accounts = [], [], []
    for index, entity in enumerate(entities, start=1):
        director = _user(director_username(index), password, Role.DIRECTOR, legal_entity=entity)
        accounts.append({"username": director.username, "finess": entity.finess})
        ght = _ght(entity)
        cpom = cpom_services.create_cpom(negotiator, entity, year - 1, year + 3, f"{REFERENCE_PREFIX}{entity.finess}")
        commitment = _commitment(
            cpom,
            negotiator,
            title="Temps médical partagé du territoire",
            action_kind="personnels",
            theme="medicales",
            objective="Partager des praticiens entre les sites des partenaires pour assurer les consultations avancées.",
            vehicle=ght,
            start_date=datetime.date(year - 1, 1, 1),
            status="en_cours",
        )
        for label in DECLARED:
            _indicator(commitment, label, negotiator, "8", year - 2, TARGETS)
        if entity.name_is_provisional:
            # A CPOM is never signed under a name deduced from the sites: the ARS establishes it, as in a région.
            set_legal_name(
                entity, negotiator, entity.name[:255], "Test de charge : nom repris des sites, établi par l’ARS"
            )
        _sign(cpom, negotiator, datetime.date(year - 1, 2, 1))
        signed_cpoms.append(cpom)
        if index <= drafts:
            draft = cpom_services.create_cpom(
                negotiator, entity, year + 4, year + 8, f"{REFERENCE_PREFIX}PROJET-{entity.finess}"
            )
            next_commitment = _commitment(
                draft,
                negotiator,
                title="Filière de soins de suite",
                action_kind="filieres",
                theme="medicales",
                objective="Organiser l’aval des courts séjours vers les soins de suite des partenaires.",
                vehicle=ght,
            )
            _indicator(next_commitment, DECLARED[2], negotiator, "50", year + 3, TARGETS)
            draft_commitments.append(next_commitment)
    campaign = services.open_campaign(
        negotiator,
        region,
        year,
        today - datetime.timedelta(days=7),
        today + datetime.timedelta(days=30),
        today + datetime.timedelta(days=45),
        signed_cpoms,
        notify=False,
    )
    return {
        "campaign": campaign.pk,
        "year": year,
        "region": region.code,
        "directors": accounts,
        "negotiators": [user.username for user in ars],
        "cpoms": [cpom.pk for cpom in signed_cpoms] + [c.cpom_id for c in draft_commitments],
        "commitments": [commitment.pk for commitment in draft_commitments],
    }


def write_manifest(manifest, path):
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=1)
