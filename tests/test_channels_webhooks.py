"""Zalo and Messenger webhooks and the durable inbox (issue 4, first slice).

Bodies are the providers' real payload shapes, posted as raw bytes with signatures
computed the way the providers compute them.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.db import OperationalError, connection

from tongdai.channels import services, tasks
from tongdai.channels.models import Conversation, InboundEvent, Message, MessageKind

pytestmark = pytest.mark.django_db

APP_ID = "4286839412345678901"
OA_SECRET = "oa-secret-key-for-tests"
FB_SECRET = "meta-app-secret-for-tests"
VERIFY = "verify-token-for-tests"
TEXT = "Cháu bị đánh, cứu cháu với"


@pytest.fixture(autouse=True)
def secrets(settings):
    settings.TONGDAI_ZALO_APP_ID = APP_ID
    settings.TONGDAI_ZALO_OA_SECRET = OA_SECRET
    settings.TONGDAI_MESSENGER_APP_SECRET = FB_SECRET
    settings.TONGDAI_MESSENGER_VERIFY_TOKEN = VERIFY
    return settings


def zalo_body(msg_id="a1b2c3d4e5f6", text=TEXT, event="user_send_text", **extra) -> bytes:
    payload = {
        "app_id": APP_ID, "user_id_by_app": "552177279717587730", "event_name": event,
        "sender": {"id": "2512523625412515"}, "recipient": {"id": "579745863508352884"},
        "timestamp": "1732312345678",
    }
    if event != "follow":
        payload["message"] = {"msg_id": msg_id, "text": text}
    payload.update(extra)
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def zalo_sign(raw: bytes, prefix="mac=") -> str:
    ts = json.loads(raw)["timestamp"].encode()
    return prefix + hashlib.sha256(APP_ID.encode() + raw + ts + OA_SECRET.encode()).hexdigest()


def post_zalo(client, raw, signature=None):
    headers = {} if signature is False else {
        "HTTP_X_ZEVENT_SIGNATURE": signature or zalo_sign(raw)}
    return client.post("/hooks/zalo", data=raw, content_type="application/json", **headers)


def messenger_body(items) -> bytes:
    # json.dumps default (ensure_ascii=True) writes Vietnamese as \uXXXX escapes, as Meta does.
    return json.dumps({"object": "page", "entry": [
        {"id": "106712345678901", "time": 1732312345678, "messaging": items}]}).encode()


def fb_item(mid="m_AbC123", text=TEXT, echo=False):
    message = {"mid": mid, "text": text}
    if echo:
        message["is_echo"] = True
    return {"sender": {"id": "6789012345678901"}, "recipient": {"id": "106712345678901"},
            "timestamp": 1732312345678, "message": message}


def fb_sign(raw: bytes, secret=FB_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def post_messenger(client, raw, signature=None):
    return client.post("/hooks/messenger", data=raw, content_type="application/json",
                       HTTP_X_HUB_SIGNATURE_256=signature or fb_sign(raw))


def process_all():
    for pk in InboundEvent.objects.values_list("pk", flat=True):
        tasks.process_inbound.call_local(pk)


# --- Zalo -------------------------------------------------------------------------------


def test_zalo_text_is_stored_then_becomes_one_conversation_with_intact_vietnamese(client):
    raw = zalo_body()
    response = post_zalo(client, raw)
    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert (event.provider, event.provider_event_id, event.processed_at) == (
        "zalo", "a1b2c3d4e5f6", None)
    assert event.raw.encode("utf-8") == raw  # the exact bytes received
    assert not Message.objects.exists()  # processing is the worker's job
    process_all()
    conversation = Conversation.objects.get()
    message = Message.objects.get()
    assert message.text == TEXT
    assert message.conversation == conversation
    assert (conversation.channel, conversation.provider_user_id, conversation.status) == (
        "zalo", "2512523625412515", "waiting")
    assert conversation.centre.is_national
    event.refresh_from_db()
    assert event.processed_at is not None and event.attempts == 1


def test_zalo_signature_without_mac_prefix_is_accepted(client):
    raw = zalo_body()
    assert post_zalo(client, raw, zalo_sign(raw, prefix="")).status_code == 200


@pytest.mark.parametrize("signature", ["mac=" + "0" * 64, False, "mac="])
def test_zalo_bad_or_missing_signature_is_401_and_nothing_stored(client, signature):
    response = post_zalo(client, zalo_body(), signature)
    assert response.status_code == 401
    assert not InboundEvent.objects.exists()


def test_zalo_signature_of_another_app_is_refused(client):
    raw = zalo_body(app_id="999")
    ts = b"1732312345678"
    sig = hashlib.sha256(b"999" + raw + ts + OA_SECRET.encode()).hexdigest()
    assert post_zalo(client, raw, sig).status_code == 401
    assert not InboundEvent.objects.exists()


def test_zalo_tampered_body_fails_the_signature(client):
    raw = zalo_body()
    signature = zalo_sign(raw)
    tampered = raw.replace("cứu".encode(), b"cuu")
    assert post_zalo(client, tampered, signature).status_code == 401


def test_zalo_without_secret_refuses_with_503(client, secrets):
    secrets.TONGDAI_ZALO_OA_SECRET = ""
    response = post_zalo(client, zalo_body())
    assert response.status_code == 503
    assert "TONGDAI_ZALO_OA_SECRET" in response.json()["message"]
    assert not InboundEvent.objects.exists()


def test_the_same_zalo_event_sent_ten_times_is_one_event_and_one_message(client):
    raw = zalo_body()
    for _ in range(10):
        assert post_zalo(client, raw).status_code == 200
    process_all()
    assert InboundEvent.objects.count() == 1
    assert Message.objects.count() == 1


def test_zalo_follow_is_recorded_without_a_message(client):
    raw = zalo_body(event="follow")
    assert post_zalo(client, raw).status_code == 200
    event = InboundEvent.objects.get()
    assert event.provider_event_id == hashlib.sha256(raw).hexdigest()
    process_all()
    assert not Message.objects.exists() and not Conversation.objects.exists()


def test_zalo_image_and_location_keep_kind_and_reference(client):
    image = zalo_body(msg_id="img1", event="user_send_image")
    payload = json.loads(image)
    payload["message"]["attachments"] = [
        {"type": "image", "payload": {"url": "https://photo.example/1.jpg", "thumbnail": ""}}]
    image = json.dumps(payload).encode()
    location = json.loads(zalo_body(msg_id="loc1", event="user_send_location", text=""))
    location["message"]["attachments"] = [
        {"type": "location", "payload": {"coordinates": {"latitude": "21.0285",
                                                         "longitude": "105.8542"}}}]
    location = json.dumps(location).encode()
    for raw in (image, location):
        assert post_zalo(client, raw).status_code == 200
    process_all()
    got = {m.provider_message_id: (m.kind, m.attachment_url) for m in Message.objects.all()}
    assert got == {"img1": (MessageKind.IMAGE, "https://photo.example/1.jpg"),
                   "loc1": (MessageKind.LOCATION, "geo:21.0285,105.8542")}
    assert Conversation.objects.count() == 1  # the same person, one open conversation


# --- Messenger --------------------------------------------------------------------------


def test_messenger_batch_with_an_echo_makes_one_message(client):
    raw = messenger_body([fb_item(), fb_item(mid="m_echo", text="Chào em", echo=True)])
    assert post_messenger(client, raw).status_code == 200
    assert InboundEvent.objects.count() == 1
    process_all()
    message = Message.objects.get()
    assert (message.provider_message_id, message.text) == ("m_AbC123", TEXT)
    assert message.conversation.channel == "facebook"


def test_messenger_batched_entries_each_stored_and_receipts_ignored(client):
    body = json.loads(messenger_body([fb_item(mid="m_1")]))
    body["entry"].append({"id": "106712345678901", "time": 1, "messaging": [
        fb_item(mid="m_2", text="Em cần giúp đỡ"),
        {"sender": {"id": "1"}, "recipient": {"id": "2"}, "timestamp": 1,
         "delivery": {"mids": ["m_x"], "watermark": 1}},
        {"sender": {"id": "1"}, "recipient": {"id": "2"}, "timestamp": 1,
         "read": {"watermark": 1}}]})
    raw = json.dumps(body).encode()
    assert post_messenger(client, raw).status_code == 200
    process_all()
    assert sorted(Message.objects.values_list("provider_message_id", flat=True)) == [
        "m_1", "m_2"]


def test_messenger_signature_is_over_the_raw_escaped_bytes(client):
    raw = messenger_body([fb_item()])
    assert b"\\u" in raw and TEXT.encode() not in raw  # Vietnamese arrives escaped
    reserialised = json.dumps(json.loads(raw), ensure_ascii=False).encode()
    assert fb_sign(reserialised) != fb_sign(raw)
    # Signed over the re-serialised text but sent as received: refused.
    assert post_messenger(client, raw, fb_sign(reserialised)).status_code == 401
    assert not InboundEvent.objects.exists()
    assert post_messenger(client, raw).status_code == 200
    process_all()
    assert Message.objects.get().text == TEXT


@pytest.mark.parametrize("signature", ["sha256=" + "0" * 64, "sha1=abc", "", "sha256="])
def test_messenger_bad_signature_is_401_and_nothing_stored(client, signature):
    raw = messenger_body([fb_item()])
    response = client.post("/hooks/messenger", data=raw, content_type="application/json",
                           **({"HTTP_X_HUB_SIGNATURE_256": signature} if signature else {}))
    assert response.status_code == 401
    assert not InboundEvent.objects.exists()


def test_messenger_signed_but_malformed_json_is_400_and_nothing_stored(client):
    raw = b'{"object": "page", "entry": ['
    assert post_messenger(client, raw).status_code == 400
    assert not InboundEvent.objects.exists()


def test_messenger_without_app_secret_refuses_with_503(client, secrets):
    secrets.TONGDAI_MESSENGER_APP_SECRET = ""
    response = post_messenger(client, messenger_body([fb_item()]))
    assert response.status_code == 503
    assert "TONGDAI_MESSENGER_APP_SECRET" in response.json()["message"]
    assert not InboundEvent.objects.exists()


def test_messenger_same_batch_ten_times_is_one_message(client):
    raw = messenger_body([fb_item()])
    for _ in range(10):
        assert post_messenger(client, raw).status_code == 200
    process_all()
    assert InboundEvent.objects.count() == 1
    assert Message.objects.count() == 1


def test_messenger_verification_echoes_the_challenge(client):
    response = client.get("/hooks/messenger", {"hub.mode": "subscribe",
                                               "hub.verify_token": VERIFY,
                                               "hub.challenge": "1158201444"})
    assert response.status_code == 200
    assert response.content == b"1158201444"


def test_messenger_verification_with_wrong_token_is_403(client):
    response = client.get("/hooks/messenger", {"hub.mode": "subscribe",
                                               "hub.verify_token": "guess",
                                               "hub.challenge": "1158201444"})
    assert response.status_code == 403
    assert b"1158201444" not in response.content


def test_messenger_verification_without_token_configured_is_503(client, secrets):
    secrets.TONGDAI_MESSENGER_VERIFY_TOKEN = ""
    response = client.get("/hooks/messenger", {"hub.mode": "subscribe",
                                               "hub.verify_token": "", "hub.challenge": "1"})
    assert response.status_code == 503


# --- Inbox ------------------------------------------------------------------------------


def test_processing_twice_creates_nothing_new(client):
    post_zalo(client, zalo_body())
    event = InboundEvent.objects.get()
    assert services.inbound_process(event.pk) is not None
    assert services.inbound_process(event.pk) is None
    # Even a forced re-run (processed mark cleared) cannot duplicate the message.
    InboundEvent.objects.filter(pk=event.pk).update(processed_at=None)
    assert services.inbound_process(event.pk) is None
    assert Message.objects.count() == 1 and Conversation.objects.count() == 1


def test_inbox_accept_ignores_a_duplicate(db):
    first, created = services.inbox_accept("zalo", "x1", b"{}")
    again, created_again = services.inbox_accept("zalo", "x1", b'{"other": 1}')
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk and again.raw == "{}"
    assert InboundEvent.objects.count() == 1


def test_accept_queues_processing_after_commit(client, django_capture_on_commit_callbacks,
                                                settings):
    settings.HUEY = {**settings.HUEY, "immediate": True}
    from huey.contrib.djhuey import HUEY

    was = HUEY.immediate
    HUEY.immediate = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert post_zalo(client, zalo_body()).status_code == 200
    finally:
        HUEY.immediate = was
    assert Message.objects.get().text == TEXT


def test_unparseable_stored_event_is_marked_not_retried(db):
    event, _ = services.inbox_accept("zalo", "bad", b"not json")
    assert services.inbound_process(event.pk) is None
    event.refresh_from_db()
    assert event.last_error == "JSONDecodeError" and event.processed_at is not None


def test_database_unavailable_answers_503_so_the_provider_retries(client):
    def refuse_inbox_writes(execute, sql, params, many, context):
        if "channels_inboundevent" in sql.lower() and sql.lstrip().upper().startswith("INSERT"):
            raise OperationalError("database is unavailable")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse_inbox_writes):
        zalo = post_zalo(client, zalo_body())
        messenger = post_messenger(client, messenger_body([fb_item()]))
    assert (zalo.status_code, messenger.status_code) == (503, 503)
    assert not InboundEvent.objects.exists()


def test_sweep_processes_events_the_queue_missed(client, time_machine):
    time_machine.move_to("2026-11-22 10:00:00+00:00", tick=False)
    post_zalo(client, zalo_body())
    assert tasks.inbox_sweep.call_local() == 0  # too recent: the queue may still have it
    time_machine.move_to("2026-11-22 10:02:00+00:00", tick=False)
    assert tasks.inbox_sweep.call_local() == 1
    assert Message.objects.count() == 1
