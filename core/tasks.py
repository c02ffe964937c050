"""The kit's Celery tasks, found here by the worker's autodiscovery."""

from core.mail import deliver

__all__ = ["deliver"]
