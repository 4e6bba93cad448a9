"""Provider payloads → ``CallUpdate``: what happened to which call, in one vocabulary.

Each parser takes the stored payload (a dict) and returns the updates it means (often one,
sometimes none: an event that says nothing about the call). Parsers never touch the
database; ``services.call_event_process`` applies what they return.

The vocabulary is the generic webhook's (docs/api.md, "Telephony"): ``ringing``,
``queued``, ``answered`` (by ``agent``, an extension), ``transferred`` (to ``agent``),
``ended`` (with ``reason``), ``recording``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

EVENTS = ("ringing", "queued", "answered", "transferred", "ended", "recording")
END_REASONS = ("completed", "abandoned", "busy", "failed", "no_answer")
ID_LIMIT = 200
TEXT_LIMIT = 40
URL_LIMIT = 1000  # indexed (unique per call): stays well under PostgreSQL's key size


@dataclass(frozen=True)
class CallUpdate:
    call_id: str
    event: str
    at: datetime
    caller: str = ""
    dialled: str = ""
    agent: str = ""
    reason: str = ""
    recording_url: str = ""
    recording_duration: int | None = None
    province: str = ""


class PayloadInvalid(ValueError):
    """A payload that cannot be a call event. ``errors`` maps a field to a message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(", ".join(sorted(errors)))
        self.errors = errors


def _moment(value) -> datetime | None:
    """ISO-8601 with an offset, or epoch seconds (int, float or digits); None if neither."""
    if value is None or value == "":
        return timezone.now()
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value)):
        try:
            return datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value)
        except ValueError:
            return None
        if parsed is not None and timezone.is_aware(parsed):
            return parsed
    return None


def _from_millis(value) -> datetime:
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return timezone.now()


def _text(value, limit: int = TEXT_LIMIT) -> str:
    return str(value).strip()[:limit] if value not in (None, "") else ""


# --------------------------------------------------------------------------- generic


def generic_update(payload: dict) -> CallUpdate:
    """Validate a generic webhook body (docs/api.md); raise ``PayloadInvalid`` listing every
    problem at once."""
    errors: dict[str, str] = {}
    call_id = payload.get("call_id")
    if not isinstance(call_id, str | int) or isinstance(call_id, bool) or not str(call_id).strip():
        errors["call_id"] = _("Required: the PBX's id of the call.")
    elif len(str(call_id)) > ID_LIMIT:
        errors["call_id"] = _("At most %(n)d characters.") % {"n": ID_LIMIT}
    event = payload.get("event")
    if event not in EVENTS:
        errors["event"] = _("Must be one of: %(values)s.") % {"values": ", ".join(EVENTS)}
    at = _moment(payload.get("timestamp"))
    if at is None:
        errors["timestamp"] = _("Must be ISO-8601 with an offset, or epoch seconds.")
    for key in ("from", "to", "agent", "reason", "recording_url", "province", "event_id"):
        value = payload.get(key)
        if value is not None and not isinstance(value, str):
            errors[key] = _("Must be text.")
    if isinstance(payload.get("event_id"), str) and len(payload["event_id"]) > ID_LIMIT:
        errors["event_id"] = _("At most %(n)d characters.") % {"n": ID_LIMIT}
    for key in ("from", "to", "agent"):
        if isinstance(payload.get(key), str) and len(payload[key]) > TEXT_LIMIT:
            errors[key] = _("At most %(n)d characters.") % {"n": TEXT_LIMIT}
    agent = payload.get("agent") if isinstance(payload.get("agent"), str) else ""
    if event in ("answered", "transferred") and not (agent or "").strip() and "agent" not in errors:
        errors["agent"] = _("Required for answered and transferred: the agent's extension.")
    reason = payload.get("reason") if isinstance(payload.get("reason"), str) else ""
    if reason and reason not in END_REASONS:
        errors["reason"] = _("Must be one of: %(values)s.") % {"values": ", ".join(END_REASONS)}
    url = payload.get("recording_url") if isinstance(payload.get("recording_url"), str) else ""
    if event == "recording" and not url and "recording_url" not in errors:
        errors["recording_url"] = _("Required for a recording event.")
    elif len(url) > URL_LIMIT:
        errors["recording_url"] = _("At most %(n)d characters.") % {"n": URL_LIMIT}
    duration = payload.get("recording_duration")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int)
                                 or duration < 0):
        errors["recording_duration"] = _("Must be a whole number of seconds.")
    province = payload.get("province") if isinstance(payload.get("province"), str) else ""
    if province and not re.fullmatch(r"\d{2}", province):
        errors["province"] = _("Must be the official two-digit province code.")
    if errors:
        raise PayloadInvalid(errors)
    return CallUpdate(call_id=str(call_id).strip(), event=event, at=at,
                      caller=_text(payload.get("from")), dialled=_text(payload.get("to")),
                      agent=agent.strip(), reason=reason, recording_url=url.strip(),
                      recording_duration=duration, province=province)


