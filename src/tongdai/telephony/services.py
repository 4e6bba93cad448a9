"""The one way to write telephony rows: accept a PBX event into the inbox, process it into
the call, hand the screen pop to the workspace, keep recordings.

``call_event_accept`` is what a webhook (or the AMI listener) calls after checking the
sender: fast, and a re-sent event is no error. ``call_event_process`` is what the worker
calls: idempotent, a second run of the same event changes nothing. Nothing here logs a
payload or a phone number.
"""

from __future__ import annotations

import datetime
import json
import logging
import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from tongdai.accounts.models import User
from tongdai.contacts.models import Channel, Contact
from tongdai.contacts.services import (
    ContactForbidden,
    ContactInvalid,
    contact_call_ended,
    contact_create,
)
from tongdai.core.inbox import store_once
from tongdai.core.phones import InvalidPhone, normalize_phone
from tongdai.telephony.adapters import PARSERS, CallUpdate, PayloadInvalid
from tongdai.telephony.models import Call, CallEvent, CallState, Recording
from tongdai.workspace.models import PresenceStatus
from tongdai.workspace.presence import presence_set
from tongdai.workspace.routing import route

logger = logging.getLogger(__name__)

def dialled_channel(dialled: str) -> str:
    """The contact channel of the number the caller dialled: 18001567 (also as the PBX or a
    cloud provider writes it, e.g. ``+8418001567``), else the 111 line."""
    digits = re.sub(r"\D", "", dialled or "")
    return Channel.PHONE_18001567 if digits.endswith("18001567") else Channel.PHONE_111


CALL_VIA = "pbx"  # audit ``via`` of writes made on the PBX's word


# --------------------------------------------------------------------------- inbox


def call_event_accept(provider: str, event_id: str, raw: bytes | str) -> tuple[CallEvent, bool]:
    """Store one PBX event unless already stored; queue its processing after commit.

    Returns ``(event, created)``. Database errors propagate: the webhook answers 503 and
    the PBX retries (the AMI listener keeps the event in memory and retries).
    """
    return store_once(CallEvent, {"provider": provider, "event_id": event_id[:200]}, raw,
                      _enqueue)


def _enqueue(event_pk: int) -> None:
    """Queue the job; if the queue is down the sweep (``tasks.call_inbox_sweep``) runs it."""
    from tongdai.telephony.tasks import process_call_event

    try:
        process_call_event(event_pk)
    except Exception:  # noqa: BLE001 — any queue failure is recovered by the sweep
        logger.warning("call event %s not queued; the sweep will process it", event_pk,
                       exc_info=True)


def call_event_process(event_pk: int) -> Call | None:
    """Apply one stored event to its call, once.

    Safe to run twice or concurrently: the event row is locked and a processed event is
    skipped. A payload that cannot be parsed is marked with the error class (never its
    content) and not retried; any other error rolls back and leaves it for a retry.
    """
    with transaction.atomic():
        event = CallEvent.objects.select_for_update().filter(pk=event_pk).first()
        if event is None or event.processed_at is not None:
            return None
        event.attempts += 1
        try:
            payload = json.loads(event.raw)
            if not isinstance(payload, dict):
                raise ValueError("payload is not an object")
            updates = PARSERS[event.provider](payload)
        except (ValueError, KeyError, TypeError, PayloadInvalid) as exc:
            event.last_error = type(exc).__name__
            event.processed_at = timezone.now()
            event.save(update_fields=["attempts", "last_error", "processed_at"])
            return None
        call = None
        for update in updates:
            call = call_apply(event.provider, update)
        event.processed_at = timezone.now()
        event.last_error = ""
        event.save(update_fields=["attempts", "last_error", "processed_at"])
    return call


# --------------------------------------------------------------------------- calls


def _caller_number(raw: str) -> str:
    try:
        return normalize_phone(raw)
    except InvalidPhone:
        return raw


def _locked_call(provider: str, update: CallUpdate) -> Call:
    """The call the update is about, locked; created (and routed) on its first event."""
    call = (Call.objects.select_for_update()
            .filter(provider=provider, provider_call_id=update.call_id).first())
    if call is not None:
        return call
    # An unknown province routes like none (routing.home_centre): no lookup needed here.
    target = route(dialled_channel(update.dialled), update.province or None)
    try:
        with transaction.atomic():
            Call.objects.create(provider=provider, provider_call_id=update.call_id,
                                centre=target.centre, overflowed=target.overflowed,
                                started_at=update.at)
    except IntegrityError:  # a concurrent event of the same call created it first
        pass
    return Call.objects.select_for_update().get(provider=provider,
                                                provider_call_id=update.call_id)


def agent_for_extension(extension: str) -> User | None:
    """The active centre user whose PBX extension this is (one, or nobody)."""
    if not extension:
        return None
    users = list(User.objects.filter(extension=extension, is_active=True,
                                     centre__isnull=False)[:2])
    return users[0] if len(users) == 1 else None


def call_apply(provider: str, update: CallUpdate) -> Call:
    """Apply one update to its call (inside the event's transaction)."""
    call = _locked_call(provider, update)
    fields = {"version"}
    if update.caller and not call.caller_number:
        call.caller_number = _caller_number(update.caller)
        fields.add("caller_number")
    if update.dialled and not call.dialled:
        call.dialled = update.dialled
        fields.add("dialled")
    if update.at < call.started_at:
        call.started_at = update.at
        fields.add("started_at")
    handler = {"ringing": _ringing, "queued": _queued, "answered": _answered,
               "transferred": _answered, "ended": _ended, "recording": _recording}[update.event]
    fields |= handler(call, update)
    call.version += 1
    call.save(update_fields=sorted(fields))
    return call


