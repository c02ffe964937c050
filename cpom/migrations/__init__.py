"""The contract's migrations. ``MOVED_TABLES``: the tables 0002 renamed (old → new), for the row-count check."""

MOVED_TABLES = {
    "cooperations_cpom": "cpom_cpom",
    "cooperations_cpomversion": "cpom_cpomversion",
    "cooperations_commitment": "cpom_commitment",
    "cooperations_commitmentpartner": "cpom_commitmentpartner",
    "cooperations_comment": "cpom_comment",
    "cooperations_changeproposal": "cpom_changeproposal",
    "cooperations_annexfile": "cpom_annexfile",
    "cooperations_annexarchive": "cpom_annexarchive",
    "cooperations_historicalcpom": "cpom_historicalcpom",
    "cooperations_historicalcpomversion": "cpom_historicalcpomversion",
    "cooperations_historicalcommitment": "cpom_historicalcommitment",
    "cooperations_historicalcommitmentpartner": "cpom_historicalcommitmentpartner",
    "cooperations_historicalcomment": "cpom_historicalcomment",
    "cooperations_historicalchangeproposal": "cpom_historicalchangeproposal",
    "indicators_indicatortemplate": "cpom_indicatortemplate",
    "indicators_indicator": "cpom_indicator",
    "indicators_targetvalue": "cpom_targetvalue",
    "indicators_historicalindicatortemplate": "cpom_historicalindicatortemplate",
    "indicators_historicalindicator": "cpom_historicalindicator",
    "indicators_historicaltargetvalue": "cpom_historicaltargetvalue",
}
