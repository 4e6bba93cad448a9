"""Outbound replies through Zalo OA and Messenger, with retries and token refresh (issue 4).

The providers are a real HTTP server started by the test on 127.0.0.1, speaking the
request and answer shapes of Zalo's OA message and OAuth v4 APIs and Meta's Send API.
Everything on our side runs for real: ``reply_send``, the outbox, the senders, the token
row and its lock.
"""

from __future__ import annotations

import json
import socket
import threading
import uuid
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.utils import timezone

from tongdai.channels import services
from tongdai.channels.models import (
    Conversation,
    Message,
    Outbox,
    OutboxStatus,
    Provider,
    ZaloToken,
)
from tongdai.channels.outbox import (
    BACKOFF,
    ReplyRefused,
    outbox_deliver,
    outbox_due,
    outbox_retry,
    reply_send,
)
from tongdai.channels.providers.zalo import zalo_send

APP_ID = "4286839412345678901"
APP_SECRET = "zalo-app-secret-key-for-tests"
SEED_REFRESH = "RT-seed"
PAGE_TOKEN = "EAAG-page-token-for-tests"
ZALO_USER = "2512523625412515"
FB_USER = "6789012345678901"
REPLY = "Chào em, anh chị ở Tổng đài 111 đây. Em đang ở đâu, có an toàn không?"


