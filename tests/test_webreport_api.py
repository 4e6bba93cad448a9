"""The 111 app's report API (/api/v1/app/reports): public, receipt code + passphrase."""

from __future__ import annotations

import datetime
import json

import pytest
import time_machine
from django.test import Client

from tongdai.channels.models import Conversation, Direction
from tongdai.channels.outbox import outbox_deliver, reply_send
from tongdai.webreport.models import Receipt

pytestmark = pytest.mark.django_db
URL = "/api/v1/app/reports"


def app(ip="198.51.100.10", **headers) -> Client:
    return Client(REMOTE_ADDR=ip, **headers)


def create(client: Client, **fields):
    body = {"text": "Bạn em bị ép đi làm ở quán karaoke, không cho về nhà.",
            "affected": "other", "province": "01", "urgent": False}
    body.update(fields)
    return client.post(URL, json.dumps(body), content_type="application/json")


def thread(client: Client, code: str, passphrase: str):
    return client.get(f"{URL}/{code}/messages", HTTP_X_REPORT_PASSPHRASE=passphrase)


def test_app_report_create_read_and_add(db, people):
    client = app()
    made = create(client)
    assert made.status_code == 201
    receipt = made.json()
    assert set(receipt) == {"code", "passphrase"}
    conversation = Conversation.objects.get()
    assert (conversation.channel, conversation.centre_id) == ("app", "HN")
    assert conversation.messages.get().provider == "app"
    assert Receipt.objects.get().passphrase_hash != receipt["passphrase"]

    reply = reply_send(people.hn, conversation.pk, "Cảm ơn em. Bạn ấy đang ở tỉnh nào?")
    read = thread(client, receipt["code"], receipt["passphrase"])
    assert read.status_code == 200
    assert [m["direction"] for m in read.json()["messages"]] == ["in"]  # reply not delivered
    outbox_deliver(reply.pk)
    read = thread(client, receipt["code"].replace("-", "").lower(), receipt["passphrase"])
    messages = read.json()["messages"]
    assert [m["direction"] for m in messages] == ["in", "out"]
    assert messages[1]["text"] == "Cảm ơn em. Bạn ấy đang ở tỉnh nào?"
    assert "karaoke" in messages[0]["text"]

    added = client.post(f"{URL}/{receipt['code']}/messages",
                        json.dumps({"text": "Ở Hải Phòng ạ."}), content_type="application/json",
                        HTTP_X_REPORT_PASSPHRASE=receipt["passphrase"])
    assert added.status_code == 201 and added.json()["direction"] == "in"
    latest = conversation.messages.latest("pk")
    assert (latest.text, latest.provider, latest.direction) == ("Ở Hải Phòng ạ.", "app",
                                                                  Direction.IN)


def test_wrong_passphrase_and_unknown_code_answer_the_same_and_lock(db, settings):
    settings.TONGDAI_REPORT_FAILURE_LIMIT = 3
    receipt = create(app()).json()
    wrong = thread(app("198.51.100.20"), receipt["code"], "sai sai sai sai")
    unknown = thread(app("198.51.100.21"), "ZZZZZ-ZZZZZ", "sai sai sai sai")
    missing = app("198.51.100.22").get(f"{URL}/{receipt['code']}/messages")
    assert wrong.status_code == unknown.status_code == missing.status_code == 403
    assert wrong.json() == unknown.json() == {
        "message": "Mã báo cáo hoặc các từ bí mật không đúng."}
    locked = thread(app("198.51.100.23"), receipt["code"], "sai")
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 0
    assert "Quá nhiều lần nhập sai" in locked.json()["message"]
    refused = app().post(f"{URL}/{receipt['code']}/messages", json.dumps({"text": "x"}),
                         content_type="application/json",
                         HTTP_X_REPORT_PASSPHRASE=receipt["passphrase"])
    assert refused.status_code == 429
    assert Conversation.objects.get().messages.count() == 1
    with time_machine.travel(datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=16)):
        assert thread(app(), receipt["code"], receipt["passphrase"]).status_code == 200


def test_failures_are_limited_per_address(db, settings):
    settings.TONGDAI_REPORT_IP_FAILURE_LIMIT = 2
    receipt = create(app()).json()
    guesser = app("192.0.2.77")
    assert thread(guesser, "AAAAA-AAAAA", "a").status_code == 403
    assert thread(guesser, "BBBBB-BBBBB", "a").status_code == 429
    assert thread(guesser, receipt["code"], receipt["passphrase"]).status_code == 429
    assert thread(app("192.0.2.78"), receipt["code"], receipt["passphrase"]).status_code == 200


def test_new_reports_are_limited_per_address(db, settings):
    settings.TONGDAI_REPORT_CREATE_LIMIT = 1
    assert create(app("192.0.2.90")).status_code == 201
    again = create(app("192.0.2.90"))
    assert again.status_code == 429 and "Retry-After" in again
    assert again.json()["message"].startswith("Có quá nhiều báo cáo")
    assert Conversation.objects.count() == 1


def test_same_submission_id_makes_one_report(db):
    assert create(app(), submission_id="app-install-42-report-7").status_code == 201
    again = create(app(), submission_id="app-install-42-report-7")
    assert again.status_code == 409 and "submission_id" in again.json()["message"]
    assert Conversation.objects.count() == 1


@pytest.mark.parametrize("fields, path, message", [
    ({"text": ""}, "text", "Trường này là bắt buộc."),
    ({"affected": "dog"}, "affected", "Phải là một trong"),
    ({"province": "99"}, "province", "hợp lệ"),
    ({"phone": "abc"}, "phone", "Đây không phải số điện thoại"),
    ({"urgent": "very"}, "urgent", "đúng hoặc sai"),
    ({"surname": "x"}, "surname", "không"),
    ({"text": "a\u0000b"}, "text", "ký tự"),
])
def test_bad_reports_get_422_in_vietnamese_and_store_nothing(db, fields, path, message):
    response = create(app(), **fields)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["message"] == "Một số trường không hợp lệ."
    assert message.lower() in body["errors"][path].lower()
    assert not Conversation.objects.exists()


def test_not_json_and_english_messages(db):
    response = app().post(URL, "{text", content_type="application/json")
    assert response.status_code == 400
    assert not Conversation.objects.exists()
    english = app(HTTP_ACCEPT_LANGUAGE="en")
    assert thread(english, "ZZZZZ-ZZZZZ", "x").json()["message"] == (
        "The code or the secret words are not right.")


def test_anonymous_app_report_stores_no_name_or_phone(db):
    assert create(app(), name="", phone="", province=None).status_code == 201
    conversation = Conversation.objects.get()
    assert conversation.province_id is None and conversation.centre.is_national
    assert "Người báo tin: ẩn danh" in conversation.messages.get().text


def test_app_endpoints_are_published_as_public(db):
    spec = Client().get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    assert set(paths["/api/v1/app/reports"]) == {"post"}
    assert set(paths["/api/v1/app/reports/{code}/messages"]) == {"get", "post"}
    for operation in (paths["/api/v1/app/reports"]["post"],
                      *paths["/api/v1/app/reports/{code}/messages"].values()):
        assert not operation.get("security")
    assert spec["components"]["schemas"]["ReportIn"]["additionalProperties"] is False
