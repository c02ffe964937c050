"""The diagnostics' scenario of the test world: a diagnostic of each région's GHT."""

from tests.diagnostics.factories import diagnostic_of


def build_diagnostics(users, ght_idf, ght_hdf):
    """A diagnostic of each région's GHT, with one axis each."""
    diagnostic_idf, axis_idf = diagnostic_of(
        users["negotiator"], ght_idf, "Diagnostic Yvelines test", axis="Gériatrie commune"
    )
    diagnostic_hdf, _axis = diagnostic_of(users["negotiator_other"], ght_hdf, "Diagnostic Nord test")
    return {"diagnostic_idf": diagnostic_idf, "axis_idf": axis_idf, "diagnostic_hdf": diagnostic_hdf}
