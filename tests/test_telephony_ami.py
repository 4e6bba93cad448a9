"""Asterisk AMI adapter (issue 4): recorded queue traces through the mapping, and the real
listener (panoramisk) against a fake Asterisk speaking the AMI text protocol over TCP."""

from __future__ import annotations

import json
import threading
import time

import pytest

from tests.support.fake_ami import FakeAsterisk
from tongdai.telephony import services
from tongdai.telephony.adapters import ami_extension, ami_updates
from tongdai.telephony.ami import AmiConfigError, AmiListener, event_record, parse_ami_url
from tongdai.telephony.models import Call, CallEvent, CallState
from tongdai.workspace.models import Presence, PresenceStatus

LINKEDID = "1763773200.1042"

#: One call as Asterisk 20's app_queue reports it: the caller waits, agent 101 answers,
#: talks, the caller hangs up; the agent's leg and the caller's leg hang up.
ANSWERED_TRACE = [
    {"Event": "QueueCallerJoin", "Privilege": "agent,all", "Channel": "PJSIP/viettel-00000411",
     "ChannelState": "6", "ChannelStateDesc": "Up", "CallerIDNum": "0912345678",
     "CallerIDName": "<unknown>", "ConnectedLineNum": "<unknown>", "Language": "vi",
     "AccountCode": "", "Context": "hotline", "Exten": "111", "Priority": "4",
     "Uniqueid": LINKEDID, "Linkedid": LINKEDID, "Queue": "hotline-hn", "Position": "1",
     "Count": "1", "Timestamp": "1763773200.120345"},
    {"Event": "AgentConnect", "Privilege": "agent,all", "Channel": "PJSIP/viettel-00000411",
     "CallerIDNum": "0912345678", "Uniqueid": LINKEDID, "Linkedid": LINKEDID,
     "DestChannel": "PJSIP/101-00000412", "DestCallerIDNum": "101",
     "DestUniqueid": "1763773212.1043", "DestLinkedid": LINKEDID, "Queue": "hotline-hn",
     "MemberName": "Tư vấn viên 101", "Interface": "PJSIP/101", "HoldTime": "12",
     "RingTime": "3", "Timestamp": "1763773212.004100"},
    {"Event": "AgentComplete", "Privilege": "agent,all", "Channel": "PJSIP/viettel-00000411",
     "CallerIDNum": "0912345678", "Uniqueid": LINKEDID, "Linkedid": LINKEDID,
     "DestChannel": "PJSIP/101-00000412", "Queue": "hotline-hn", "MemberName": "Tư vấn viên 101",
     "Interface": "PJSIP/101", "HoldTime": "12", "TalkTime": "95", "Reason": "caller",
     "Timestamp": "1763773307.551000"},
    {"Event": "Hangup", "Privilege": "call,all", "Channel": "PJSIP/101-00000412",
     "CallerIDNum": "101", "Uniqueid": "1763773212.1043", "Linkedid": LINKEDID,
     "Cause": "16", "Cause-txt": "Normal Clearing", "Timestamp": "1763773307.560000"},
    {"Event": "Hangup", "Privilege": "call,all", "Channel": "PJSIP/viettel-00000411",
     "CallerIDNum": "0912345678", "Uniqueid": LINKEDID, "Linkedid": LINKEDID,
     "Cause": "16", "Cause-txt": "Normal Clearing", "Timestamp": "1763773307.570000"},
]


def _store(events):
    for event in events:
        services.call_event_accept("ami", *event_record(event))


def _process():
    for pk in CallEvent.objects.filter(processed_at__isnull=True).order_by("pk").values_list("pk", flat=True):
        services.call_event_process(pk)


@pytest.fixture
def agents(people):
    for user, ext in ((people.hn, "101"), (people.hn2, "102")):
        user.extension = ext
        user.save(update_fields=["extension"])
    return people


def test_mapping_of_a_recorded_trace():
    updates = [u for e in ANSWERED_TRACE for u in ami_updates(e)]
    assert [(u.event, u.call_id) for u in updates] == [
        ("queued", LINKEDID), ("answered", LINKEDID), ("ended", LINKEDID), ("ended", LINKEDID)]
    assert updates[0].caller == "0912345678" and updates[0].dialled == "111"
    assert updates[1].agent == "101"
    assert updates[1].at.isoformat().startswith("2025-11-22T01:00:12")


@pytest.mark.parametrize("event, ext", [
    ({"Interface": "PJSIP/101"}, "101"), ({"Interface": "SIP/102-0000002a"}, "102"),
    ({"Interface": "Local/103@from-queue/n"}, "103"),
    ({"Interface": "", "MemberName": "104"}, "104"),
    ({"Interface": "", "MemberName": "Nguyễn Thị Hoa"}, ""),
])
def test_extension_from_queue_member(event, ext):
    assert ami_extension(event) == ext


