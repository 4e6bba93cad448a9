"""Outbound replies: written at once, delivered by the worker through the provider.

``reply_send`` is the one entry point a counsellor's reply goes through: it stores the
``Message`` (direction ``out``) and its ``Outbox`` row in one transaction and queues
delivery. ``outbox_deliver`` (worker) calls the provider's sender; a retryable failure
schedules another attempt with back-off, the last one marks the row ``failed`` (shown in
the workspace, where ``outbox_retry`` sends it again).

Senders are registered per provider with ``register_sender`` (the provider modules do it in
their app's ``ready``). A sender takes the ``Message`` and returns the provider's message
id, or raises ``DeliveryError``. Nothing here logs message text.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from tongdai.channels.models import (
    Conversation,
    ConversationStatus,
    Direction,
    Message,
    MessageKind,
    Outbox,
    OutboxStatus,
)

logger = logging.getLogger(__name__)

#: Delays before attempts 2, 3, … ; after the last one the row is ``failed``.
BACKOFF = (timedelta(seconds=10), timedelta(seconds=30), timedelta(minutes=2),
           timedelta(minutes=10), timedelta(minutes=30))
MAX_ATTEMPTS = len(BACKOFF) + 1
MAX_REPLY_CHARS = 2000


class DeliveryError(Exception):
    """A provider refused or could not be reached. ``code`` is short and safe to store
    (HTTP status, provider error code, exception class); never message text."""

    def __init__(self, code: str, *, retryable: bool = True):
        super().__init__(code)
        self.code = code[:200]
        self.retryable = retryable


class ReplyRefused(Exception):
    """The reply cannot be sent (empty, too long, conversation closed or out of reach)."""


Sender = Callable[[Message], str]
_SENDERS: dict[str, Sender] = {}


def register_sender(provider: str, sender: Sender) -> None:
    _SENDERS[provider] = sender


def sender_for(provider: str) -> Sender | None:
    return _SENDERS.get(provider)


def reply_send(actor, conversation_id: int, text: str) -> Message:
    """Store a counsellor's reply and queue its delivery. Raises ``ReplyRefused`` (with a
    translated message) when it cannot be sent; nothing is stored then."""
    from django.utils.translation import gettext as _

    from tongdai.accounts.roles import Perm

    text = (text or "").strip()
    if not text:
        raise ReplyRefused(_("The reply is empty."))
    if len(text) > MAX_REPLY_CHARS:
        raise ReplyRefused(_("The reply is longer than %(n)s characters.") % {"n": MAX_REPLY_CHARS})
    if not actor.can(Perm.QUEUE_ANSWER):
        raise ReplyRefused(_("Your role cannot answer conversations."))
    with transaction.atomic():
        conversation = (Conversation.objects.visible_to(actor).select_for_update()
                        .filter(pk=conversation_id).first())
        if conversation is None:
            raise ReplyRefused(_("Conversation not found."))
        if conversation.status == ConversationStatus.CLOSED:
            raise ReplyRefused(_("This conversation is closed."))
        provider = conversation.messages.values_list("provider", flat=True).first()
        if provider is None:
            raise ReplyRefused(_("Conversation not found."))
        now = timezone.now()
        message = Message.objects.create(
            conversation=conversation, provider=provider,
            provider_message_id=f"out:{uuid.uuid4().hex}", direction=Direction.OUT,
            kind=MessageKind.TEXT, text=text, author=actor, sent_at=now)
        Outbox.objects.create(message=message, next_attempt_at=now)
        Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
        transaction.on_commit(lambda: _enqueue(message.pk))
    return message


def _enqueue(message_pk: int) -> None:
    from tongdai.channels.tasks import deliver_outbound

    try:
        deliver_outbound(message_pk)
    except Exception:  # noqa: BLE001 — the outbox sweep retries anything not queued
        logger.warning("outbound message %s not queued; the sweep will send it", message_pk,
                       exc_info=True)


def outbox_deliver(message_pk: int) -> str:
    """One delivery attempt for a pending outbound message; returns the new status.

    The row is locked for the attempt so two workers never send the same message twice.
    """
    with transaction.atomic():
        row = (Outbox.objects.select_for_update().select_related("message")
               .filter(message_id=message_pk).first())
        if row is None or row.status != OutboxStatus.PENDING:
            return row.status if row else ""
        sender = sender_for(row.message.provider)
        row.attempts += 1
        now = timezone.now()
        try:
            if sender is None:
                raise DeliveryError("no_sender", retryable=False)
            provider_id = sender(row.message)
        except DeliveryError as exc:
            row.last_error = exc.code
            if exc.retryable and row.attempts < MAX_ATTEMPTS:
                row.next_attempt_at = now + BACKOFF[row.attempts - 1]
            else:
                row.status = OutboxStatus.FAILED
        except Exception as exc:  # noqa: BLE001 — a sender bug must not lose the message
            logger.warning("sender for %s raised %s", row.message.provider, type(exc).__name__)
            row.last_error = type(exc).__name__
            if row.attempts < MAX_ATTEMPTS:
                row.next_attempt_at = now + BACKOFF[row.attempts - 1]
            else:
                row.status = OutboxStatus.FAILED
        else:
            row.status, row.sent_at = OutboxStatus.SENT, now
            row.provider_message_id, row.last_error = (provider_id or "")[:200], ""
        row.save()
        return row.status


def outbox_due(limit: int = 200) -> list[int]:
    """Message ids of pending deliveries whose next attempt is due (for the sweep)."""
    return list(Outbox.objects.filter(status=OutboxStatus.PENDING,
                                      next_attempt_at__lte=timezone.now())
                .order_by("next_attempt_at").values_list("message_id", flat=True)[:limit])


def outbox_retry(actor, message_pk: int) -> Outbox:
    """Send a failed reply again (from the workspace). Scoped like ``reply_send``."""
    from django.utils.translation import gettext as _

    from tongdai.accounts.roles import Perm

    if not actor.can(Perm.QUEUE_ANSWER) and not actor.can(Perm.QUEUE_SUPERVISE):
        raise ReplyRefused(_("Your role cannot answer conversations."))
    with transaction.atomic():
        row = (Outbox.objects.select_for_update()
               .filter(message_id=message_pk,
                       message__conversation__in=Conversation.objects.visible_to(actor))
               .first())
        if row is None:
            raise ReplyRefused(_("Message not found."))
        if row.status == OutboxStatus.FAILED:
            row.status, row.attempts, row.next_attempt_at = OutboxStatus.PENDING, 0, timezone.now()
            row.save(update_fields=["status", "attempts", "next_attempt_at"])
            transaction.on_commit(lambda: _enqueue(message_pk))
    return row
