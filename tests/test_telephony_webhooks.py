"""Telephony webhooks (issue 4): the generic PBX webhook, Twilio voice status callbacks and
Stringee ``event_url`` events, through the durable call inbox to calls, draft contacts,
presence and the screen pop.

Bodies are the providers' real payload shapes, signed the way the providers sign them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import urlencode

import pytest
from django.db import OperationalError, connection

from tongdai.audit.models import AuditEvent
from tongdai.contacts.models import Contact
from tongdai.telephony import services, tasks
from tongdai.telephony.models import Call, CallEvent, CallState, Recording
from tongdai.telephony.services import screen_pop_take
from tongdai.workspace.models import Presence, PresenceStatus
from tongdai.workspace.presence import presence_set

pytestmark = pytest.mark.django_db

CALLS_TOKEN = "calls-token-for-tests"
TWILIO_TOKEN = "twilio-auth-token-for-tests"
STRINGEE_SECRET = "stringee-signing-secret-for-tests"
CALLER = "0912 345 678"
CALLER_E164 = "+84912345678"


@pytest.fixture(autouse=True)
def secrets(settings):
    settings.TONGDAI_CALLS_TOKEN = CALLS_TOKEN
    settings.TONGDAI_TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.TONGDAI_STRINGEE_SIGNING_SECRET = STRINGEE_SECRET
    settings.TONGDAI_PUBLIC_URL = ""
    return settings


@pytest.fixture
def agents(people):
    """hn answers on extension 101, hn2 on 102, ag on 201."""
    for user, ext in ((people.hn, "101"), (people.hn2, "102"), (people.ag, "201")):
        user.extension = ext
        user.save(update_fields=["extension"])
    return people


def process_all() -> int:
    """What the worker does: process every stored event, in arrival order."""
    pks = list(CallEvent.objects.filter(processed_at__isnull=True).order_by("pk")
               .values_list("pk", flat=True))
    for pk in pks:
        services.call_event_process(pk)
    return len(pks)


# --------------------------------------------------------------------------- generic


def generic(event, call_id="pbx-7781", **fields) -> bytes:
    body = {"call_id": call_id, "event": event, "from": CALLER, "to": "111", **fields}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def post_generic(client, raw, auth="bearer"):
    headers = {}
    if auth == "bearer":
        headers["HTTP_AUTHORIZATION"] = f"Bearer {CALLS_TOKEN}"
    elif auth == "hmac":
        digest = hmac.new(CALLS_TOKEN.encode(), raw, hashlib.sha256).hexdigest()
        headers["HTTP_X_TONGDAI_SIGNATURE"] = f"sha256={digest}"
    elif auth:
        headers["HTTP_AUTHORIZATION"] = auth
    return client.post("/hooks/calls", data=raw, content_type="application/json", **headers)


def test_generic_call_answered_becomes_draft_contact_with_screen_pop(client, agents):
    presence_set(agents.hn, PresenceStatus.AVAILABLE)
    steps = [generic("ringing", timestamp="2026-11-22T08:00:00+07:00"),
             generic("queued", timestamp="2026-11-22T08:00:05+07:00"),
             generic("answered", agent="101", timestamp="2026-11-22T08:00:20+07:00")]
    for raw in steps:
        response = post_generic(client, raw)
        assert response.status_code == 200, response.content
        assert response.json() == {"status": "accepted"}
    process_all()
    call = Call.objects.get()
    assert call.state == CallState.ANSWERED
    assert call.caller_number == CALLER_E164 and call.dialled == "111"
    assert call.centre_id == "HN" and call.answered_by == agents.hn
    assert call.queued_at.isoformat() == "2026-11-22T01:00:05+00:00"
    contact = call.contact
    assert contact.counsellor == agents.hn and contact.is_draft
    assert contact.channel == "phone_111" and contact.caller_phone == CALLER_E164
    assert contact.received_at == call.started_at and contact.answered_at == call.answered_at
    assert Presence.objects.get(user=agents.hn).status == PresenceStatus.ON_CALL
    # The workspace poll takes the pop once, whatever the number of tabs.
    assert screen_pop_take(agents.hn2) is None
    assert screen_pop_take(agents.hn) == call
    assert screen_pop_take(agents.hn) is None
    # The pop opens the intake form of the draft, with the caller's number filled in.
    client.force_login(agents.hn)
    form = client.get(f"/contacts/{contact.pk}/edit")
    assert form.status_code == 200 and "0912 345 678" in form.content.decode()
    client.logout()

    post_generic(client, generic("ended", reason="completed",
                                 timestamp="2026-11-22T08:03:05+07:00"), auth="hmac")
    process_all()
    call.refresh_from_db()
    contact.refresh_from_db()
    assert call.state == CallState.ENDED and call.duration_seconds == 165
    assert contact.ended_at == call.ended_at and contact.duration_seconds == 165
    assert contact.version == 1  # the counsellor's open form is still current
    assert Presence.objects.get(user=agents.hn).status == PresenceStatus.WRAP_UP
    assert AuditEvent.objects.filter(object_type="contact", object_id=contact.pk,
                                     action="update", fields=["ended_at"]).exists()


def test_unanswered_call_is_abandoned_without_contact(client, agents):
    post_generic(client, generic("ringing", call_id="c-1"))
    post_generic(client, generic("queued", call_id="c-1"))
    post_generic(client, generic("ended", call_id="c-1"))
    process_all()
    call = Call.objects.get()
    assert call.state == CallState.ABANDONED and call.end_reason == "abandoned"
    assert call.contact is None and not Contact.objects.exists()


def test_transfer_hands_the_call_to_the_new_agent(client, agents):
    post_generic(client, generic("answered", call_id="t-1", agent="101",
                                 timestamp="2026-11-22T01:00:00+00:00"))
    post_generic(client, generic("transferred", call_id="t-1", agent="102",
                                 timestamp="2026-11-22T01:02:00+00:00"))
    process_all()
    call = Call.objects.get()
    assert call.answered_by == agents.hn2 and call.agent_extension == "102"
    assert call.contact.counsellor == agents.hn2
    first = Contact.objects.get(counsellor=agents.hn)
    assert first.ended_at.isoformat() == "2026-11-22T01:02:00+00:00"
    assert Presence.objects.get(user=agents.hn).status == PresenceStatus.WRAP_UP
    assert Presence.objects.get(user=agents.hn2).status == PresenceStatus.ON_CALL
    assert screen_pop_take(agents.hn2) == call


def test_unknown_extension_answers_without_contact(client, agents):
    post_generic(client, generic("answered", call_id="u-1", agent="999"))
    process_all()
    call = Call.objects.get()
    assert call.state == CallState.ANSWERED and call.agent_extension == "999"
    assert call.answered_by is None and call.contact is None


def test_hidden_caller_number_still_gives_a_draft(client, agents):
    post_generic(client, generic("answered", call_id="h-1", agent="101", **{"from": "anonymous"}))
    process_all()
    call = Call.objects.get()
    assert call.caller_number == "anonymous"
    assert call.contact is not None and call.contact.caller_phone == ""


def test_province_routes_to_its_centre_and_reach_follows(client, agents):
    post_generic(client, generic("ringing", call_id="p-1", province="79", to="18001567"))
    post_generic(client, generic("ringing", call_id="p-2"))
    process_all()
    south, north = Call.objects.get(provider_call_id="p-1"), Call.objects.get(provider_call_id="p-2")
    assert south.centre_id == "AG" and north.centre_id == "HN"
    assert set(Call.objects.visible_to(agents.ag)) == {south}
    assert set(Call.objects.visible_to(agents.hn)) == {north}
    assert set(Call.objects.visible_to(agents.admin)) == {south, north}
    assert not Call.objects.visible_to(agents.analyst).exists()
    assert not Call.objects.visible_to(agents.police).exists()


def test_same_event_ten_times_is_processed_once(client, agents):
    raw = generic("answered", agent="101", event_id="evt-42")
    answers = [post_generic(client, raw).json()["status"] for _ in range(10)]
    assert answers == ["accepted"] + ["duplicate"] * 9
    for _ in range(3):
        process_all()
        services.call_event_process(CallEvent.objects.get().pk)
    event = CallEvent.objects.get()
    assert event.attempts == 1 and event.processed_at is not None
    assert Call.objects.count() == 1 and Contact.objects.count() == 1


def test_without_event_id_the_body_hash_deduplicates(client, agents):
    raw = generic("ringing")
    for _ in range(10):
        post_generic(client, raw)
    assert CallEvent.objects.get().event_id == hashlib.sha256(raw).hexdigest()


@pytest.mark.parametrize("auth", [None, "Bearer wrong-token", "Basic Zm9vOmJhcg==", "hmac-bad"])
def test_generic_refuses_bad_credentials_and_stores_nothing(client, auth):
    raw = generic("ringing")
    if auth == "hmac-bad":
        response = client.post("/hooks/calls", data=raw, content_type="application/json",
                               HTTP_X_TONGDAI_SIGNATURE="sha256=" + "0" * 64)
    else:
        response = post_generic(client, raw, auth=auth)
    assert response.status_code == 401
    assert response.json()["message"]
    assert not CallEvent.objects.exists() and not Call.objects.exists()


def test_generic_unconfigured_answers_503(client, settings):
    settings.TONGDAI_CALLS_TOKEN = ""
    response = post_generic(client, generic("ringing"))
    assert response.status_code == 503
    assert "TONGDAI_CALLS_TOKEN" in response.json()["message"]
    assert not CallEvent.objects.exists()


@pytest.mark.parametrize("body, field", [
    (b"not json", "body"),
    (b"[1, 2]", "body"),
    (json.dumps({"event": "ringing"}).encode(), "call_id"),
    (json.dumps({"call_id": "x", "event": "exploded"}).encode(), "event"),
    (json.dumps({"call_id": "x", "event": "answered"}).encode(), "agent"),
    (json.dumps({"call_id": "x", "event": "ended", "reason": "x"}).encode(), "reason"),
    (json.dumps({"call_id": "x", "event": "recording"}).encode(), "recording_url"),
    (json.dumps({"call_id": "x", "event": "ringing", "timestamp": "yesterday"}).encode(), "timestamp"),
    (json.dumps({"call_id": "x", "event": "ringing", "timestamp": "2026-11-22T08:00:00"}).encode(), "timestamp"),
    (json.dumps({"call_id": "x", "event": "ringing", "province": "Hà Nội"}).encode(), "province"),
    (json.dumps({"call_id": "x", "event": "ringing", "province": "99"}).encode(), "province"),
    (json.dumps({"call_id": "x", "event": "ringing", "event_id": "e" * 201}).encode(), "event_id"),
    (json.dumps({"call_id": "x", "event": "recording", "recording_url": "https://pbx/r.wav",
                 "recording_duration": "long"}).encode(), "recording_duration"),
    (json.dumps({"call_id": "x", "event": "ringing", "from": 912345678}).encode(), "from"),
])
def test_generic_signed_but_invalid_body_is_400_with_errors(client, body, field):
    response = post_generic(client, body, auth="hmac")
    assert response.status_code == 400
    payload = response.json()
    assert payload["message"] and field in payload["errors"]
    assert not CallEvent.objects.exists()


def test_generic_errors_are_in_vietnamese(client):
    response = post_generic(client, json.dumps({"event": "ringing"}).encode(),
                            auth="Bearer wrong")
    assert response.json()["message"] == "Thiếu chữ ký hoặc chữ ký không hợp lệ."
    response = post_generic(client, json.dumps({"event": "ringing"}).encode())
    assert response.json()["message"] == "Sự kiện cuộc gọi không hợp lệ."
    assert "cuộc gọi" in response.json()["errors"]["call_id"]


def test_database_unavailable_answers_503(client):
    def refuse(execute, sql, params, many, context):
        if "telephony_callevent" in sql.lower() and sql.lstrip().upper().startswith("INSERT"):
            raise OperationalError("database is unavailable")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        response = post_generic(client, generic("ringing"))
    assert response.status_code == 503
    assert not CallEvent.objects.exists()


def test_sweep_processes_events_the_queue_missed(client, agents, time_machine):
    time_machine.move_to("2026-11-22 10:00:00+00:00", tick=False)
    post_generic(client, generic("ringing", timestamp="2026-11-22T09:59:59+00:00"))
    assert tasks.call_inbox_sweep.call_local() == 0
    time_machine.move_to("2026-11-22 10:02:00+00:00", tick=False)
    assert tasks.call_inbox_sweep.call_local() == 1
    assert Call.objects.count() == 1
    assert tasks.call_inbox_sweep.call_local() == 0


def test_accept_queues_processing_after_commit(client, agents, django_capture_on_commit_callbacks):
    from huey.contrib.djhuey import HUEY

    was = HUEY.immediate
    HUEY.immediate = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            post_generic(client, generic("answered", agent="101"))
    finally:
        HUEY.immediate = was
    assert Call.objects.get().contact is not None


def test_recording_event_attaches_recording(client, agents):
    post_generic(client, generic("answered", agent="101"))
    post_generic(client, generic("recording", recording_url="https://pbx.example/rec/7781.wav",
                                 recording_duration=165))
    post_generic(client, generic("recording", recording_url="https://pbx.example/rec/7781.wav",
                                 recording_duration=165, event_id="again"))
    process_all()
    recording = Recording.objects.get()
    assert recording.call.contact is not None and recording.duration_seconds == 165
    assert (recording.delete_after - recording.created_at).days == 365


def test_end_processed_before_answer_still_gives_right_duration(client, agents):
    post_generic(client, generic("ended", call_id="o-1", timestamp="2026-11-22T01:05:00+00:00"))
    post_generic(client, generic("answered", call_id="o-1", agent="101",
                                 timestamp="2026-11-22T01:01:00+00:00"))
    process_all()
    call = Call.objects.get()
    assert call.state == CallState.ENDED and call.duration_seconds == 240
    assert call.contact.ended_at == call.ended_at
    assert Presence.objects.filter(user=agents.hn, status=PresenceStatus.ON_CALL).count() == 0


# --------------------------------------------------------------------------- Twilio

TWILIO_URL = "http://testserver/hooks/twilio/voice"
PARENT_SID = "CA5f1c0c8e2d8a4b7e9f6a3d2c1b0a9e8d"
CHILD_SID = "CAd1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6"


def twilio_sign(url, params, token=TWILIO_TOKEN) -> str:
    """Twilio's documented algorithm, written independently of the code under test."""
    data = url
    for key in sorted(params):
        data += key + params[key]
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def test_twilio_signature_matches_the_published_example():
    from tongdai.telephony.views import twilio_signature

    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234",
              "From": "+12349013030", "To": "+18005551212"}
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, list(params.items())) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def twilio_params(status, sid=PARENT_SID, **extra) -> dict:
    params = {"AccountSid": "AC0123456789abcdef0123456789abcdef", "ApiVersion": "2010-04-01",
              "CallSid": sid, "CallStatus": status, "Direction": "inbound",
              "From": CALLER_E164, "Caller": CALLER_E164, "To": "+8418001567",
              "Called": "+8418001567", "CallerCountry": "VN", "ToCountry": "VN",
              "Timestamp": "Sun, 22 Nov 2026 01:00:00 +0000", "CallbackSource": "call-progress-events",
              "SequenceNumber": "0"}
    params.update(extra)
    return params


