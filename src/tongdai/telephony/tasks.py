"""Worker jobs of the telephony inbox and recording retention: thin and idempotent."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from tongdai.telephony import recordings, services
from tongdai.telephony.models import CallEvent

logger = logging.getLogger(__name__)

#: Events older than this and still unprocessed were missed by the queue.
SWEEP_AFTER = timedelta(minutes=1)
SWEEP_BATCH = 500


@db_task(name="telephony_process_call_event", retries=5, retry_delay=30)
def process_call_event(event_pk: int) -> None:
    services.call_event_process(event_pk)


@db_periodic_task(crontab(minute="*"), name="telephony_inbox_sweep", expires=120)
def call_inbox_sweep() -> int:
    """Process inbox events the queue missed (queue down at accept time, worker crash).
    One event failing (a database hiccup) does not stop the others: it is tried again at
    the next sweep, its error class recorded."""
    cutoff = timezone.now() - SWEEP_AFTER
    pks = list(CallEvent.objects.filter(processed_at__isnull=True, received_at__lt=cutoff)
               .order_by("received_at").values_list("pk", flat=True)[:SWEEP_BATCH])
    for pk in pks:
        try:
            services.call_event_process(pk)
        except Exception as exc:  # noqa: BLE001 — recorded, retried at the next sweep
            logger.warning("call event %s failed (%s); retried at the next sweep", pk,
                           type(exc).__name__)
            CallEvent.objects.filter(pk=pk).update(last_error=type(exc).__name__[:200])
    return len(pks)


@db_periodic_task(crontab(minute="17", hour="3"), name="telephony_recordings_expire",
                  expires=3600)
def recordings_expire() -> int:
    """Daily (03:17 server time): recordings past their retention are deleted."""
    return recordings.recordings_expire()
