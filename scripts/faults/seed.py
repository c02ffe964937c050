"""The fault scripts' data set, on the database DATABASE_URL points to (a
throwaway one): the tests' world (tests/scenarios.build_full_world) plus, with
``--computed N``, N more entities of Île-de-France with a signed CPOM
2024–2025 carrying a computed leakage rate, and stays for their sites.

Prints one JSON line of the ids the scripts need."""

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402

from tests.cooperations.factories import EstablishmentFactory, LegalEntityFactory, department  # noqa: E402
from tests.cpom.factories import CommitmentFactory, indicator_with_targets, signed_cpom  # noqa: E402
from tests.scenarios import build_full_world  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--computed", type=int, default=0)
    parser.add_argument("--commitments", type=int, default=0, help="more commitments on cpom_a, one indicator each")
    options = parser.parse_args()
    with transaction.atomic():
        world = build_full_world()
        nego = world["users"]["negotiator"]
        sites = []
        for n in range(options.computed):
            entity = LegalEntityFactory(name=f"CH Panne {n + 1}", department=department("78"))
            sites.append(EstablishmentFactory(legal_entity=entity, name=f"Site Panne {n + 1}").finess)
            signed_cpom(nego, entity, 2024, 2025, title=f"Filière calculée {n + 1}", computed=True)
        extra = []
        for n in range(options.commitments):
            commitment = CommitmentFactory(cpom=world["cpom_a"], title=f"Charge 0 ({n + 1})")
            indicator_with_targets(commitment, label=f"Indicateur de charge {n + 1}")
            extra.append(commitment.pk)
        if sites:
            from indicators.inputs import import_inputs

            rows = "".join(f"2025;{finess};78100;MCO;{10 + i}\n" for i, finess in enumerate(sites))
            import_inputs("sejours", "PMSI pannes", f"annee;finess_et;code_geo;champ;sejours\n{rows}".encode(), "p.csv")
    users = world["users"]
    print(
        json.dumps(
            {
                "password": "motdepasse-test-123",
                "negotiator": users["negotiator"].username,
                "negotiator_other": users["negotiator_other"].username,
                "admin": users["admin"].username,
                "director": users["director"].username,
                "run": world["run_idf"].pk,
                "campaign": world["campaign_idf"].pk,
                "entity_a": world["entities"]["a"].finess,
                "cpom_a": world["cpom_a"].pk,
                "commitment_a": world["commitment_a"].pk,
                "commitments": extra,
                "indicators_a_old": [i.pk for i in world["indicators_a_old"]],
            }
        )
    )


if __name__ == "__main__":
    main()