def post_twilio(client, params, url=TWILIO_URL, signature=None, path="/hooks/twilio/voice"):
    headers = {} if signature is False else {"HTTP_X_TWILIO_SIGNATURE": signature or twilio_sign(url, params)}
    return client.post(path, data=urlencode(params), content_type="application/x-www-form-urlencoded",
                       **headers)


def test_twilio_call_flow(client, agents):
    child = {"ParentCallSid": PARENT_SID, "Direction": "outbound-dial", "To": "client:101",
             "Called": "client:101", "From": CALLER_E164}
    steps = [twilio_params("ringing"),
             twilio_params("in-progress", Timestamp="Sun, 22 Nov 2026 01:00:03 +0000", SequenceNumber="1"),
             twilio_params("in-progress", sid=CHILD_SID, **child,
                           Timestamp="Sun, 22 Nov 2026 01:00:30 +0000"),
             twilio_params("completed", sid=CHILD_SID, **child, CallDuration="60",
                           Timestamp="Sun, 22 Nov 2026 01:01:30 +0000"),
             twilio_params("completed", CallDuration="95", SequenceNumber="2",
                           Timestamp="Sun, 22 Nov 2026 01:01:35 +0000"),
             twilio_params("completed", RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Recordings/RE0123456789abcdef0123456789abcdef",
                           RecordingSid="RE0123456789abcdef0123456789abcdef", RecordingDuration="62",
                           RecordingStatus="completed", SequenceNumber="3")]
    for params in steps:
        response = post_twilio(client, params)
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("text/xml")
        assert b"<Response/>" in response.content
    process_all()
    call = Call.objects.get()
    assert call.provider == "twilio" and call.provider_call_id == PARENT_SID
    assert call.state == CallState.ENDED and call.answered_by == agents.hn
    assert call.duration_seconds == 65 and call.caller_number == CALLER_E164
    assert call.contact.channel == "phone_18001567"
    assert call.recordings.get().duration_seconds == 62


