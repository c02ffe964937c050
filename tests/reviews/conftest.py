import pytest


@pytest.fixture
def review_scenario(follow_up_scenario):
    from tests.reviews.scenarios import build_reviews

    world = follow_up_scenario
    world.update(build_reviews(world))
    return world
