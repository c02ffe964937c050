"""The Celery app of the fault scripts' workers: the project's own app
(config.celery), with two knobs for the scripts only:

- FAULTS_SLOW_SECONDS: each computed indicator and each annex of an archive
  takes that much longer, so that a worker can be killed in the middle;
- FAULTS_VISIBILITY_TIMEOUT: how long Redis keeps an unacknowledged message
  of a dead worker before handing it to another (kombu's default: 3600 s).

Run as ``celery -A faultapp worker`` with scripts/faults on PYTHONPATH."""

import functools
import os
import time

from celery import signals

from config.celery import app

SLOW = float(os.environ.get("FAULTS_SLOW_SECONDS", "0") or 0)
VISIBILITY = os.environ.get("FAULTS_VISIBILITY_TIMEOUT", "")

if VISIBILITY:
    app.conf.broker_transport_options = {
        "visibility_timeout": int(VISIBILITY),
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }


def _slowed(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        time.sleep(SLOW)
        return function(*args, **kwargs)

    wrapper.slowed = True
    return wrapper


@signals.worker_process_init.connect
@signals.worker_init.connect
def slow_down(**_kwargs):
    if not SLOW:
        return
    from cpom import annex
    from indicators import computations

    for module, name in ((computations, "store"), (annex, "annex_pdf")):
        if not getattr(getattr(module, name), "slowed", False):
            setattr(module, name, _slowed(getattr(module, name)))


__all__ = ["app"]