def test_twilio_custom_agent_parameter_on_the_callback_url(client, agents):
    url = TWILIO_URL + "?agent=102"
    params = twilio_params("in-progress", sid=CHILD_SID, ParentCallSid=PARENT_SID, To="+84987654321")
    response = post_twilio(client, params, url=url, path="/hooks/twilio/voice?agent=102")
    assert response.status_code == 200
    process_all()
    assert Call.objects.get().answered_by == agents.hn2


def test_twilio_busy_caller_leg_is_abandoned(client, agents):
    post_twilio(client, twilio_params("ringing"))
    post_twilio(client, twilio_params("no-answer", SequenceNumber="1"))
    process_all()
    call = Call.objects.get()
    assert call.state == CallState.ABANDONED and call.end_reason == "no_answer"


@pytest.mark.parametrize("signature", [False, "", "bm90IGEgc2lnbmF0dXJl",
                                       "sign-with-other-token"])
def test_twilio_bad_signature_401_nothing_stored(client, signature):
    params = twilio_params("ringing")
    if signature == "sign-with-other-token":
        signature = twilio_sign(TWILIO_URL, params, token="another-token")
    response = post_twilio(client, params, signature=signature if signature != "" else False)
    assert response.status_code == 401
    assert not CallEvent.objects.exists()


