"""Demonstration CPOMs on real GHT members of the demo région.

The entities, their GHT and sites are real (SAE, FINESS); the contracts,
their commitments and figures are invented for the demonstration. Their
reference starts with « DEMO- », and the CPOM page says so."""

import datetime

from django.db import transaction

from cooperations.models import LegalEntity, MemberRole, StructureKind
from cooperations.services import set_legal_name
from cpom import services
from cpom.models import Commitment, CommitmentPartner, Cpom, Indicator, IndicatorTemplate

DEMO_PREFIX = "DEMO-"


def _indicator(commitment, template_label, user, baseline=None, baseline_year=None, targets=(), **overrides):
    """An indicator copied from the library template, with its targets."""
    template = IndicatorTemplate.objects.get(label=template_label)
    fields = template.as_prefill() | overrides
    indicator = Indicator(
        commitment=commitment, template=template, position=commitment.indicators.count() + 1, **fields
    )
    if baseline is not None:
        indicator.baseline_value, indicator.baseline_text = indicator.parse(baseline)
        indicator.baseline_year = baseline_year
    indicator._history_user = user
    indicator.save()
    for year, value in zip(commitment.cpom.years, targets, strict=False):
        indicator.set_target(year, value, user)
    return indicator


def _commitment(cpom, user, partners=(), externals=(), **fields):
    commitment = Commitment(cpom=cpom, position=cpom.commitments.count() + 1, updated_by=user, **fields)
    commitment._history_user = user
    commitment.save()
    for entity in partners:
        partner = CommitmentPartner(commitment=commitment, legal_entity=entity)
        partner._history_user = user
        partner.save()
    for name, kind in externals:
        partner = CommitmentPartner(commitment=commitment, external_name=name, external_kind=kind)
        partner._history_user = user
        partner.save()
    return commitment


# The raisons sociales of the entities whose demo CPOMs are signed: the SAE
# register names only their sites, so the demo's ARS sets them (as a
# negotiator does from the entity's page), saying so. The GHT's support keeps
# its provisional name: its draft shows why « Prêt à signer » is refused.
DEMO_LEGAL_NAMES = {
    "780110011": "CENTRE HOSPITALIER FRANÇOIS QUESNAY",
    "780002697": "CENTRE HOSPITALIER INTERCOMMUNAL DE MEULAN-LES MUREAUX",
}


def _establish_demo_names(user):
    for entity in LegalEntity.objects.filter(finess__in=DEMO_LEGAL_NAMES, name_is_provisional=True):
        set_legal_name(
            entity,
            user,
            DEMO_LEGAL_NAMES[entity.finess],
            "Démonstration : nom usuel de l’établissement, saisi par l’ARS",
        )


def _sign(cpom, user, on):
    services.mark_ready_to_sign(cpom, user)
    return services.sign(cpom, user, on)


