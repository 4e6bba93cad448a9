"""The public web report form (tongdai.webreport): no login, no JavaScript, receipts.

Browsers are played by Django's test client with CSRF checks on (the token read from the
page and the cookie, as a browser sends them). Counsellor replies go through the real
outbox (``reply_send`` then ``outbox_deliver``).
"""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.test import Client

from tongdai.channels.models import Conversation, ConversationStatus, Direction, Message
from tongdai.channels.outbox import outbox_deliver, reply_send
from tongdai.webreport.models import Receipt, Throttle

pytestmark = pytest.mark.django_db
FORM = "/bao-cao/"
RETURN = "/bao-cao/tra-cuu/"
THREAD = "/bao-cao/cuoc-tro-chuyen/"


def browser(ip="203.0.113.7") -> Client:
    return Client(enforce_csrf_checks=True, REMOTE_ADDR=ip)


def csrf(client: Client, url: str) -> tuple[str, str]:
    """GET the page like a browser; returns (html, the form's CSRF token)."""
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    return html, re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def form_data(html: str, **fields) -> dict:
    data = {"submission_id": re.search(r'name="submission_id" value="([^"]+)"', html).group(1),
            "text": "Em bị bố dượng đánh mỗi tối, em sợ về nhà.", "affected": "self",
            "province": "01", "contact_preference": "return"}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def submit(client: Client, **fields):
    html, token = csrf(client, FORM)
    return client.post(FORM, {"csrfmiddlewaretoken": token, **form_data(html, **fields)})


def receipt_of(response) -> tuple[str, str]:
    html = response.content.decode()
    code = re.search(r'id="receipt-code"[^>]*>([^<]+)<', html).group(1).strip()
    words = re.search(r'id="receipt-passphrase"[^>]*>([^<]+)<', html).group(1).strip()
    return code, words


def open_report(client: Client, code: str, passphrase: str):
    _html, token = csrf(client, RETURN)
    return client.post(RETURN, {"csrfmiddlewaretoken": token, "code": code,
                                "passphrase": passphrase})


def strip_token(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_form_page_is_public_small_and_leaves_no_trace(db):
    response = Client().get(FORM)
    assert response.status_code == 200
    html = response.content.decode()
    assert response["Cache-Control"].startswith("no-store")
    assert response["Referrer-Policy"] == "same-origin"  # nothing sent to other sites
    assert 'id="quick-exit" href="/bao-cao/thoat/" rel="noreferrer"' in html
    assert 'href="tel:111"' in html
    assert html.count('<option value="') == 35  # 34 provinces + "I don't know"
    assert "(không bắt buộc)" in html  # name and phone marked optional, in Vietnamese
    assert "<script>" not in html and "style=" not in html  # CSP: nothing inline
    assert "htmx" not in html and len(response.content) < 20_000


def test_report_without_javascript_gives_a_receipt_and_waits_in_the_queue(db):
    response = submit(browser(), urgent=None)
    assert response.status_code == 201
    code, passphrase = receipt_of(response)
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}", code)
    assert len(passphrase.split()) == 4
    receipt = Receipt.objects.get()
    assert receipt.code == code.replace("-", "")
    assert passphrase not in receipt.passphrase_hash and receipt.affected == "self"
    conversation = receipt.conversation
    assert (conversation.channel, conversation.status) == ("web", ConversationStatus.WAITING)
    assert (conversation.centre_id, conversation.province_id) == ("HN", "01")
    message = conversation.messages.get()
    assert (message.provider, message.direction) == ("web", Direction.IN)
    assert "Em bị bố dượng đánh mỗi tối" in message.text
    assert "Tỉnh/thành phố: Hà Nội" in message.text


