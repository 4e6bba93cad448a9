"""Background jobs that keep the installation itself healthy.

Run by Huey's consumer (``tongdai run_huey``, started by ``tongdai serve``). Jobs are thin
and idempotent: each calls one existing function and is safe to run twice. Domain jobs
(deadline sweeps, agency notifications) live in the ``tasks.py`` of their own app, which
the consumer discovers the same way.

Heartbeats: Huey's scheduler enqueues periodic tasks and a worker runs them, so
``heartbeat`` records two facts once a minute — ``scheduler`` when the scheduler enqueues
it, ``worker`` when a worker runs it. ``/healthz`` reports the age of each; an age above
about two minutes means that half of the job system is down.
"""

from __future__ import annotations

import logging

from django.core.management import call_command
from django.db import close_old_connections
from huey import crontab, signals
from huey.contrib.djhuey import HUEY, db_periodic_task

from tongdai.core.models import Heartbeat

logger = logging.getLogger(__name__)

SCHEDULER = "scheduler"
WORKER = "worker"


@db_periodic_task(crontab(minute="*"), name="heartbeat", expires=120)
def heartbeat() -> None:
    """Prove a worker is running (and, by having been enqueued, that the scheduler is)."""
    Heartbeat.beat(WORKER)


@HUEY.signal(signals.SIGNAL_ENQUEUED)
def _scheduler_enqueued(signal, task) -> None:
    """Runs in whichever thread enqueued ``task``; for ``heartbeat`` that is the scheduler.

    Enqueueing ``heartbeat`` by hand would also count; nobody has a reason to.
    """
    if getattr(task, "name", "") != heartbeat.name or HUEY.immediate:
        return
    close_old_connections()
    try:
        Heartbeat.beat(SCHEDULER)
    finally:
        close_old_connections()


@db_periodic_task(crontab(minute="17", hour="20"), name="sessions_clear")
def sessions_clear() -> None:
    """Delete expired login sessions (Django keeps them in the database until told).

    20:17 UTC is 03:17 in Hà Nội: the quietest hour on the lines. Huey schedules in UTC.
    """
    call_command("clearsessions")
    logger.info("expired sessions cleared")
