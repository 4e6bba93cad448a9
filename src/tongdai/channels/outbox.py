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
    if "\x00" in text:  # no database stores it; PostgreSQL fails on it
        raise ReplyRefused(_("The reply contains a forbidden control character."))
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


#: How long a claimed delivery is reserved for the worker that claimed it: longer than a
#: sender's worst case (token refresh + send, each with the 10 s provider timeout). A worker
#: that dies mid-send leaves the row pending; the sweep attempts it again after this.
CLAIM_LEASE = timedelta(minutes=2)


def outbox_deliver(message_pk: int) -> str:
    """One delivery attempt for a pending outbound message; returns the new status.

    Three steps, so that no database transaction (on SQLite: the write lock every webhook
    needs) stays open while the provider is called:

    1. *claim*: lock the row, check it is pending and due, count the attempt and push
       ``next_attempt_at`` out by ``CLAIM_LEASE`` so no other worker or sweep picks it up;
    2. *send* through the provider's sender, outside any transaction;
    3. *record* the outcome, only if the row is still the one this attempt claimed.
    """
    claimed = _claim(message_pk)
    if isinstance(claimed, str):
        return claimed
    row = claimed
    sender = sender_for(row.message.provider)
    provider_id, error, retryable = "", "", False
    try:
        if sender is None:
            raise DeliveryError("no_sender", retryable=False)
        provider_id = sender(row.message) or ""
    except DeliveryError as exc:
        error, retryable = exc.code, exc.retryable
    except Exception as exc:  # noqa: BLE001 — a sender bug must not lose the message
        logger.warning("sender for %s raised %s", row.message.provider, type(exc).__name__)
        error, retryable = type(exc).__name__, True
    return _record(row, provider_id, error, retryable)


def _claim(message_pk: int) -> Outbox | str:
    """The locked-then-released row this attempt owns, or the status when there is
    nothing to do (sent, failed, not due, claimed by another worker)."""
    with transaction.atomic():
        row = (Outbox.objects.select_for_update()
               .select_related("message", "message__conversation")
               .filter(message_id=message_pk).first())
        if row is None:
            return ""
        now = timezone.now()
        if row.status != OutboxStatus.PENDING or row.next_attempt_at > now:
            return row.status
        row.attempts += 1
        row.next_attempt_at = now + CLAIM_LEASE
        row.save(update_fields=["attempts", "next_attempt_at"])
    return row


def _record(claimed: Outbox, provider_id: str, error: str, retryable: bool) -> str:
    with transaction.atomic():
        row = Outbox.objects.select_for_update().filter(pk=claimed.pk).first()
        if (row is None or row.status != OutboxStatus.PENDING
                or row.attempts != claimed.attempts):
            # Taken over after the lease ran out; the later attempt records its own result.
            return row.status if row else ""
        now = timezone.now()
        if not error:
            row.status, row.sent_at = OutboxStatus.SENT, now
            row.provider_message_id, row.last_error = provider_id[:200], ""
        else:
            row.last_error = error[:200]
            if retryable and row.attempts < MAX_ATTEMPTS:
                row.next_attempt_at = now + BACKOFF[row.attempts - 1]
            else:
                row.status = OutboxStatus.FAILED
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