@transaction.atomic
def build_demo_cpoms(negotiator, director):
    """Replace the demo CPOMs: the director's entity has a signed 2021–2025
    CPOM with an amendment and a 2026–2030 one in concertation; the GHT's
    support has a draft; another member a signed one."""
    Cpom.objects.filter(reference__startswith=DEMO_PREFIX).delete()
    _establish_demo_names(negotiator)
    entity = director.legal_entities.order_by("pk").first()
    ght_membership = entity.memberships.filter(structure__kind=StructureKind.GHT).select_related("structure").first()
    ght = ght_membership.structure
    members = {
        m.role: m.legal_entity for m in ght.memberships.select_related("legal_entity").exclude(legal_entity=entity)
    }
    support = members.get(MemberRole.SUPPORT)
    others = list(
        LegalEntity.objects.filter(memberships__structure=ght)
        .exclude(pk__in=[entity.pk, support.pk])
        .order_by("finess")
    )
    user = negotiator

    # 1. The director's entity, 2021–2025: signed, then amended.
    old = services.create_cpom(user, entity, 2021, 2025, f"{DEMO_PREFIX}2021-{entity.finess}")
    geriatrics = _commitment(
        old,
        user,
        partners=[support, *others[:1]],
        externals=[("Médecins généralistes du territoire (CPTS)", "ville")],
        title="Filière gériatrique territoriale",
        action_kind="filieres",
        theme="medicales",
        objective=(
            "Organiser l’adressage des patients âgés entre les urgences, le court séjour gériatrique de "
            "l’établissement support et les soins de suite du territoire, avec une ligne d’avis gériatrique "
            "pour les médecins de ville."
        ),
        benefits="Moins de passages aux urgences évitables ; durées de séjour réduites ; visibilité de l’offre.",
        vehicle=ght,
        start_date=datetime.date(2021, 3, 1),
        deadline=datetime.date(2025, 12, 31),
        status="en_cours",
    )
    referred = _indicator(
        geriatrics, "Nombre de patients adressés dans le cadre des filières", user, "95", 2020,
        ["110", "130", "150", "170", "190"],
    )  # fmt: skip
    _indicator(
        geriatrics, "Nombre de vacations de temps médical partagé", user, "4", 2020, ["6", "8", "10", "12", "12"]
    )
    _indicator(geriatrics, "Taux de fuite des séjours du territoire", user, "48", 2020, ["47", "46", "45", "44", "43"])
    _indicator(geriatrics, "Taux de fuite approché (Hospi Diag)", user, "76", 2020, ["75", "74", "73", "72", "71"])
    _indicator(
        geriatrics, "Séjours MCO de l’établissement", user, "22 000", 2020,
        ["22 500", "23 000", "23 500", "24 000", "24 500"],
    )  # fmt: skip
    lab = _commitment(
        old,
        user,
        partners=[support],
        title="Laboratoire de biologie médicale commun",
        action_kind="fonctions_support",
        theme="plateaux_techniques",
        objective="Regrouper la biologie de routine sur un plateau unique du GHT, avec un circuit de transport des prélèvements.",
        benefits="Coût par examen réduit ; permanence des soins en biologie sécurisée.",
        vehicle=ght,
        start_date=datetime.date(2021, 9, 1),
        deadline=datetime.date(2023, 12, 31),
        status="realise",
    )
    _indicator(
        lab, "Coût des prestations des fonctions support", user, "0,31", 2020,
        ["0,31", "0,29", "0,27", "0,26", "0,25"], unit="€ par B", support_function="biologie",
    )  # fmt: skip
    _sign(old, user, datetime.date(2021, 3, 15))
    services.open_amendment(
        old,
        user,
        "Révision des cibles de la filière gériatrique après l’ouverture de l’unité de court séjour gériatrique.",
    )
    for year, value in ((2023, "185"), (2024, "210"), (2025, "230")):
        referred.set_target(year, value, user)
    _sign(old, user, datetime.date(2023, 6, 30))

    # 2. The same entity, 2026–2030: in concertation with its director.
    new = services.create_cpom(user, entity, 2026, 2030, f"{DEMO_PREFIX}2026-{entity.finess}")
    imaging = _commitment(
        new,
        user,
        partners=[support],
        title="Équipe territoriale d’imagerie",
        action_kind="personnels",
        theme="plateaux_techniques",
        objective="Constituer une équipe de radiologues commune aux sites, avec des postes partagés et une permanence de télé-imagerie.",
        benefits="Continuité de l’imagerie de nuit ; attractivité des postes ; délais de rendez-vous réduits.",
        vehicle=ght,
        start_date=datetime.date(2026, 1, 1),
        deadline=datetime.date(2028, 12, 31),
    )
    posts = _indicator(imaging, "Nombre de postes à recrutement multi-site", user, "1", 2025, ["2", "3", "4", "4", "5"])
    leakage = _commitment(
        new,
        user,
        partners=[support, *others[:2]],
        title="Chirurgie ambulatoire : retenir les patients sur le territoire",
        action_kind="filieres",
        theme="medicales",
        objective="Réduire la part des séjours de chirurgie ambulatoire des habitants du territoire réalisés hors du GHT.",
        benefits="Offre de proximité ; activité suffisante pour les blocs des partenaires.",
        vehicle=ght,
        start_date=datetime.date(2026, 1, 1),
        deadline=datetime.date(2030, 12, 31),
    )
    _indicator(leakage, "Taux de fuite des séjours du territoire", user, "31,5", 2024, ["30", "29", "28", "27", "26"])
    communication = _commitment(
        new,
        user,
        partners=[support],
        externals=[("Médecins généralistes du territoire (CPTS)", "ville")],
        title="Faire connaître les filières aux médecins adresseurs",
        action_kind="communication",
        theme="medicales",
        objective="Un annuaire commun des filières et une réunion annuelle d’information avec les médecins de ville.",
        start_date=datetime.date(2026, 6, 1),
    )
    _indicator(
        communication,
        "Nombre d’actions de communication auprès des adresseurs",
        user,
        targets=["2", "3", "3", "3", "3"],
    )
    services.share_with_director(
        new,
        user,
        "Voici le projet de volet 3 pour 2026–2030. Merci de nous faire part de vos remarques avant la fin du mois.",
    )
    services.add_comment(
        new,
        director,
        "Le recrutement de trois radiologues partagés dès 2027 nous paraît ambitieux au vu du marché.",
        imaging,
    )
    services.propose_change(
        imaging,
        director,
        f"target:{posts.pk}:2027",
        "2",
        "Deux postes en 2027, le troisième en 2028 après l’ouverture du scanner.",
    )

    # 3. The GHT's support: a draft, one commitment still without indicator.
    if support is not None:
        draft = services.create_cpom(user, support, 2026, 2030, f"{DEMO_PREFIX}2026-{support.finess}")
        _commitment(
            draft,
            user,
            partners=[entity, *others[:2]],
            title="Blanchisserie inter-hospitalière",
            action_kind="fonctions_support",
            theme="logistique",
            objective="Traiter le linge de tous les établissements du GHT dans une blanchisserie commune.",
            vehicle=ght,
        )

    # 4. Another member: signed in 2025.
    if others:
        member = others[0]
        signed = services.create_cpom(user, member, 2025, 2029, f"{DEMO_PREFIX}2025-{member.finess}")
        psychiatry = _commitment(
            signed,
            user,
            partners=[entity, support],
            title="Avis psychiatriques aux urgences du territoire",
            action_kind="personnels",
            theme="medicales",
            objective="Assurer un avis psychiatrique aux urgences de chaque site, par des praticiens partagés et la téléconsultation.",
            vehicle=ght,
            start_date=datetime.date(2025, 1, 1),
            deadline=datetime.date(2027, 12, 31),
            status="en_cours",
        )
        _indicator(
            psychiatry, "Nombre de vacations de temps médical partagé", user, "0", 2024, ["4", "8", "10", "10", "10"]
        )
        _indicator(
            psychiatry,
            "État d’avancement de l’engagement",
            user,
            targets=["Engagé", "Partiellement réalisé", "Réalisé", "Réalisé", "Réalisé"],
        )
        _sign(signed, user, datetime.date(2025, 2, 20))
    return Cpom.objects.filter(reference__startswith=DEMO_PREFIX).count()