class Edge:
    """State of the fake provider edge: what it received and what it answers next."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        self.refresh_token = SEED_REFRESH  # the one refresh token Zalo would accept now
        self.access_token = ""  # the access token Zalo accepts now ("" = none issued)
        self.issued = 0
        self.refresh_delay = threading.Event()  # set = answer refreshes without waiting
        self.refresh_delay.set()
        self.script: list[tuple[int, dict | None]] = []  # answers for the next sends

    def log(self, kind: str, path: str, headers, body: bytes) -> None:
        with self.lock:
            self.requests.append({"kind": kind, "path": path,
                                  "headers": {k.lower(): v for k, v in headers.items()},
                                  "body": body})

    def of(self, kind: str) -> list[dict]:
        return [r for r in self.requests if r["kind"] == kind]

    def scripted(self):
        with self.lock:
            return self.script.pop(0) if self.script else None


class Handler(BaseHTTPRequestHandler):
    edge: Edge

    def log_message(self, *args):  # keep test output clean
        pass

    def _answer(self, status: int, body: dict | None) -> None:
        raw = b"<html>Bad Gateway</html>" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if body is not None else "text/html")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_POST(self):
        edge = self.edge
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        path = urlsplit(self.path).path
        if path == "/v4/oa/access_token":
            edge.log("zalo_refresh", self.path, self.headers, body)
            return self._zalo_refresh(parse_qs(body.decode()))
        if path == "/v3.0/oa/message/cs":
            edge.log("zalo_send", self.path, self.headers, body)
            scripted = edge.scripted()
            if scripted:
                return self._answer(*scripted)
            if not edge.access_token or self.headers.get("access_token") != edge.access_token:
                return self._answer(200, {"error": -216, "message": "Access token is invalid"})
            return self._answer(200, {"error": 0, "message": "Success", "data": {
                "message_id": uuid.uuid4().hex, "user_id": json.loads(body)["recipient"]["user_id"]}})
        if path == "/v21.0/me/messages":
            edge.log("fb_send", self.path, self.headers, body)
            scripted = edge.scripted()
            if scripted:
                return self._answer(*scripted)
            if parse_qs(urlsplit(self.path).query).get("access_token") != [PAGE_TOKEN]:
                return self._answer(400, {"error": {"message": "Invalid OAuth access token.",
                                                    "type": "OAuthException", "code": 190,
                                                    "fbtrace_id": "AbC"}})
            return self._answer(200, {"recipient_id": json.loads(body)["recipient"]["id"],
                                      "message_id": "m_" + uuid.uuid4().hex})
        self._answer(404, {"error": "not found"})

    def _zalo_refresh(self, form):
        edge = self.edge
        if (self.headers.get("secret_key") != APP_SECRET or form.get("app_id") != [APP_ID]
                or form.get("grant_type") != ["refresh_token"]):
            return self._answer(200, {"error": -14002, "error_name": "Invalid app secret"})
        edge.refresh_delay.wait(10)
        with edge.lock:
            if form.get("refresh_token") != [edge.refresh_token]:
                answer = {"error": -14014, "error_name": "Invalid refresh token",
                          "error_description": "Refresh token is invalid or used"}
            else:
                edge.issued += 1
                edge.access_token = f"AT-{edge.issued}"
                edge.refresh_token = f"RT-{edge.issued}"
                answer = {"access_token": edge.access_token,
                          "refresh_token": edge.refresh_token, "expires_in": "90000"}
        self._answer(200, answer)


@pytest.fixture
def edge(settings):
    state = Edge()
    handler = type("BoundHandler", (Handler,), {"edge": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    settings.TONGDAI_ZALO_APP_ID = APP_ID
    settings.TONGDAI_ZALO_OA_SECRET = "oa-secret-key-for-tests"
    settings.TONGDAI_ZALO_APP_SECRET = APP_SECRET
    settings.TONGDAI_ZALO_REFRESH_TOKEN = SEED_REFRESH
    settings.TONGDAI_ZALO_API_BASE = base
    settings.TONGDAI_ZALO_OAUTH_BASE = base
    settings.TONGDAI_MESSENGER_PAGE_TOKEN = PAGE_TOKEN
    settings.TONGDAI_MESSENGER_API_BASE = base + "/v21.0"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def thread_db(db, tmp_path):
    """Where worker threads' own connections go during a concurrency test.

    The test's data lives in its (never committed) transaction; the threads only need the
    ``ZaloToken`` table, whose rows they commit themselves and which is emptied afterwards.
    PostgreSQL: the test database itself. SQLite: a file database in WAL mode, as deployed,
    holding that table; the suite's in-memory shared-cache database answers "table is
    locked" at once where a file database waits for the lock, and the test's open
    transaction holds it. Use as ``with thread_db(): ...``.
    """
    from django.db import connections

    settings_dict = connections["default"].settings_dict  # new connections are made from it
    name = settings_dict["NAME"]
    sqlite = connections["default"].vendor == "sqlite"
    target = str(tmp_path / "threads.sqlite3") if sqlite else name

    def create_token_table():
        with connection.schema_editor() as editor:
            editor.create_model(ZaloToken)

    @contextmanager
    def switched():
        settings_dict["NAME"] = target
        try:
            if sqlite:
                in_thread(create_token_table)
            yield
        finally:
            in_thread(lambda: ZaloToken.objects.all().delete())
            settings_dict["NAME"] = name

    return switched


def in_thread(fn):
    """Run ``fn`` on a new thread (so: a new database connection, autocommit) and return
    its result or raise its exception."""
    box = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 — re-raised in the caller
            box["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    if "error" in box:
        raise box["error"]
    return box.get("value")


def closed_port_base() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there any more


def conversation_from(provider: str, msg_id: str | None = None) -> Conversation:
    """A conversation made the real way: an inbound event accepted and processed."""
    msg_id = msg_id or uuid.uuid4().hex
    if provider == Provider.ZALO:
        raw = json.dumps({"app_id": APP_ID, "event_name": "user_send_text",
                          "sender": {"id": ZALO_USER}, "recipient": {"id": "579745863508352884"},
                          "message": {"msg_id": msg_id, "text": "Cứu cháu với"},
                          "timestamp": str(int(timezone.now().timestamp() * 1000))},
                         ensure_ascii=False)
    else:
        raw = json.dumps({"sender": {"id": FB_USER}, "recipient": {"id": "106712345678901"},
                          "timestamp": int(timezone.now().timestamp() * 1000),
                          "message": {"mid": msg_id, "text": "Cứu cháu với"}})
    event, _ = services.inbox_accept(provider, msg_id, raw)
    return services.inbound_process(event.pk).conversation


def delivery(message: Message) -> Outbox:
    return Outbox.objects.get(message=message)


# --- Zalo --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_zalo_reply_is_delivered_once_with_vietnamese_intact(edge, people):
    conversation = conversation_from(Provider.ZALO)
    message = reply_send(people.hn, conversation.pk, REPLY)
    assert delivery(message).status == OutboxStatus.PENDING

    assert outbox_deliver(message.pk) == OutboxStatus.SENT
    assert outbox_deliver(message.pk) == OutboxStatus.SENT  # a second run sends nothing

    sends = edge.of("zalo_send")
    assert len(sends) == 1
    sent = json.loads(sends[0]["body"].decode("utf-8"))
    assert sent == {"recipient": {"user_id": ZALO_USER}, "message": {"text": REPLY}}
    assert sends[0]["headers"]["access_token"] == "AT-1"
    row = delivery(message)
    assert row.provider_message_id and row.attempts == 1 and row.sent_at is not None
    # The seed was spent once and the rotated pair is kept in the database.
    refresh = edge.of("zalo_refresh")
    assert len(refresh) == 1
    assert parse_qs(refresh[0]["body"].decode()) == {
        "app_id": [APP_ID], "grant_type": ["refresh_token"], "refresh_token": [SEED_REFRESH]}
    token = ZaloToken.objects.get(app_id=APP_ID)
    assert (token.access_token, token.refresh_token, token.refresh_count) == ("AT-1", "RT-1", 1)
    assert token.expires_at > timezone.now() + timedelta(hours=24)


@pytest.mark.django_db
def test_rotated_refresh_token_is_used_next_and_the_seed_never_again(edge, people,
                                                                      time_machine):
    conversation = conversation_from(Provider.ZALO)
    first = reply_send(people.hn, conversation.pk, "Lần một")
    assert outbox_deliver(first.pk) == OutboxStatus.SENT
    # 26 hours later the access token has expired: the stored (rotated) refresh token is
    # spent, not the seed from the environment, which Zalo would now refuse.
    time_machine.move_to(timezone.now() + timedelta(hours=26))
    second = reply_send(people.hn, conversation.pk, "Lần hai")
    assert outbox_deliver(second.pk) == OutboxStatus.SENT
    spent = [parse_qs(r["body"].decode())["refresh_token"][0] for r in edge.of("zalo_refresh")]
    assert spent == [SEED_REFRESH, "RT-1"]
    assert ZaloToken.objects.get().refresh_token == "RT-2"


@pytest.mark.django_db
def test_token_refused_by_the_api_is_refreshed_once_and_the_send_repeated(edge, people):
    conversation = conversation_from(Provider.ZALO)
    assert outbox_deliver(reply_send(people.hn, conversation.pk, "một").pk) == "sent"
    # Zalo revokes the token before its announced expiry.
    edge.access_token = "AT-revoked-elsewhere"
    message = reply_send(people.hn, conversation.pk, "hai")
    assert outbox_deliver(message.pk) == OutboxStatus.SENT
    assert [r["headers"]["access_token"] for r in edge.of("zalo_send")] == ["AT-1", "AT-1", "AT-2"]
    assert len(edge.of("zalo_refresh")) == 2


@pytest.mark.django_db
def test_two_concurrent_deliveries_refresh_the_token_once(edge, thread_db, people):
    conversation = conversation_from(Provider.ZALO)
    messages = [Message.objects.select_related("conversation").get(
        pk=reply_send(people.hn, conversation.pk, f"Tin {n}").pk) for n in (1, 2)]
    edge.refresh_delay.clear()  # hold the first refresh until both workers are in
    results, errors = [], []

    def worker(message):
        try:
            results.append(zalo_send(message))  # the sender, as two workers run it
        except Exception as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(repr(exc))
        finally:
            connection.close()

    with thread_db():
        threads = [threading.Thread(target=worker, args=(m,)) for m in messages]
        for thread in threads:
            thread.start()
        # One worker holds the token row's lock and waits for Zalo; give the other time to
        # reach the lock too, then let Zalo answer.
        deadline = timezone.now() + timedelta(seconds=10)
        while not edge.of("zalo_refresh") and timezone.now() < deadline:
            threading.Event().wait(0.02)
        threading.Event().wait(0.5)
        edge.refresh_delay.set()
        for thread in threads:
            thread.join(20)
        stored = in_thread(lambda: ZaloToken.objects.values_list(
            "access_token", "refresh_token", "refresh_count").get())
    assert errors == []
    assert len(results) == 2 and len(set(results)) == 2
    assert len(edge.of("zalo_refresh")) == 1
    assert [r["headers"]["access_token"] for r in edge.of("zalo_send")] == ["AT-1", "AT-1"]
    assert stored == ("AT-1", "RT-1", 1)


@pytest.mark.django_db
def test_refused_refresh_token_fails_the_reply_with_its_code(edge, people):
    edge.refresh_token = "RT-that-zalo-expects"  # the seed was already spent elsewhere
    conversation = conversation_from(Provider.ZALO)
    message = reply_send(people.hn, conversation.pk, REPLY)
    assert outbox_deliver(message.pk) == OutboxStatus.FAILED
    assert delivery(message).last_error == "zalo_oauth:-14014"
    assert ZaloToken.objects.get().last_error == "-14014"
    assert edge.of("zalo_send") == []


@pytest.mark.django_db
def test_new_refresh_token_in_the_environment_replaces_the_stored_chain(edge, people,
                                                                         settings):
    conversation = conversation_from(Provider.ZALO)
    assert outbox_deliver(reply_send(people.hn, conversation.pk, "một").pk) == "sent"
    # The OA is authorised again; the operator puts the new refresh token in the env.
    edge.refresh_token, edge.access_token = "RT-reauthorised", ""
    settings.TONGDAI_ZALO_REFRESH_TOKEN = "RT-reauthorised"
    assert outbox_deliver(reply_send(people.hn, conversation.pk, "hai").pk) == "sent"
    spent = [parse_qs(r["body"].decode())["refresh_token"][0] for r in edge.of("zalo_refresh")]
    assert spent == [SEED_REFRESH, "RT-reauthorised"]


@pytest.mark.django_db
def test_provider_5xx_is_retried_with_backoff_then_sent(edge, people, time_machine):
    time_machine.move_to("2026-11-22 10:00:00+00:00", tick=False)
    conversation = conversation_from(Provider.ZALO)
    message = reply_send(people.hn, conversation.pk, REPLY)
    edge.script = [(502, None), (503, {"error": -1, "message": "busy"})]

    assert outbox_deliver(message.pk) == OutboxStatus.PENDING
    row = delivery(message)
    assert (row.attempts, row.last_error) == (1, "zalo:http_502")
    assert row.next_attempt_at == timezone.now() + BACKOFF[0]
    assert outbox_due() == []  # not before its back-off
    assert outbox_deliver(message.pk) == OutboxStatus.PENDING  # a stray run does nothing
    assert delivery(message).attempts == 1

    time_machine.shift(BACKOFF[0] + timedelta(seconds=1))
    assert outbox_due() == [message.pk]
    assert outbox_deliver(message.pk) == OutboxStatus.PENDING
    row = delivery(message)
    assert (row.attempts, row.last_error) == (2, "zalo:http_503")
    assert row.next_attempt_at == timezone.now() + BACKOFF[1]

    time_machine.shift(BACKOFF[1] + timedelta(seconds=1))
    assert outbox_deliver(message.pk) == OutboxStatus.SENT
    row = delivery(message)
    assert (row.attempts, row.last_error) == (3, "")
    assert len(edge.of("zalo_send")) == 3


@pytest.mark.django_db
def test_permanent_zalo_error_is_failed_with_its_code_and_retry_sends_it(edge, people):
    conversation = conversation_from(Provider.ZALO)
    message = reply_send(people.hn, conversation.pk, REPLY)
    edge.script = [(200, {"error": -230, "message": "User has not interacted with the OA "
                                                  "in the past 7 days"})]
    assert outbox_deliver(message.pk) == OutboxStatus.FAILED
    row = delivery(message)
    assert (row.status, row.last_error, row.attempts) == ("failed", "zalo:-230", 1)
    assert outbox_due() == []

    # The counsellor sends it again from the workspace (e.g. after the person wrote back).
    outbox_retry(people.hn, message.pk)
    assert delivery(message).status == OutboxStatus.PENDING
    assert outbox_deliver(message.pk) == OutboxStatus.SENT
    assert len(edge.of("zalo_send")) == 2


@pytest.mark.django_db
def test_unreachable_provider_is_retried(edge, people, settings, time_machine):
    time_machine.move_to("2026-11-22 10:00:00+00:00", tick=False)
    conversation = conversation_from(Provider.ZALO)
    message = reply_send(people.hn, conversation.pk, REPLY)
    real_base = settings.TONGDAI_ZALO_OAUTH_BASE
    settings.TONGDAI_ZALO_OAUTH_BASE = settings.TONGDAI_ZALO_API_BASE = closed_port_base()
    assert outbox_deliver(message.pk) == OutboxStatus.PENDING
    row = delivery(message)
    assert row.last_error == "zalo_oauth:unreachable:ConnectionRefusedError"
    assert row.next_attempt_at == timezone.now() + BACKOFF[0]
    # The refresh token was not spent: the next attempt (provider back) uses the seed.
    settings.TONGDAI_ZALO_OAUTH_BASE = settings.TONGDAI_ZALO_API_BASE = real_base
    time_machine.shift(BACKOFF[0])
    assert outbox_deliver(message.pk) == OutboxStatus.SENT


@pytest.mark.django_db
def test_retries_stop_after_the_last_attempt_and_the_row_is_failed(edge, people, settings,
                                                                   time_machine):
    time_machine.move_to("2026-11-22 10:00:00+00:00", tick=False)
    conversation = conversation_from(Provider.MESSENGER)
    message = reply_send(people.hn, conversation.pk, REPLY)
    settings.TONGDAI_MESSENGER_API_BASE = closed_port_base()
    statuses = []
    for wait in (timedelta(0), *BACKOFF):
        time_machine.shift(wait)
        statuses.append(outbox_deliver(message.pk))
    assert statuses == ["pending"] * len(BACKOFF) + ["failed"]
    row = delivery(message)
    assert row.attempts == len(BACKOFF) + 1
    assert row.last_error == "messenger:unreachable:ConnectionRefusedError"


@pytest.mark.django_db
def test_zalo_without_app_secret_fails_with_a_clear_code(edge, people, settings):
    settings.TONGDAI_ZALO_APP_SECRET = ""
    conversation = conversation_from(Provider.ZALO)
    message = reply_send(people.hn, conversation.pk, REPLY)
    assert outbox_deliver(message.pk) == OutboxStatus.FAILED
    assert delivery(message).last_error == "zalo_not_configured:TONGDAI_ZALO_APP_SECRET"
    assert edge.requests == []


# --- Messenger ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_messenger_reply_is_delivered_once_with_vietnamese_intact(edge, people):
    conversation = conversation_from(Provider.MESSENGER)
    message = reply_send(people.hn, conversation.pk, REPLY)
    assert outbox_deliver(message.pk) == OutboxStatus.SENT
    assert outbox_deliver(message.pk) == OutboxStatus.SENT
    sends = edge.of("fb_send")
    assert len(sends) == 1
    assert parse_qs(urlsplit(sends[0]["path"]).query) == {"access_token": [PAGE_TOKEN]}
    assert json.loads(sends[0]["body"].decode("utf-8")) == {
        "recipient": {"id": FB_USER}, "messaging_type": "RESPONSE", "message": {"text": REPLY}}
    assert delivery(message).provider_message_id.startswith("m_")


@pytest.mark.django_db
def test_messenger_reply_outside_the_24_hour_window_fails_without_retry(edge, people):
    conversation = conversation_from(Provider.MESSENGER)
    message = reply_send(people.hn, conversation.pk, REPLY)
    edge.script = [(400, {"error": {
        "message": "(#10) This message is sent outside of allowed window.",
        "type": "OAuthException", "code": 10, "error_subcode": 2018278,
        "fbtrace_id": "A1b2C3"}})]
    assert outbox_deliver(message.pk) == OutboxStatus.FAILED
    assert delivery(message).last_error == "messenger:10/2018278"


@pytest.mark.django_db
def test_messenger_4xx_is_permanent_but_throttling_is_retried(edge, people):
    conversation = conversation_from(Provider.MESSENGER)
    throttled = reply_send(people.hn, conversation.pk, "một")
    edge.script = [(400, {"error": {"message": "(#613) Calls to this API have exceeded the "
                                               "rate limit.", "type": "OAuthException",
                                    "code": 613, "fbtrace_id": "x"}})]
    assert outbox_deliver(throttled.pk) == OutboxStatus.PENDING
    assert delivery(throttled).last_error == "messenger:613"
    refused = reply_send(people.hn, conversation.pk, "hai")
    edge.script = [(400, {"error": {"message": "(#100) No matching user found",
                                    "type": "OAuthException", "code": 100,
                                    "error_subcode": 2018001, "fbtrace_id": "y"}})]
    assert outbox_deliver(refused.pk) == OutboxStatus.FAILED
    assert delivery(refused).last_error == "messenger:100/2018001"


@pytest.mark.django_db
def test_messenger_without_page_token_fails_with_a_clear_code(edge, people, settings):
    settings.TONGDAI_MESSENGER_PAGE_TOKEN = ""
    conversation = conversation_from(Provider.MESSENGER)
    message = reply_send(people.hn, conversation.pk, REPLY)
    assert outbox_deliver(message.pk) == OutboxStatus.FAILED
    assert delivery(message).last_error == (
        "messenger_not_configured:TONGDAI_MESSENGER_PAGE_TOKEN")
    assert edge.requests == []


# --- Reach -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_counsellor_of_another_centre_cannot_reply_nor_retry(edge, people):
    conversation = conversation_from(Provider.ZALO)
    assert conversation.centre_id == "HN"
    with pytest.raises(ReplyRefused):
        reply_send(people.ag, conversation.pk, REPLY)
    assert not Message.objects.filter(direction="out").exists()
    message = reply_send(people.hn, conversation.pk, REPLY)
    edge.script = [(200, {"error": -230, "message": "not interacted"})]
    assert outbox_deliver(message.pk) == OutboxStatus.FAILED
    with pytest.raises(ReplyRefused):
        outbox_retry(people.ag, message.pk)
    assert delivery(message).status == OutboxStatus.FAILED
    assert edge.of("zalo_send") and len(edge.of("zalo_send")) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["", "   ", "Cháu\x00ơi", "x" * 2001])
def test_empty_nul_or_overlong_reply_is_refused_and_nothing_stored(edge, people, text):
    conversation = conversation_from(Provider.ZALO)
    with pytest.raises(ReplyRefused):
        reply_send(people.hn, conversation.pk, text)
    assert not Message.objects.filter(direction="out").exists()
    assert not Outbox.objects.exists()
