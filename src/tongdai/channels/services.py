"""The one way to write channel rows: accept an event into the inbox, then process it.

``inbox_accept`` is what a webhook calls after checking the signature; it must be fast and
must not fail on a re-sent event. ``inbound_process`` is what the worker calls; it is
idempotent: a second run of the same event creates nothing.

Nothing here logs a payload: it is what a child wrote (personal data).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from tongdai.channels.models import (
    PROVIDER_CHANNEL,
    Conversation,
    ConversationStatus,
    InboundEvent,
    Message,
    MessageKind,
    Provider,
)
from tongdai.core.inbox import store_once
from tongdai.workspace.routing import route

logger = logging.getLogger(__name__)


def inbox_accept(provider: str, event_id: str, raw: bytes | str) -> tuple[InboundEvent, bool]:
    """Store one provider event unless it is already stored; queue its processing.

    Returns ``(event, created)``. A duplicate (same provider and event id) returns the
    stored row and creates nothing. Database errors propagate: the webhook answers 503 and
    the provider retries.
    """
    return store_once(InboundEvent, {"provider": provider, "provider_event_id": event_id},
                      raw, _enqueue)


def _enqueue(event_pk: int) -> None:
    """Queue the processing job. If the queue is down the event stays in the inbox and the
    periodic sweep (``tasks.inbox_sweep``) picks it up: the provider already has its 200."""
    from tongdai.channels.tasks import process_inbound

    try:
        process_inbound(event_pk)
    except Exception:  # noqa: BLE001 — any queue failure is recovered by the sweep
        logger.warning("inbound event %s not queued; the sweep will process it", event_pk,
                       exc_info=True)


@dataclass(frozen=True)
class ParsedMessage:
    """What the worker needs from a provider payload to store one inbound message."""

    provider_user_id: str
    provider_message_id: str
    kind: str
    text: str
    attachment_url: str
    sent_at: datetime


def _from_millis(value) -> datetime:
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return timezone.now()


def _attachment(attachments) -> tuple[str, str]:
    """``(kind, url)`` of the first attachment. Both providers use ``{"type": ...,
    "payload": {"url": ...}}``; a location carries ``payload.coordinates``."""
    if not attachments or not isinstance(attachments, list) or not isinstance(attachments[0], dict):
        return MessageKind.TEXT, ""
    first = attachments[0]
    payload = first.get("payload") or {}
    kind = {"image": MessageKind.IMAGE, "gif": MessageKind.IMAGE, "sticker": MessageKind.IMAGE,
            "file": MessageKind.FILE, "location": MessageKind.LOCATION}.get(
        first.get("type"), MessageKind.OTHER)
    if kind == MessageKind.LOCATION:
        coords = payload.get("coordinates") or {}
        lat, long = coords.get("latitude", coords.get("lat")), coords.get("longitude",
                                                                          coords.get("long"))
        return kind, f"geo:{lat},{long}" if lat is not None and long is not None else ""
    return kind, str(payload.get("url") or "")


def zalo_message(payload: dict) -> ParsedMessage | None:
    """The message in a Zalo OA event, or None for events without one (``follow``…).

    Message events are ``user_send_*`` and ``anonymous_send_*`` (text, image, file,
    location, sticker, gif, link, audio, video): ``sender.id``, ``message.msg_id``,
    ``message.text``, ``message.attachments``, ``timestamp`` in milliseconds (a string).
    """
    name = str(payload.get("event_name") or "")
    message = payload.get("message")
    if not (name.startswith("user_send_") or name.startswith("anonymous_send_")):
        return None
    if not isinstance(message, dict) or not message.get("msg_id"):
        return None
    kind, url = _attachment(message.get("attachments"))
    return ParsedMessage(
        provider_user_id=str((payload.get("sender") or {}).get("id") or ""),
        provider_message_id=str(message["msg_id"]),
        kind=kind, text=str(message.get("text") or ""), attachment_url=url,
        sent_at=_from_millis(payload.get("timestamp")))


def messenger_message(item: dict) -> ParsedMessage | None:
    """The message in one Messenger ``messaging[]`` item, or None (postbacks and others are
    only recorded). Echoes, deliveries and reads never reach the inbox (see the view)."""
    message = item.get("message")
    if not isinstance(message, dict) or not message.get("mid") or message.get("is_echo"):
        return None
    kind, url = _attachment(message.get("attachments"))
    return ParsedMessage(
        provider_user_id=str((item.get("sender") or {}).get("id") or ""),
        provider_message_id=str(message["mid"]),
        kind=kind, text=str(message.get("text") or ""), attachment_url=url,
        sent_at=_from_millis(item.get("timestamp")))


PARSERS = {Provider.ZALO: zalo_message, Provider.MESSENGER: messenger_message}

#: Providers whose events are not a JSON message payload (e-mail: a whole RFC 822 message
#: with files) bring their own processor, ``fn(event) -> Message | None``. It runs inside
#: ``inbound_process``'s transaction with the event locked, must be idempotent, and raises
#: ``ValueError`` for an event that can never be processed (marked, not retried).
PROCESSORS: dict[str, Callable[[InboundEvent], Message | None]] = {}


def register_processor(provider: str, processor: Callable[[InboundEvent], Message | None]) -> None:
    PROCESSORS[provider] = processor


def _open_conversation(channel: str, provider_user_id: str, at: datetime,
                       province_code: str | None = None) -> Conversation:
    """The person's open conversation on this channel, or a new waiting one at the centre
    routing picks (``tongdai.workspace.routing``)."""
    conversation = (Conversation.objects
                    .filter(channel=channel, provider_user_id=provider_user_id)
                    .exclude(status=ConversationStatus.CLOSED)
                    .order_by("-started_at").first())
    if conversation is None:
        target = route(channel, province_code)
        conversation = Conversation.objects.create(
            channel=channel, provider_user_id=provider_user_id, centre=target.centre,
            province_id=province_code, overflowed=target.overflowed,
            started_at=at, last_message_at=at)
    return conversation


def _store_message(provider: str, parsed: ParsedMessage) -> Message | None:
    """Create the message once; None when the same provider message is already stored."""
    if Message.objects.filter(provider=provider,
                              provider_message_id=parsed.provider_message_id).exists():
        return None
    conversation = _open_conversation(PROVIDER_CHANNEL[provider], parsed.provider_user_id,
                                      parsed.sent_at)
    message = Message.objects.create(
        conversation=conversation, provider=provider,
        provider_message_id=parsed.provider_message_id, kind=parsed.kind, text=parsed.text,
        attachment_url=parsed.attachment_url, sent_at=parsed.sent_at)
    if parsed.sent_at > conversation.last_message_at:
        Conversation.objects.filter(pk=conversation.pk).update(last_message_at=parsed.sent_at)
    return message


def inbound_process(event_pk: int) -> Message | None:
    """Turn one stored event into a conversation message, once.

    Safe to run twice or concurrently: a processed event is skipped, and the unique
    ``(provider, provider_message_id)`` of ``Message`` stops a second copy. A payload that
    cannot be parsed is marked with the error class (never its content) and not retried.
    """
    with transaction.atomic():
        event = InboundEvent.objects.select_for_update().filter(pk=event_pk).first()
        if event is None or event.processed_at is not None:
            return None
        event.attempts += 1
        if event.provider in PROCESSORS:
            return _run_processor(event, PROCESSORS[event.provider])
        try:
            payload = json.loads(event.raw)
            if not isinstance(payload, dict):
                raise ValueError("payload is not an object")
            parsed = PARSERS[event.provider](payload)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            event.last_error = type(exc).__name__
            event.processed_at = timezone.now()  # parsing again would fail the same way
            event.save(update_fields=["attempts", "last_error", "processed_at"])
            return None
        message = None
        if parsed is not None:
            try:
                with transaction.atomic():
                    message = _store_message(event.provider, parsed)
            except IntegrityError:  # a concurrent run stored it first
                message = None
        event.processed_at = timezone.now()
        event.last_error = ""
        event.save(update_fields=["attempts", "last_error", "processed_at"])
    return message


def _run_processor(event: InboundEvent, processor) -> Message | None:
    """``inbound_process`` for a provider with its own processor (see ``PROCESSORS``)."""
    try:
        with transaction.atomic():
            message = processor(event)
    except (ValueError, KeyError, TypeError) as exc:
        event.last_error = type(exc).__name__
        message = None
    else:
        event.last_error = ""
    event.processed_at = timezone.now()
    event.save(update_fields=["attempts", "last_error", "processed_at"])
    return message
