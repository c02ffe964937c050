"""Celery tasks: thin wrappers over the importers, passing paths, never objects."""

from celery import shared_task

from .importers.base import run_import
from .importers.finess import FINESS_LAYOUTS
from .importers.ght import GHT_LAYOUTS

LAYOUTS = {"finess": FINESS_LAYOUTS, "ght": GHT_LAYOUTS}


@shared_task(acks_late=True)
def import_reference_file(path: str, register: str, strict: bool = False) -> dict:
    """Import a register file in the background; returns the report. Safe to
    retry: the import is idempotent and runs in one transaction."""
    return run_import(path, LAYOUTS[register], strict=strict).as_dict()