@pytest.mark.django_db
def test_recorded_trace_becomes_one_call_and_contact(agents):
    _store(ANSWERED_TRACE)
    _store(ANSWERED_TRACE)  # replayed after a reconnect: stored once
    assert CallEvent.objects.count() == len(ANSWERED_TRACE)
    _process()
    call = Call.objects.get()
    assert call.provider == "ami" and call.provider_call_id == LINKEDID
    assert call.state == CallState.ENDED and call.answered_by == agents.hn
    assert call.duration_seconds == 95 and call.caller_number == "+84912345678"
    assert (call.answered_at - call.queued_at).total_seconds() == pytest.approx(11.9, abs=0.1)
    assert call.contact.caller_phone == "+84912345678" and call.contact.duration_seconds == 95
    assert Presence.objects.get(user=agents.hn).status == PresenceStatus.WRAP_UP


@pytest.mark.django_db
def test_transfer_trace(agents):
    join, connect, _complete, *_hangups = ANSWERED_TRACE
    trace = [join, connect,
             {**ANSWERED_TRACE[2], "Reason": "transfer", "TalkTime": "40",
              "Timestamp": "1763773252.0"},
             {**connect, "Interface": "PJSIP/102", "MemberName": "102",
              "DestChannel": "PJSIP/102-00000415", "Timestamp": "1763773255.0"},
             {**ANSWERED_TRACE[2], "Interface": "PJSIP/102", "Timestamp": "1763773400.0"},
             ANSWERED_TRACE[4]]
    _store(trace)
    _process()
    call = Call.objects.get()
    assert call.answered_by == agents.hn2 and call.state == CallState.ENDED
    assert call.contact.counsellor == agents.hn2
    assert call.duration_seconds == 187  # first answer to the end, whole seconds


@pytest.mark.django_db
def test_abandon_trace(agents):
    join = ANSWERED_TRACE[0]
    abandon = {"Event": "QueueCallerAbandon", "Privilege": "agent,all",
               "Channel": join["Channel"], "CallerIDNum": "0912345678", "Uniqueid": LINKEDID,
               "Linkedid": LINKEDID, "Queue": "hotline-hn", "Position": "1",
               "OriginalPosition": "1", "HoldTime": "47", "Timestamp": "1763773247.0"}
    _store([join, abandon, ANSWERED_TRACE[4]])
    _process()
    call = Call.objects.get()
    assert call.state == CallState.ABANDONED and call.contact is None
    assert call.end_reason == "abandoned"


def test_url_parsing():
    target = parse_ami_url("ami://tongdai:s%40cret@10.0.0.5:5039")
    assert (target.host, target.port, target.username, target.secret) == (
        "10.0.0.5", 5039, "tongdai", "s@cret")
    assert parse_ami_url("ami://u:p@pbx").port == 5038
    for bad in ("http://u:p@pbx", "ami://pbx:5038", "ami://u:p@pbx:notaport"):
        with pytest.raises(AmiConfigError):
            parse_ami_url(bad)


# --------------------------------------------------------------------------- fake Asterisk


def _listen(url, stored=0, timeout=15.0):
    """Run the listener in this thread (its database writes use the test's connection)
    until it has stored ``stored`` events or ``timeout`` passes."""
    stop = threading.Event()
    listener = AmiListener(url, stop)

    def watch():
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not stop.is_set():
            if stored and listener.stored >= stored:
                break
            time.sleep(0.05)
        stop.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    code = listener.run()
    stop.set()
    watcher.join(5)
    return code, listener


@pytest.mark.django_db
def test_listener_stores_events_from_a_real_ami_connection(agents):
    with FakeAsterisk(ANSWERED_TRACE) as pbx:
        url = f"ami://tongdai:ami-secret@127.0.0.1:{pbx.port}"
        code, listener = _listen(url, stored=len(ANSWERED_TRACE))
    assert code == 0
    assert pbx.logins and pbx.logins[0]["Username"] == "tongdai"
    assert CallEvent.objects.filter(provider="ami").count() == len(ANSWERED_TRACE)
    stored = json.loads(CallEvent.objects.order_by("pk")[1].raw)
    assert stored["Event"] == "AgentConnect" and stored["MemberName"] == "Tư vấn viên 101"
    _process()
    call = Call.objects.get()
    assert call.state == CallState.ENDED and call.answered_by == agents.hn
    assert call.duration_seconds == 95


@pytest.mark.django_db
def test_listener_exits_non_zero_when_login_is_refused():
    with FakeAsterisk(ANSWERED_TRACE) as pbx:
        code, _listener = _listen(f"ami://tongdai:wrong@127.0.0.1:{pbx.port}", timeout=10)
    assert code == 2
    assert not CallEvent.objects.exists()
