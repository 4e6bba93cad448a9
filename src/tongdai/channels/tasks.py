"""Worker jobs of the channels inbox: thin and idempotent (see ``services.inbound_process``)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from tongdai.channels import services
from tongdai.channels.models import InboundEvent

#: Events older than this and still unprocessed were missed by the queue.
SWEEP_AFTER = timedelta(minutes=1)
SWEEP_BATCH = 500


@db_task(name="channels_process_inbound", retries=5, retry_delay=30)
def process_inbound(event_pk: int) -> None:
    services.inbound_process(event_pk)


@db_periodic_task(crontab(minute="*"), name="channels_inbox_sweep", expires=120)
def inbox_sweep() -> int:
    """Process inbox events the queue missed (queue down at accept time, worker crash)."""
    cutoff = timezone.now() - SWEEP_AFTER
    pks = list(InboundEvent.objects.filter(processed_at__isnull=True, received_at__lt=cutoff)
               .order_by("received_at").values_list("pk", flat=True)[:SWEEP_BATCH])
    for pk in pks:
        services.inbound_process(pk)
    return len(pks)


@db_task(name="channels_deliver_outbound")
def deliver_outbound(message_pk: int) -> None:
    from tongdai.channels.outbox import outbox_deliver

    outbox_deliver(message_pk)


@db_periodic_task(crontab(minute="*"), name="channels_outbox_sweep", expires=120)
def outbox_sweep() -> int:
    """Attempt every pending reply whose next attempt is due (retries and missed queues)."""
    from tongdai.channels.outbox import outbox_deliver, outbox_due

    due = outbox_due()
    for pk in due:
        outbox_deliver(pk)
    return len(due)
