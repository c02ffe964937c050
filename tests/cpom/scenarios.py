"""The contract's scenario of the test world: CPOMs at each step of entity
A, B and C, through the services, and an annex archive."""

import datetime

from django.utils import timezone

from cpom import services
from cpom.models import AnnexArchive
from tests.cpom.factories import CommitmentFactory, CpomFactory, indicator_with_targets


def build_cpoms(users, entities):
    """CPOMs at each step, through the services:

    - cpom_a: entity A 2026–2030, in concertation (shared with its director),
      one commitment with a complete indicator and a pending proposal;
    - cpom_a_draft: entity A 2031–2035, in preparation, never shared;
    - cpom_b_signed: entity B 2026–2030, signed;
    - cpom_c: entity C (Hauts-de-France), in concertation.
    """
    nego, nego_hdf = users["negotiator"], users["negotiator_other"]
    cpom_a = CpomFactory(legal_entity=entities["a"], created_by=nego)
    commitment_a = CommitmentFactory(cpom=cpom_a, title="Filière gériatrique Alpha–Bravo")
    indicator_a = indicator_with_targets(commitment_a, label="Patients adressés")
    services.share_with_director(cpom_a, nego, "Projet à relire")
    proposal = services.propose_change(commitment_a, users["director"], "field:title", "Filière gériatrique")
    cpom_a_draft = CpomFactory(legal_entity=entities["a"], first_year=2031, last_year=2035, created_by=nego)
    cpom_b = CpomFactory(legal_entity=entities["b"], created_by=nego)
    commitment_b = CommitmentFactory(cpom=cpom_b, title="Blanchisserie commune")
    indicator_with_targets(commitment_b)
    services.mark_ready_to_sign(cpom_b, nego)
    services.sign(cpom_b, nego, datetime.date(2026, 1, 10))
    cpom_c = CpomFactory(legal_entity=entities["c"], created_by=nego_hdf)
    commitment_c = CommitmentFactory(cpom=cpom_c, title="Imagerie partagée Charlie")
    services.share_with_director(cpom_c, nego_hdf)
    archive = AnnexArchive.objects.create(
        label="Annexes de test",
        region=cpom_a.region,
        cpom_ids=[cpom_a.pk, cpom_b.pk],
        created_by=nego,
        expires_at=timezone.now() + datetime.timedelta(hours=24),
    )
    return {
        "archive_idf": archive,
        "cpom_a": cpom_a,
        "commitment_a": commitment_a,
        "indicator_a": indicator_a,
        "proposal_a": proposal,
        "cpom_a_draft": cpom_a_draft,
        "cpom_b_signed": cpom_b,
        "commitment_b": commitment_b,
        "cpom_c": cpom_c,
        "commitment_c": commitment_c,
    }
