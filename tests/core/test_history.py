"""core.history: every audited model's history manager class is made once,
and a manager read from an instance still holds only that instance's records."""

import pytest
from simple_history.models import registered_models

from core.history import CachedClassHistoryManager
from tests.cooperations.factories import LegalEntityFactory


def test_every_audited_model_reads_one_manager_class():
    assert len(registered_models) > 20
    for model in registered_models.values():
        first, second = model.history, model.history
        assert type(first) is type(second), model
        assert isinstance(first, CachedClassHistoryManager), model


@pytest.mark.django_db
def test_an_instance_history_is_still_its_own():
    one, other = LegalEntityFactory(), LegalEntityFactory()
    one.name = "Nouveau nom"
    one.save()
    assert one.history.count() == 2 and other.history.count() == 1
    assert {record.id for record in one.history.all()} == {one.pk}
    assert type(one.history) is type(other.history) is type(type(one).history)