def _ringing(call: Call, update: CallUpdate) -> set[str]:
    return set()


def _queued(call: Call, update: CallUpdate) -> set[str]:
    if call.queued_at is not None:
        return set()
    call.queued_at = update.at
    if call.state == CallState.RINGING:
        call.state = CallState.QUEUED
        return {"queued_at", "state"}
    return {"queued_at"}


def _answered(call: Call, update: CallUpdate) -> set[str]:
    """First answer: the agent's draft contact and presence. A later answer by another
    extension (a transfer): the new agent becomes ``answered_by`` and gets their own draft
    contact and screen pop; the previous agent goes to wrap-up."""
    if update.agent == call.agent_extension:
        return set()  # the same answer reported again (another leg, a re-sent event)
    previous = call.answered_by
    agent = agent_for_extension(update.agent)
    fields = {"agent_extension", "answered_by"}
    call.agent_extension, call.answered_by = update.agent, agent
    if call.answered_at is None:
        call.answered_at = max(update.at, call.started_at)
        fields.add("answered_at")
    if call.state in (CallState.RINGING, CallState.QUEUED):
        call.state = CallState.ANSWERED
        fields.add("state")
    elif call.state == CallState.ABANDONED:  # the end was processed before the answer
        call.state = CallState.ENDED
        fields.add("state")
    if call.ended_at is not None:
        call.duration_seconds = _duration(call)
        fields.add("duration_seconds")
    if previous is not None and previous != agent:
        _end_contact(call, update.at)
        presence_set(previous, PresenceStatus.WRAP_UP)
    if agent is not None:
        fields |= _open_contact(call, agent, update.at)
    return fields


def _open_contact(call: Call, agent: User, at: datetime.datetime) -> set[str]:
    """Create the agent's draft contact for this call (screen pop pending) and set the
    agent on a call. Uses the contacts service, as the intake form does."""
    data = {"channel": dialled_channel(call.dialled),
            "received_at": call.started_at, "answered_at": max(at, call.started_at)}
    if call.ended_at is not None:
        data["ended_at"] = max(call.ended_at, data["answered_at"])
    if call.caller_number:
        data["caller"] = {"phone": call.caller_number}
    try:
        try:
            contact = contact_create(agent, data, via=CALL_VIA)
        except ContactInvalid as exc:
            if set(exc.errors) != {"caller.phone"}:
                raise
            data.pop("caller")  # a hidden or service number: the counsellor asks for it
            contact = contact_create(agent, data, via=CALL_VIA)
    except (ContactInvalid, ContactForbidden) as exc:
        logger.warning("call %s: no draft contact for the answering user (%s)", call.pk,
                       type(exc).__name__)
        return set()
    call.contact, call.popped_at = contact, None
    if call.ended_at is None:
        presence_set(agent, PresenceStatus.ON_CALL)
    return {"contact", "popped_at"}


def _duration(call: Call) -> int | None:
    if call.answered_at is None or call.ended_at is None:
        return None
    return max(0, int((call.ended_at - call.answered_at).total_seconds()))  # whole seconds, as PBXs count


def _end_contact(call: Call, at: datetime.datetime) -> None:
    if call.contact_id is not None:
        contact_call_ended(call.contact_id, at, via=CALL_VIA)


def _ended(call: Call, update: CallUpdate) -> set[str]:
    if call.ended_at is not None:
        return set()  # AgentComplete then Hangup, or a re-sent end: the first one counts
    call.ended_at = max(update.at, call.answered_at or call.started_at)
    call.end_reason = update.reason or ("completed" if call.answered_at else "abandoned")
    call.state = CallState.ENDED if call.answered_at else CallState.ABANDONED
    call.duration_seconds = _duration(call)
    _end_contact(call, call.ended_at)
    if call.answered_by is not None:
        presence_set(call.answered_by, PresenceStatus.WRAP_UP)
    return {"ended_at", "end_reason", "state", "duration_seconds"}


def _recording(call: Call, update: CallUpdate) -> set[str]:
    recording_attach(call, update.recording_url, update.recording_duration)
    return set()


# --------------------------------------------------------------------------- screen pop


def screen_pop_take(user) -> Call | None:
    """The call answered by ``user`` whose draft contact has not been shown yet, marked as
    shown (so each draft pops once, however many workspace tabs poll); else None."""
    if not getattr(user, "is_authenticated", False):
        return None
    with transaction.atomic():
        # The draft must be within the user's reach (Contact.visible_to), not only theirs.
        call = (Call.objects.select_for_update()
                .filter(answered_by=user, contact__in=Contact.objects.visible_to(user),
                        contact__counsellor=user, popped_at__isnull=True)
                .order_by("-answered_at", "-pk").first())
        if call is None:
            return None
        call.popped_at = timezone.now()
        call.save(update_fields=["popped_at"])
    return call


# --------------------------------------------------------------------------- recordings


def retention_days() -> int:
    return max(1, int(settings.TONGDAI_RECORDING_RETENTION_DAYS))


def recording_attach(call: Call, reference: str, duration: int | None) -> Recording:
    """Attach the PBX's recording reference to the call (once per reference)."""
    now = timezone.now()
    recording, created = Recording.objects.get_or_create(
        call=call, reference=reference,
        defaults={"duration_seconds": duration, "created_at": now,
                  "delete_after": now + datetime.timedelta(days=retention_days())})
    if not created and duration is not None and recording.duration_seconds != duration:
        recording.duration_seconds = duration
        recording.save(update_fields=["duration_seconds"])
    return recording