def generic_updates(payload: dict) -> list[CallUpdate]:
    return [generic_update(payload)]


# --------------------------------------------------------------------------- Twilio

#: Twilio ``CallStatus`` of the caller's (parent) leg → our event.
TWILIO_PARENT = {"queued": "ringing", "initiated": "ringing", "ringing": "ringing",
                 "in-progress": "queued", "completed": "ended", "busy": "ended",
                 "no-answer": "ended", "failed": "ended", "canceled": "ended"}
TWILIO_REASON = {"completed": "completed", "busy": "busy", "no-answer": "no_answer",
                 "failed": "failed", "canceled": "abandoned"}


def twilio_agent(params: dict) -> str:
    """The agent of a Twilio leg: a custom ``agent`` parameter (added to the status
    callback URL's query or the TwiML ``<Client>``/``<Sip>`` as a parameter), else the
    dialled client or SIP user (``To``/``Called`` = ``client:101`` or ``sip:101@pbx``)."""
    if params.get("agent"):
        return _text(params["agent"])
    for key in ("Called", "To"):
        value = str(params.get(key) or "")
        match = re.fullmatch(r"(?:client:|sips?:)([^@;]+)(?:@.*)?", value)
        if match:
            return _text(match.group(1))
    return ""


def twilio_updates(params: dict) -> list[CallUpdate]:
    """Twilio voice status callbacks (and recording status callbacks).

    The caller's leg is the parent call; a ``<Dial>`` to an agent creates a child leg whose
    callbacks carry ``ParentCallSid``. A child leg ``in-progress`` is the agent answering;
    other child statuses (the agent did not pick up, the agent's leg ended) change nothing
    on the call: the parent's ``completed`` ends it. A parent ``in-progress`` means Twilio
    answered (IVR or ``<Enqueue>``): the caller waits in the queue.
    """
    call_sid = _text(params.get("CallSid"), ID_LIMIT)
    parent = _text(params.get("ParentCallSid"), ID_LIMIT)
    if not call_sid:
        raise PayloadInvalid({"CallSid": "missing"})
    at = _moment(_twilio_time(params.get("Timestamp"))) or timezone.now()
    call_id = parent or call_sid
    caller = _text(params.get("From") or params.get("Caller"))
    dialled = "" if parent else _text(params.get("To") or params.get("Called"))
    updates = []
    status = str(params.get("CallStatus") or "")
    if parent:
        if status == "in-progress":
            agent = twilio_agent(params)
            if agent:
                updates.append(CallUpdate(call_id, "answered", at, agent=agent))
    elif status in TWILIO_PARENT:
        event = TWILIO_PARENT[status]
        updates.append(CallUpdate(call_id, event, at, caller=caller, dialled=dialled,
                                  reason=TWILIO_REASON.get(status, "") if event == "ended" else ""))
    url = _text(params.get("RecordingUrl"), URL_LIMIT)
    if url and str(params.get("RecordingStatus") or "completed") == "completed":
        duration = params.get("RecordingDuration")
        updates.append(CallUpdate(call_id, "recording", at, recording_url=url,
                                  recording_duration=int(duration) if str(duration or "").isdigit() else None))
    return updates


def _twilio_time(value):
    """Twilio's ``Timestamp`` is RFC 2822 (``Mon, 23 Nov 2026 01:02:03 +0000``)."""
    if not value:
        return None
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(str(value)).isoformat()
    except (TypeError, ValueError, IndexError):
        return None


# --------------------------------------------------------------------------- Stringee

STRINGEE_EVENTS = {"created": "ringing", "ringing": "ringing", "answered": "answered",
                   "ended": "ended", "busy": "ended"}