def test_twilio_tampered_parameter_is_refused(client):
    params = twilio_params("ringing")
    signature = twilio_sign(TWILIO_URL, params)
    params["From"] = "+84900000000"
    assert post_twilio(client, params, signature=signature).status_code == 401


def test_twilio_signs_the_public_url_behind_a_proxy(client, settings):
    public = "https://111.example.gov.vn/hooks/twilio/voice"
    params = twilio_params("ringing")
    assert post_twilio(client, params, signature=twilio_sign(public, params)).status_code == 401
    settings.TONGDAI_PUBLIC_URL = "https://111.example.gov.vn/"
    assert post_twilio(client, params, signature=twilio_sign(public, params)).status_code == 200
    # Twilio's libraries also accept the URL with the explicit default port.
    params2 = twilio_params("ringing", SequenceNumber="9")
    signed = twilio_sign("https://111.example.gov.vn:443/hooks/twilio/voice", params2)
    assert post_twilio(client, params2, signature=signed).status_code == 200


def test_twilio_unconfigured_503(client, settings):
    settings.TONGDAI_TWILIO_AUTH_TOKEN = ""
    response = post_twilio(client, twilio_params("ringing"))
    assert response.status_code == 503 and "TONGDAI_TWILIO_AUTH_TOKEN" in response.json()["message"]


