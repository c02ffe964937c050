"""The follow-up's scenario of the test world: the campaigns of 2025 in both
régions, declarations, an input file and a computation run."""

from cpom.models import IndicatorKind
from indicators import services
from indicators.inputs import import_inputs
from indicators.models import ComputationRun, Declaration
from tests.cpom.factories import signed_cpom
from tests.indicators.factories import DeclarationFactory, open_campaign_for


def build_follow_up(users, entities):
    """The follow-up of 2025, open in both régions:

    - cpom_a_old: entity A 2024–2025, signed, two declarative indicators
      (one declared and submitted: declaration_a, with an internal note) and
      one computed indicator;
    - campaign_idf: Île-de-France 2025, covering cpom_a_old;
    - cpom_c_old / campaign_hdf / declaration_c: the same in Hauts-de-France.
    """
    nego, nego_hdf = users["negotiator"], users["negotiator_other"]
    cpom_a_old = signed_cpom(nego, entities["a"], 2024, 2025, indicators=2, title="Filière suivie Alpha", computed=True)
    commitment = cpom_a_old.commitments.get()
    indicators = list(commitment.indicators.filter(kind=IndicatorKind.DECLARATIVE).order_by("pk"))
    campaign_idf = open_campaign_for(nego, cpom_a_old.region, 2025, [cpom_a_old])
    entry = services.Entry(indicators[0], *indicators[0].parse("11"), comment="Selon les tableaux de service")
    services.save_declarations(users["director"], campaign_idf, entities["a"].pk, [entry], submit=True)
    declaration_a = Declaration.objects.get(indicator=indicators[0], year=2025)
    services.add_note(nego, declaration_a, "À recouper avec le bilan social")
    cpom_c_old = signed_cpom(nego_hdf, entities["c"], 2024, 2025, title="Filière suivie Charlie")
    campaign_hdf = open_campaign_for(nego_hdf, cpom_c_old.region, 2025, [cpom_c_old])
    indicator_c = cpom_c_old.commitments.get().indicators.get()
    declaration_c = DeclarationFactory(
        campaign=campaign_hdf, indicator=indicator_c, director=users["director_other"], raw="9", submitted=True
    )
    site_a = entities["a"].establishments.first().finess
    input_import = import_inputs(
        "sejours", "PMSI test", f"annee;finess_et;code_geo;champ;sejours\n2025;{site_a};78100;MCO;9\n".encode(), "s.csv"
    )
    run_idf = ComputationRun.objects.create(year=2025, region=cpom_a_old.region, created_by=nego)
    return {
        "input_import": input_import,
        "run_idf": run_idf,
        "cpom_a_old": cpom_a_old,
        "indicators_a_old": indicators,
        "campaign_idf": campaign_idf,
        "declaration_a": declaration_a,
        "cpom_c_old": cpom_c_old,
        "campaign_hdf": campaign_hdf,
        "declaration_c": declaration_c,
    }