def stringee_updates(payload: dict) -> list[CallUpdate]:
    """Stringee ``event_url`` call events: ``{"type": "call_event", "call_id",
    "call_status": created|ringing|answered|ended|busy, "from": {"number", "alias",
    "type"}, "to": {"number", "alias", "type"}, "timestamp_ms", "account_sid", ...}``.

    Who answered: ``to.number`` when the callee is an agent (``to.type`` ``internal``, a
    Stringee user id; agents' user ids are their extensions). A recording (the SCCO
    ``record`` action) arrives as ``recording_url`` / ``recordUrl`` with
    ``recording_duration`` / ``recordDuration`` on a later event of the same call.
    """
    call_id = _text(payload.get("call_id"), ID_LIMIT)
    if not call_id:
        raise PayloadInvalid({"call_id": "missing"})
    at = _from_millis(payload.get("timestamp_ms"))
    source = payload.get("from") if isinstance(payload.get("from"), dict) else {}
    target = payload.get("to") if isinstance(payload.get("to"), dict) else {}
    status = str(payload.get("call_status") or "")
    updates = []
    event = STRINGEE_EVENTS.get(status)
    if event is not None:
        agent = _text(target.get("number")) if event == "answered" else ""
        if event == "answered" and target.get("type") not in (None, "", "internal"):
            agent = ""  # answered by an outside number, not one of our agents
        if event == "answered" and not agent:
            return updates  # nothing we can act on: no agent of ours took the call
        updates.append(CallUpdate(
            call_id, event, at,
            caller=_text(source.get("number")),
            dialled=_text(target.get("number")) if target.get("type") == "external" else "",
            agent=agent,
            reason={"busy": "busy"}.get(status, "completed" if event == "ended" else "")))
    url = _text(payload.get("recording_url") or payload.get("recordUrl"), URL_LIMIT)
    if url:
        duration = payload.get("recording_duration", payload.get("recordDuration"))
        updates.append(CallUpdate(call_id, "recording", at, recording_url=url,
                                  recording_duration=int(duration) if str(duration or "").isdigit() else None))
    return updates


# --------------------------------------------------------------------------- Asterisk AMI

AMI_EVENTS = ("QueueCallerJoin", "AgentConnect", "AgentComplete", "QueueCallerAbandon",
              "Hangup")


def ami_extension(event: dict) -> str:
    """The agent's extension in a queue event: the queue member's ``Interface``
    (``PJSIP/101``, ``SIP/101-0000002a``, ``Local/101@from-queue/n``), else ``MemberName``
    when it is a number."""
    interface = str(event.get("Interface") or "")
    match = re.fullmatch(r"[A-Za-z0-9]+/([^@/\-]+)(?:[@\-].*)?", interface)
    if match:
        return _text(match.group(1))
    name = str(event.get("MemberName") or "").strip()
    return _text(name) if re.fullmatch(r"\d+", name) else ""


def _ami_int(value) -> int | None:
    return int(value) if str(value or "").isdigit() else None


def ami_updates(event: dict) -> list[CallUpdate]:
    """Asterisk queue events (app_queue, Asterisk 13+), legs joined by ``Linkedid``.

    - ``QueueCallerJoin``: the caller waits in ``Queue`` (``CallerIDNum``, ``Exten``).
    - ``AgentConnect``: the member at ``Interface`` answered after ``HoldTime`` seconds; a
      second ``AgentConnect`` for the same ``Linkedid`` (attended/blind transfer to
      another queue member) makes the new agent the one who answered.
    - ``AgentComplete``: the agent's part ended after ``TalkTime``; ``Reason`` ``caller``
      or ``agent`` hung up ends the call, ``transfer`` does not.
    - ``QueueCallerAbandon``: the caller hung up while waiting.
    - ``Hangup``: of the call's first channel (``Uniqueid == Linkedid``): the call ended.
      Hangups of agent legs (other Uniqueids) change nothing.

    The event's time is its ``Timestamp`` (``timestampevents = yes`` in manager.conf),
    else the time tongdai received it (``_received``, added by the listener).
    """
    name = str(event.get("Event") or "")
    linkedid = _text(event.get("Linkedid"), ID_LIMIT)
    if name not in AMI_EVENTS or not linkedid:
        return []
    at = _moment(event.get("Timestamp") or event.get("_received")) or timezone.now()
    caller = _text(event.get("CallerIDNum"))
    if caller in ("<unknown>", "unknown"):
        caller = ""
    if name == "QueueCallerJoin":
        return [CallUpdate(linkedid, "queued", at, caller=caller,
                           dialled=_text(event.get("Exten")))]
    if name == "AgentConnect":
        agent = ami_extension(event)
        return [CallUpdate(linkedid, "answered", at, caller=caller, agent=agent)] if agent else []
    if name == "AgentComplete":
        if str(event.get("Reason") or "").lower() == "transfer":
            return []
        return [CallUpdate(linkedid, "ended", at, reason="completed")]
    if name == "QueueCallerAbandon":
        return [CallUpdate(linkedid, "ended", at, reason="abandoned")]
    if str(event.get("Uniqueid") or "") == linkedid:  # Hangup of the caller's channel
        return [CallUpdate(linkedid, "ended", at, caller=caller)]
    return []


PARSERS = {"generic": generic_updates, "twilio": twilio_updates,
           "stringee": stringee_updates, "ami": ami_updates}