def test_twilio_same_callback_ten_times_one_event(client, agents):
    params = twilio_params("ringing")
    for _ in range(10):
        assert post_twilio(client, params).status_code == 200
    assert CallEvent.objects.count() == 1
    process_all()
    assert Call.objects.count() == 1


# --------------------------------------------------------------------------- Stringee

ALIAS = "Bé Na – Hà Giang"


def stringee(status, call_id="call-vn-1-7HG2K3Y8PA-1732237200000", to=None, **extra) -> bytes:
    payload = {
        "type": "call_event", "call_id": call_id, "call_status": status,
        "from": {"type": "external", "number": "84912345678", "alias": ALIAS, "is_online": False},
        "to": to or {"type": "external", "number": "842471001111", "alias": "842471001111"},
        "timestamp_ms": 1763773200000, "account_sid": "AC8TJ8CVF0RZ", "project_id": 12345,
        "request_from_user_id": "", "clientCustomData": "", "callCreatedReason": "EXTERNAL_CALL_IN",
        **extra,
    }
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def stringee_sign(raw: bytes, secret=STRINGEE_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha1).digest()).decode()


def post_stringee(client, raw, signature=None):
    headers = {} if signature is False else {"HTTP_X_STRINGEE_SIGNATURE": signature or stringee_sign(raw)}
    return client.post("/hooks/stringee/event", data=raw, content_type="application/json", **headers)


