"""django-simple-history's ``HistoricalRecords`` with a manager class made once.

Each read of ``Model.history`` builds the manager anew, and simple-history's
descriptor builds its class there too: ``HistoryManager.from_queryset(…)``,
which introspects the queryset class (``inspect.getmembers``) at every access,
some 0.5 ms. The audit trail reads the history of 36 models per page (issue 19).
Here ``from_queryset`` answers the class it made the first time; the manager
itself is still made per access (it carries the instance it was read from)."""

from functools import cache

from simple_history import models
from simple_history.manager import HistoryManager


class CachedClassHistoryManager(HistoryManager):
    @classmethod
    def from_queryset(cls, queryset_class, class_name=None):
        return _manager_class(cls, queryset_class, class_name)


@cache
def _manager_class(manager_class, queryset_class, class_name):
    return super(CachedClassHistoryManager, manager_class).from_queryset(queryset_class, class_name)


class HistoricalRecords(models.HistoricalRecords):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("history_manager", CachedClassHistoryManager)
        super().__init__(*args, **kwargs)