def test_passphrase_hash_is_argon2_with_production_hashers(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    code, passphrase = receipt_of(submit(browser()))
    assert Receipt.objects.get().passphrase_hash.startswith("argon2$")
    assert open_report(browser(), code, passphrase).status_code == 303


def test_anonymous_report_stores_no_name_or_phone(db):
    submit(browser(), name="", phone="")
    text = Message.objects.get().text
    assert "Người báo tin: ẩn danh" in text
    assert not re.search(r"\d{3}\s?\d{3}\s?\d{3}", text)
    named = submit(browser("203.0.113.8"), name="Trần Thị Hoa", phone="0912 345 678",
                   contact_preference="phone")
    assert named.status_code == 201
    text = Message.objects.latest("pk").text
    assert "Trần Thị Hoa" in text and "0912 345 678" in text and "Gọi điện cho tôi" in text


def test_urgent_report_shows_111_and_is_marked_for_the_counsellor(db):
    response = submit(browser(), urgent="on", affected="child")
    assert response.status_code == 201
    assert 'id="urgent-call"' in response.content.decode()
    receipt = Receipt.objects.get()
    assert receipt.urgent
    assert receipt.conversation.subject.startswith("KHẨN CẤP")
    assert receipt.conversation.messages.get().text.startswith("[KHẨN CẤP]")


@pytest.mark.parametrize("fields, field, message", [
    ({"text": "   "}, "text", "Trường này là bắt buộc."),
    ({"affected": None}, "affected", "Trường này là bắt buộc."),
    ({"province": "99"}, "province", "Hãy chọn một lựa chọn hợp lệ"),
    ({"phone": "12ab"}, "phone", "Đây không phải số điện thoại"),
    ({"contact_preference": "sms", "phone": ""}, "phone", "Hãy nhập số điện thoại"),
    ({"text": "x" * 5001}, "text", "5000"),
])
def test_bad_input_is_refused_in_vietnamese_and_nothing_is_stored(db, fields, field, message):
    response = submit(browser(), **fields)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="form-errors"' in html and message in html
    assert not Conversation.objects.exists() and not Receipt.objects.exists()


def test_sending_the_same_form_twice_makes_one_report(db):
    client = browser()
    html, token = csrf(client, FORM)
    data = {"csrfmiddlewaretoken": token, **form_data(html)}
    assert client.post(FORM, data).status_code == 201
    again = client.post(FORM, data)
    assert again.status_code == 409
    assert 'id="receipt-code"' not in again.content.decode()
    assert Conversation.objects.count() == 1


def test_return_shows_the_delivered_reply_and_takes_more_information(db, people):
    reporter = browser()
    code, passphrase = receipt_of(submit(reporter))
    conversation = Conversation.objects.get()
    reply = reply_send(people.hn, conversation.pk, "Chào em, anh chị ở đây. Em đang ở đâu?")
    opened = open_report(reporter, code.lower().replace("-", " "), passphrase.upper())
    assert opened.status_code == 303 and opened["Location"] == THREAD
    page = reporter.get(THREAD)
    assert "Em đang ở đâu?" not in page.content.decode()  # not delivered yet
    assert outbox_deliver(reply.pk) == "sent"
    page = reporter.get(THREAD)
    html = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"].startswith("no-store")
    assert "Em đang ở đâu?" in html and "Em bị bố dượng đánh mỗi tối" in html
    assert people.hn.full_name not in html and people.hn.username not in html
    _html, token = csrf(reporter, THREAD)
    added = reporter.post(THREAD, {"csrfmiddlewaretoken": token,
                                   "text": "Em ở nhà bà ngoại ở Cầu Giấy."})
    assert added.status_code == 303
    assert "Em ở nhà bà ngoại" in reporter.get(added["Location"]).content.decode()
    latest = conversation.messages.latest("pk")
    assert (latest.direction, latest.provider) == (Direction.IN, "web")


def test_a_closed_report_goes_back_to_the_queue_when_the_reporter_adds_information(db):
    reporter = browser()
    code, passphrase = receipt_of(submit(reporter))
    Conversation.objects.update(status=ConversationStatus.CLOSED,
                                closed_at=datetime.datetime.now(datetime.UTC))
    open_report(reporter, code, passphrase)
    _html, token = csrf(reporter, THREAD)
    reporter.post(THREAD, {"csrfmiddlewaretoken": token, "text": "Bố dượng lại đánh em."})
    conversation = Conversation.objects.get()
    assert conversation.status == ConversationStatus.WAITING and conversation.closed_at is None
    assert conversation.version == 2


def test_wrong_passphrase_and_unknown_code_look_the_same_and_lock(db, settings):
    settings.TONGDAI_REPORT_FAILURE_LIMIT = 5
    code, passphrase = receipt_of(submit(browser()))
    wrong = open_report(browser("198.51.100.1"), code, "hoa mai sen lan")
    unknown = open_report(browser("198.51.100.2"), "ABCDE-FGHJK", "hoa mai sen lan")
    assert wrong.status_code == unknown.status_code == 400
    assert strip_token(wrong) == strip_token(unknown)
    assert "không đúng" in strip_token(wrong)
    assert "Em bị bố dượng" not in strip_token(wrong)
    attacker = browser("198.51.100.3")
    statuses = [open_report(attacker, code, f"sai {i}").status_code for i in range(4)]
    assert statuses == [400, 400, 400, 429]  # the 5th failure for this code locks it
    locked = open_report(browser("198.51.100.4"), code, passphrase)  # even the right words
    assert locked.status_code == 429 and "Quá nhiều lần" in locked.content.decode()
    assert THREAD not in locked.get("Location", "")
    with time_machine.travel(datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=16)):
        assert open_report(browser("198.51.100.4"), code, passphrase).status_code == 303


def test_failures_from_one_address_lock_that_address(db, settings):
    settings.TONGDAI_REPORT_IP_FAILURE_LIMIT = 3
    code, passphrase = receipt_of(submit(browser()))
    guesser = "192.0.2.50"
    results = [open_report(browser(guesser), f"ZZZZZ-ZZZZ{c}", "a b c d").status_code
               for c in "234"]
    assert results == [400, 400, 429]
    assert open_report(browser(guesser), code, passphrase).status_code == 429
    assert open_report(browser("192.0.2.51"), code, passphrase).status_code == 303
    assert Throttle.objects.filter(key__contains="192.0.2").count() == 0  # stored as HMAC


