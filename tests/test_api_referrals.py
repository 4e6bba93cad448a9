"""API v1: referrals and the agencies directory, as hotline and partner clients."""

from __future__ import annotations

import json

import pytest

from tests.support.referrals import (  # noqa: F401
    CALLER_NAME,
    CALLER_PHONE_DIGITS,
    CHILD_NAME,
    net_fixture,
    send_data,
    shows_caller_phone,
)
from tongdai.cases.services import case_close
from tongdai.referrals.models import Referral


def post(client, url, data=None):
    return client.post(url, json.dumps(data) if data is not None else "", content_type="application/json")


def create(api, people, net, **overrides):
    return post(api(people.hn_casemgr), f"/api/v1/cases/{net.case.pk}/referrals",
                send_data(net.laocai_police, **overrides))


def test_a_referral_is_created_with_201_and_its_snapshot(api, people, net):
    response = create(api, people, net)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "sent" and body["case"] == net.case.pk and body["version"] == 1
    assert body["snapshot"] == {"child_age": 9, "child_location": "Thành phố Hà Nội"}
    assert body["consent"]["child"] is True


@pytest.mark.parametrize(("overrides", "field"), [
    ({"agency": 999999}, "agency"),
    ({"consent": {"child": True}}, "consent.representative"),
    ({"share": ["notes"]}, "share"),
    ({"reason": ""}, "reason"),
])
def test_bad_referrals_get_422_with_the_field_and_store_nothing(api, people, net, overrides, field):
    response = create(api, people, net, **overrides)
    assert response.status_code == 422
    assert any(key.startswith(field) for key in response.json()["errors"])
    assert not Referral.objects.exists()


def test_a_closed_case_cannot_be_referred_by_api(api, people, net):
    case_close(people.hn_casemgr, net.case.pk, "Đã an toàn.")
    response = create(api, people, net)
    assert response.status_code == 422 and "case" in response.json()["errors"]


def test_the_full_partner_flow_and_out_of_order_steps(api, people, net):
    rid = create(api, people, net).json()["id"]
    police = api(people.police)
    assert post(police, f"/api/v1/referrals/{rid}/complete", {"outcome": "rescued"}).status_code == 409
    assert post(police, f"/api/v1/referrals/{rid}/acknowledge").status_code == 200
    assert post(police, f"/api/v1/referrals/{rid}/accept", {"version": 1}).status_code == 409
    assert post(police, f"/api/v1/referrals/{rid}/accept", {"version": 2}).status_code == 200
    assert post(police, f"/api/v1/referrals/{rid}/complete", {}).status_code == 422
    done = post(police, f"/api/v1/referrals/{rid}/complete", {"outcome": "rescued", "text": "OK"})
    assert done.status_code == 200 and done.json()["status"] == "completed"
    assert post(api(people.hn_casemgr), f"/api/v1/referrals/{rid}/revoke").status_code == 409


def test_decline_needs_a_reason(api, people, net):
    rid = create(api, people, net).json()["id"]
    police = api(people.police)
    assert post(police, f"/api/v1/referrals/{rid}/decline", {}).status_code == 422
    response = post(police, f"/api/v1/referrals/{rid}/decline", {"reason": "Ngoài địa bàn."})
    assert response.status_code == 200 and response.json()["decline_reason"] == "Ngoài địa bàn."


def test_a_partner_sees_only_the_snapshot_never_the_child_name_or_caller(api, people, net):
    net.contact.caller_consent_share = True  # consented, but the sender does not share it
    net.contact.save(update_fields=["caller_consent_share"])
    rid = create(api, people, net).json()["id"]
    police = api(people.police)
    detail = police.get(f"/api/v1/referrals/{rid}")
    listing = police.get("/api/v1/referrals")
    for response in (detail, listing):
        assert response.status_code == 200
        text = response.content.decode()
        assert CHILD_NAME not in text and not shows_caller_phone(text) and CALLER_NAME not in text
    body = detail.json()
    assert body["case"] is None and body["consent"] is None
    assert body["case_number"] == net.case.number
    assert set(body["snapshot"]) == {"child_age", "child_location"}
    assert [r["id"] for r in listing.json()["items"]] == [rid]


def test_the_caller_phone_is_shown_to_the_partner_only_when_shared_with_consent(api, people, net):
    net.contact.caller_consent_share = True
    net.contact.save(update_fields=["caller_consent_share"])
    rid = create(api, people, net, share=["reporter_contact"]).json()["id"]
    body = api(people.police).get(f"/api/v1/referrals/{rid}").content.decode()
    assert shows_caller_phone(body)


def test_partners_reach_no_other_agencys_referral_no_revoked_one_and_no_case(api, people, net):
    rid = create(api, people, net).json()["id"]
    other = create(api, people, net, agency=net.hanoi_police.pk).json()["id"]
    police = api(people.police)
    assert police.get(f"/api/v1/referrals/{other}").status_code == 404
    assert post(police, f"/api/v1/referrals/{other}/acknowledge").status_code == 404
    assert police.get(f"/api/v1/referrals/{rid + 1000}").status_code == 404
    assert police.get(f"/api/v1/cases/{net.case.pk}").status_code in (403, 404)
    assert post(api(people.hn_casemgr), f"/api/v1/referrals/{rid}/revoke",
                {"reason": "Nhầm."}).status_code == 200
    assert police.get(f"/api/v1/referrals/{rid}").status_code == 404
    assert police.get("/api/v1/referrals").json()["items"] == []
    assert api(people.ag).get(f"/api/v1/referrals/{rid}").status_code == 404


def test_the_referral_list_pages_and_filters_the_inbox(api, people, net):
    ids = [create(api, people, net).json()["id"] for _ in range(3)]
    police = api(people.police)
    first = police.get("/api/v1/referrals", {"page_size": 2}).json()
    assert first["has_next"] and [r["id"] for r in first["items"]] == ids[::-1][:2]
    post(police, f"/api/v1/referrals/{ids[0]}/acknowledge")
    opened = police.get("/api/v1/referrals", {"box": "open"}).json()["items"]
    assert [r["id"] for r in opened] == [ids[0]]
    assert police.get("/api/v1/referrals", {"box": "weird"}).status_code == 422


def test_the_agencies_endpoint_searches_by_province_type_and_service(api, people, net):
    client = api(people.hn)
    body = client.get("/api/v1/agencies", {"province": "01", "service": "rescue"}).json()
    names = {a["name"] for a in body["items"]}
    assert names == {"Công an thành phố Hà Nội", "Cục Cảnh sát hình sự"}
    hanoi = next(a for a in body["items"] if a["name"] == "Công an thành phố Hà Nội")
    assert hanoi["always_open"] and hanoi["contact_points"][0]["phone"] == "069 123 4567"
    assert hanoi["provinces"] == ["01"] and "rescue" in hanoi["services"]
    shelters = client.get("/api/v1/agencies", {"province": "01", "type": "shelter"}).json()["items"]
    assert [a["name"] for a in shelters] == ["Nhà tạm lánh Hà Nội"]
    assert client.get("/api/v1/agencies", {"type": "army"}).status_code == 422
    assert api(people.analyst).get("/api/v1/agencies").status_code == 403
