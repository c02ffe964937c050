"""A small territory for the tests of the territory pages: two départements
of Île-de-France and one of Hauts-de-France, sites with and without
coordinates, a GHT with its support, a convention with a partner outside the
register, and Hospi Diag figures for the peer comparison."""

from decimal import Decimal

from accounts.models import Role
from cooperations.models import MemberRole, StructureKind
from territories.peers import load_hospidiag
from tests.accounts.factories import UserFactory
from tests.cooperations.factories import (
    EstablishmentFactory,
    GhtFactory,
    LegalEntityFactory,
    MembershipFactory,
    StructureFactory,
    department,
    region,
)

HEADER = "finess,rs,champ_pmsi,taa,cat,P1,P2,P12\n"


def site(entity, latitude=None, longitude=None, beds=None, **fields):
    return EstablishmentFactory(
        legal_entity=entity,
        latitude=None if latitude is None else Decimal(str(latitude)),
        longitude=None if longitude is None else Decimal(str(longitude)),
        mco_beds=beds,
        **fields,
    )


def territory_world(extra_sites=0):
    """The territory, its users, and ``extra_sites`` more located sites in Paris (to grow the data)."""
    paris = LegalEntityFactory(name="CH Alpha", department=department("75"))
    melun = LegalEntityFactory(name="CH Bravo", department=department("77"))
    lille = LegalEntityFactory(name="CH Charlie", department=department("59"))
    sites = {
        "a1": site(paris, 48.8566, 2.3522, 400, name="Site Alpha Paris"),
        "a2": site(paris, name="Site Alpha sans coordonnées"),
        "b1": site(melun, 48.5421, 2.6554, 250, name="Site Bravo Melun", department=department("77")),
        "c1": site(lille, 50.6292, 3.0573, 900, name="Site Charlie Lille", department=department("59")),
    }
    grow(extra_sites)
    ght = GhtFactory(name="GHT Test Île-de-France", code="11999", region=region("11"))
    MembershipFactory(structure=ght, legal_entity=paris, role=MemberRole.SUPPORT)
    MembershipFactory(structure=ght, legal_entity=melun)
    convention = StructureFactory(kind=StructureKind.CONVENTION, name="Convention imagerie", region=region("11"))
    MembershipFactory(structure=convention, legal_entity=paris, role=MemberRole.SUPPORT)
    MembershipFactory(structure=convention, legal_entity=None, external_name="Cabinet de radiologie du Marais",
                      external_kind="ville")  # fmt: skip
    ght_hdf = GhtFactory(name="GHT Test Hauts-de-France", code="32999", region=region("32"))
    MembershipFactory(structure=ght_hdf, legal_entity=lille, role=MemberRole.SUPPORT)
    users = {
        "admin": UserFactory(admin=True),
        "negotiator": UserFactory(negotiator=True),
        "observer": UserFactory(role=Role.OBSERVER),
        "negotiator_other": UserFactory(negotiator=True, region=region("32")),
        "director": UserFactory(director=True, legal_entity=paris),
    }
    return {
        "entities": {"a": paris, "b": melun, "c": lille},
        "sites": sites,
        "ght": ght,
        "ght_hdf": ght_hdf,
        "convention": convention,
        "users": users,
    }


def grow(count, start=0):
    """``count`` more located sites in Paris, each of its own entity and in a GHT of its own with Alpha."""
    for n in range(start, start + count):
        entity = LegalEntityFactory(name=f"CH Croissance {n}", department=department("75"))
        site(entity, 48.80 + n * 0.001, 2.30 + n * 0.001, 100 + n, name=f"Site croissance {n}")
        structure = StructureFactory(kind=StructureKind.CONVENTION, name=f"Convention {n}", region=region("11"))
        MembershipFactory(structure=structure, legal_entity=entity, role=MemberRole.SUPPORT)
        MembershipFactory(structure=structure, legal_entity=LegalEntityFactory(department=department("77")))


def peer_figures(world):
    """Hospi Diag lines, category CH: six in Île-de-France (Alpha's own site
    among them) with P1 and P12, but only four of them with P2; three in
    Hauts-de-France. Returns the loader's counts."""
    lines = [HEADER]
    own = world["sites"]["a1"].finess
    lines.append(f"{own},SITE ALPHA PARIS,DGF,TAA,CH,1.10,0.90,40\n")
    for n in range(5):
        p2 = f"{0.8 + n / 10:.2f}" if n < 3 else ".c"
        lines.append(f"75{n + 1:07d},CH PAIR IDF {n},DGF,TAA,CH,{0.9 + n / 20:.2f},{p2},{50 + n}\n")
    for n in range(3):
        lines.append(f"59{n + 1:07d},CH PAIR HDF {n},DGF,TAA,CH,{1.0 + n / 10:.2f},1.00,{60 + n}\n")
    return load_hospidiag("".join(lines).encode())