def test_reporter_session_is_short_and_can_be_ended(db, settings):
    reporter = browser()
    code, passphrase = receipt_of(submit(reporter))
    open_report(reporter, code, passphrase)
    assert reporter.get(THREAD).status_code == 200
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(
        minutes=settings.TONGDAI_REPORT_SESSION_MINUTES + 1)
    with time_machine.travel(later):
        assert reporter.get(THREAD)["Location"] == RETURN
    open_report(reporter, code, passphrase)
    _html, token = csrf(reporter, THREAD)
    left = reporter.post("/bao-cao/dang-xuat/", {"csrfmiddlewaretoken": token})
    assert left.status_code == 303 and left.cookies["td_report"].value == ""
    reporter.cookies.pop("td_report", None)
    assert reporter.get(THREAD)["Location"] == RETURN


def test_a_session_cookie_opens_only_its_own_report(db):
    first, second = browser(), browser("203.0.113.9")
    code1, words1 = receipt_of(submit(first, text="Báo cáo thứ nhất về em Lan."))
    receipt_of(submit(second, text="Báo cáo thứ hai về em Minh."))
    open_report(first, code1, words1)
    html = first.get(THREAD).content.decode()
    assert "em Lan" in html and "em Minh" not in html
    forged = browser()
    forged.cookies["td_report"] = "eyJyIjoyLCJjIjoyfQ:forged:signature"
    assert forged.get(THREAD)["Location"] == RETURN


def test_quick_exit_goes_to_a_neutral_site_and_forgets_the_session(db, settings):
    settings.TONGDAI_QUICK_EXIT_URL = "https://example.org/weather"
    reporter = browser()
    code, passphrase = receipt_of(submit(reporter))
    open_report(reporter, code, passphrase)
    leaving = reporter.get("/bao-cao/thoat/")
    assert leaving.status_code == 302 and leaving["Location"] == "https://example.org/weather"
    assert leaving["Referrer-Policy"] == "no-referrer"
    assert leaving.cookies["td_report"].value == ""


def test_what_the_reporter_wrote_is_escaped(db):
    reporter = browser()
    code, passphrase = receipt_of(submit(reporter, text='<script>alert("x")</script><b>em</b>'))
    open_report(reporter, code, passphrase)
    html = reporter.get(THREAD).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert "<b>em</b>" not in html


def test_new_reports_are_limited_per_address(db, settings):
    settings.TONGDAI_REPORT_CREATE_LIMIT = 2
    assert [submit(browser("203.0.113.20")).status_code for _ in range(3)] == [201, 201, 429]
    assert submit(browser("203.0.113.21")).status_code == 201
    assert Conversation.objects.count() == 3


def test_web_and_app_replies_have_a_sender(db):
    from tongdai.channels.outbox import sender_for
    from tongdai.webreport.services import deliver_stored

    assert sender_for("web") is deliver_stored and sender_for("app") is deliver_stored


def test_expired_counters_are_forgotten(db, settings):
    from tongdai.webreport.tasks import throttle_cleanup

    code, _words = receipt_of(submit(browser()))
    open_report(browser(), code, "sai")
    assert Throttle.objects.filter(scope="code").exists()
    with time_machine.travel(datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2)):
        assert throttle_cleanup.call_local() >= 2
    assert not Throttle.objects.exists()


def test_a_web_report_waits_in_the_routed_centres_queue(db, people, client):
    submit(browser(), urgent="on", province="01")
    client.force_login(people.hn)
    waiting = client.get("/workspace/queue.json").json()["waiting"]
    conversation = Conversation.objects.get()
    assert {"type": "conversation", "id": conversation.pk, "channel": "web"}.items() <= next(
        w for w in waiting if w["id"] == conversation.pk).items()
    client.force_login(people.ag)
    assert all(w["id"] != conversation.pk for w in client.get("/workspace/queue.json").json()["waiting"])


def test_the_pages_speak_english_when_chosen(db):
    client = browser()
    client.cookies["django_language"] = "en"
    html = client.get(FORM).content.decode()
    assert "Quick exit" in html and "What happened?" in html and "(optional)" in html


@pytest.mark.parametrize("url, fields", [
    (FORM, {"text": "a\x00b", "affected": "self"}),
    (FORM, {"text": "ok", "affected": "self", "submission_id": "x" * 65}),
    (RETURN, {"code": "AB\x00", "passphrase": "x"}),
])
def test_control_characters_and_oversized_fields_are_a_400(db, url, fields):
    client = browser()
    _html, token = csrf(client, url)
    assert client.post(url, {"csrfmiddlewaretoken": token, **fields}).status_code == 400
    assert not Conversation.objects.exists()