def test_stringee_call_flow_and_vietnamese_kept(client, agents):
    agent = {"type": "internal", "number": "101", "alias": "Tư vấn viên 101"}
    steps = [stringee("created"), stringee("ringing"),
             stringee("answered", to=agent, timestamp_ms=1763773210000),
             stringee("ended", to=agent, timestamp_ms=1763773300000,
                      recording_url="https://pbx.example/rec/s1.mp3", recording_duration=90)]
    for raw in steps:
        assert post_stringee(client, raw).status_code == 200
    stored = CallEvent.objects.order_by("pk").first()
    assert ALIAS in stored.raw and json.loads(stored.raw)["from"]["alias"] == ALIAS
    process_all()
    call = Call.objects.get()
    assert call.provider == "stringee" and call.answered_by == agents.hn
    assert call.caller_number == CALLER_E164 and call.duration_seconds == 90
    assert call.contact.caller_phone == CALLER_E164
    assert call.recordings.get().reference == "https://pbx.example/rec/s1.mp3"


@pytest.mark.parametrize("signature", [False, "AAAA", "other"])
def test_stringee_bad_signature_401(client, signature):
    raw = stringee("ringing")
    if signature == "other":
        signature = stringee_sign(raw, secret="not-the-secret")
    assert post_stringee(client, raw, signature=signature).status_code == 401
    assert not CallEvent.objects.exists()


def test_stringee_unconfigured_503_and_invalid_400(client, settings):
    raw = b'{"type": "call_event"}'
    assert post_stringee(client, raw).status_code == 400
    settings.TONGDAI_STRINGEE_SIGNING_SECRET = ""
    assert post_stringee(client, stringee("ringing")).status_code == 503
    assert not CallEvent.objects.exists()


def test_stringee_same_event_ten_times(client, agents):
    raw = stringee("ringing")
    for _ in range(10):
        post_stringee(client, raw)
    assert CallEvent.objects.count() == 1


def test_get_is_refused(client):
    for path in ("/hooks/calls", "/hooks/twilio/voice", "/hooks/stringee/event"):
        assert client.get(path).status_code == 405
