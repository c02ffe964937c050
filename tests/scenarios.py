"""The whole test world at once, for what builds it outside a test function
(the role table and the fuzzing, built once per module; the browser journeys'
live server; the fault scripts' seed): the shared world and every scenario,
in the order the fixtures build them."""

from tests.conftest import build_world
from tests.cooperations.scenarios import build_imports
from tests.cpom.scenarios import build_cpoms
from tests.diagnostics.scenarios import build_diagnostics
from tests.indicators.scenarios import build_follow_up


def build_full_world():
    world = build_world()
    world.update(build_imports(world["users"]))
    world.update(build_cpoms(world["users"], world["entities"]))
    world.update(build_follow_up(world["users"], world["entities"]))
    world.update(build_diagnostics(world["users"], world["ght_idf"], world["ght_hdf"]))
    return world
