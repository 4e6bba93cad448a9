"""API v1 contacts: create, read, change, list and search, and who may reach what."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from tests.conftest import contact_data
from tongdai.audit.models import AuditEvent
from tongdai.contacts.models import Contact

URL = "/api/v1/contacts"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """The people fixture hashes a dozen passwords; argon2 would cost seconds per test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def post(client, data):
    return client.post(URL, data, content_type="application/json")


def patch(client, contact_id, data):
    return client.patch(f"{URL}/{contact_id}", data, content_type="application/json")


def listed_ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def utc(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)


# --------------------------------------------------------------------------- create / read


def test_counsellor_records_completed_contact_and_gets_its_public_shape(people, api):
    response = post(api(people.hn), contact_data())

    assert response.status_code == 201, response.content
    body = response.json()
    contact = Contact.objects.get(pk=body["id"])
    assert body["reference"] == f"HN-{contact.pk:07d}"
    assert body["status"] == "completed"
    assert body["version"] == 1
    assert body["centre"] == "HN"
    assert body["counsellor"] == "hn_counsellor"
    assert body["kind"] == "report"
    assert body["topics"] == ["violence_physical"]
    assert body["caller"]["phone"] == "+84912345678"
    assert body["caller"]["name"] == "Nguyễn Văn Ấn"
    assert body["caller"]["relation"] == "neighbour_witness"
    assert body["caller"]["province"] == "01"
    assert body["subjects"] == [{
        "name": "Đặng Thị Bình", "sex": "female", "age": 9, "age_estimated": False,
        "age_group": "7_12", "province": "01", "commune": None, "country": None,
    }]
    assert body["province"] == "01"
    for key in ("received_at", "created_at", "updated_at", "completed_at"):
        assert body[key].endswith("Z"), (key, body[key])
        assert utc(body[key]).utcoffset() == datetime.timedelta(0)
    assert body["answered_at"] is None


def test_create_answers_what_a_later_read_gives_without_reading_back(people, api):
    """The created contact's topics and subjects are answered from what was just written
    (contacts.services._remember_related): in the order a query gives, equal to a later
    GET, and without selecting them back."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(people.hn)
    client.get("/api/v1/me")  # first use of the token writes last_used_at; keep it out
    data = contact_data(topics=["peers", "violence_physical", "missing", "violence_neglect"], subjects=[
        {"name": "Đặng Thị Bình", "sex": "female", "age": 9, "province": "01"},
        {"name": "Đặng Văn Cường", "sex": "male", "age": 12, "province": "79"},
        {"name": "", "sex": "unknown"},
    ])
    with CaptureQueriesContext(connection) as queries:
        response = post(client, data)
    assert response.status_code == 201, response.content
    reads_back = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")
                  and ("contacts_subject" in q["sql"] or "contacts_contacttopic" in q["sql"])]
    assert reads_back == []
    created = response.json()
    assert created == client.get(f"{URL}/{created['id']}").json()
    assert [s["name"] for s in created["subjects"]] == ["Đặng Thị Bình", "Đặng Văn Cường", ""]


def test_contact_without_status_is_a_draft(people, api):
    data = contact_data()
    del data["status"]
    response = post(api(people.hn), data)

    assert response.status_code == 201, response.content
    assert response.json()["status"] == "draft"
    assert response.json()["completed_at"] is None


def test_times_with_offset_are_returned_in_utc(people, api):
    with time_machine.travel(datetime.datetime(2026, 1, 10, 5, 0, tzinfo=datetime.UTC), tick=False):
        response = post(api(people.hn), contact_data(
            received_at="2026-01-10T09:30:00+07:00", answered_at="2026-01-10T09:30:20+07:00",
            ended_at="2026-01-10T09:41:00+07:00"))

    assert response.status_code == 201, response.content
    body = response.json()
    assert utc(body["received_at"]) == datetime.datetime(2026, 1, 10, 2, 30, tzinfo=datetime.UTC)
    assert body["received_at"] == "2026-01-10T02:30:00Z"
    assert body["ended_at"] == "2026-01-10T02:41:00Z"


def test_get_returns_the_contact_and_audits_the_view(people, api, make_contact):
    contact = make_contact(people.hn)

    response = api(people.hn).get(f"{URL}/{contact.pk}")

    assert response.status_code == 200
    assert response.json()["id"] == contact.pk
    assert response.json()["caller"]["name"] == "Nguyễn Văn Ấn"
    event = AuditEvent.objects.filter(action="view", object_id=contact.pk).get()
    assert event.via == "api"
    assert event.actor == people.hn


def test_supervisor_of_the_centre_sees_a_colleagues_contact(people, api, make_contact):
    contact = make_contact(people.hn)
    assert api(people.hn_super).get(f"{URL}/{contact.pk}").status_code == 200
    assert api(people.hn2).get(f"{URL}/{contact.pk}").status_code == 200


def test_a_colleagues_draft_is_not_found_for_another_counsellor(people, api, make_contact):
    draft = make_contact(people.hn, status="draft")
    assert api(people.hn2).get(f"{URL}/{draft.pk}").status_code == 404
    assert api(people.hn).get(f"{URL}/{draft.pk}").status_code == 200


# --------------------------------------------------------------------------- change


def test_patch_changes_only_the_keys_present(people, api, make_contact):
    contact = make_contact(people.hn)

    response = patch(api(people.hn), contact.pk, {"summary": "Đã gọi lại, trẻ an toàn.",
                                                  "version": 1})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["summary"] == "Đã gọi lại, trẻ an toàn."
    assert body["version"] == 2
    assert body["caller"]["name"] == "Nguyễn Văn Ấn"
    assert body["topics"] == ["violence_physical"]
    assert len(body["subjects"]) == 1
    event = AuditEvent.objects.get(action="update", object_id=contact.pk)
    assert event.fields == ["summary"]
    assert event.via == "api"


def test_patch_with_caller_replaces_the_whole_caller_block(people, api, make_contact):
    contact = make_contact(people.hn)

    response = patch(api(people.hn), contact.pk, {"caller": {"phone": "0987654321"}})

    assert response.status_code == 200, response.content
    caller = response.json()["caller"]
    assert caller["phone"] == "+84987654321"
    assert caller["name"] == ""
    assert caller["relation"] is None


def test_draft_is_completed_by_patching_status(people, api):
    client = api(people.hn)
    draft = post(client, {"channel": "zalo", "summary": "Đang nghe."}).json()
    assert draft["status"] == "draft"

    response = patch(client, draft["id"], {"status": "completed", "kind": "counselling_psychological",
                                           "topics": ["mental_health"], "version": draft["version"]})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "completed"
    assert response.json()["completed_at"] is not None
    assert AuditEvent.objects.filter(action="complete", object_id=draft["id"]).exists()


def test_completing_without_kind_is_refused_and_changes_nothing(people, api):
    client = api(people.hn)
    draft = post(client, {"summary": "Chưa phân loại."}).json()

    response = patch(client, draft["id"], {"status": "completed", "summary": "Khác"})

    assert response.status_code == 422
    assert "kind" in response.json()["errors"]
    assert response.json()["message"]
    contact = Contact.objects.get(pk=draft["id"])
    assert (contact.status, contact.summary, contact.version) == ("draft", "Chưa phân loại.", 1)


def test_stale_version_is_a_conflict_and_changes_nothing(people, api, make_contact):
    contact = make_contact(people.hn)
    assert patch(api(people.hn2), contact.pk, {"summary": "Sửa lần 1", "version": 1}).status_code == 200

    response = patch(api(people.hn), contact.pk, {"summary": "Sửa lần 2", "version": 1})

    assert response.status_code == 409
    assert response.json()["message"]
    contact.refresh_from_db()
    assert (contact.summary, contact.version) == ("Sửa lần 1", 2)


def test_completed_contact_cannot_go_back_to_draft(people, api, make_contact):
    contact = make_contact(people.hn)
    response = patch(api(people.hn), contact.pk, {"status": "draft"})
    assert response.status_code == 422
    assert "status" in response.json()["errors"]


# --------------------------------------------------------------------------- list and search


def test_list_pages_without_a_total(people, api, make_contact):
    made = [make_contact(people.hn, summary=f"Cuộc gọi {i}") for i in range(3)]
    client = api(people.hn)

    first = client.get(URL, {"page_size": 2})
    second = client.get(URL, {"page_size": 2, "page": 2})

    assert first.json()["has_next"] is True
    assert second.json()["has_next"] is False
    assert set(first.json()) == {"items", "page", "page_size", "has_next"}
    assert sorted(listed_ids(first) + listed_ids(second)) == sorted(c.pk for c in made)
    assert first.json()["page"] == 1 and second.json()["page"] == 2


def test_page_size_is_capped_at_100(people, api):
    response = api(people.hn).get(URL, {"page_size": 101})
    assert response.status_code == 422
    assert "page_size" in response.json()["errors"]


def test_three_ways_of_writing_a_number_are_one_caller(people, api):
    client = api(people.hn)
    ids = []
    for written in ("0912 345 678", "+84912345678", "84912345678"):
        caller = {**contact_data()["caller"], "phone": written}
        response = post(client, contact_data(caller=caller))
        assert response.status_code == 201, response.content
        assert response.json()["caller"]["phone"] == "+84912345678"
        ids.append(response.json()["id"])
    post(client, contact_data(caller={"phone": "0987 000 111", "name": "Người khác"}))

    for query in ("0912 345 678", "+84912345678", "84912345678", "0912.345.678"):
        assert sorted(listed_ids(client.get(URL, {"phone": query}))) == sorted(ids), query
    assert sorted(listed_ids(client.get(URL, {"q": "0912345678"}))) == sorted(ids)


@pytest.mark.parametrize("query", ["nguyen van an", "Nguyen Van An", "NGUYỄN văn ấn", "dang",
                                   "đặng thị", "binh"])
def test_name_search_ignores_accents_and_case(people, api, make_contact, query):
    contact = make_contact(people.hn)
    make_contact(people.hn, caller={"name": "Trần Thị Hoa"}, subjects=[{"name": "Lê Minh"}])

    assert listed_ids(api(people.hn).get(URL, {"q": query})) == [contact.pk]


def test_name_search_needs_every_word(people, api, make_contact):
    make_contact(people.hn)
    assert listed_ids(api(people.hn).get(URL, {"q": "nguyen van binh tuan"})) == []


def test_date_filter_uses_vietnam_calendar_days_inclusive(people, api):
    client = api(people.hn)
    with time_machine.travel(datetime.datetime(2026, 1, 10, 5, 0, tzinfo=datetime.UTC), tick=False):
        late = post(client, contact_data(received_at="2026-01-05T23:30:00+07:00")).json()
        # 00:30 on the 6th in Hà Nội is still the 5th in UTC.
        early = post(client, contact_data(received_at="2026-01-06T00:30:00+07:00")).json()
        later = post(client, contact_data(received_at="2026-01-07T12:00:00+07:00")).json()

        assert listed_ids(client.get(URL, {"from": "2026-01-06", "to": "2026-01-06"})) == [early["id"]]
        assert listed_ids(client.get(URL, {"to": "2026-01-05"})) == [late["id"]]
        assert listed_ids(client.get(URL, {"from": "2026-01-06"})) == [later["id"], early["id"]]


def test_filters_by_codes_and_flags(people, api, make_contact):
    report = make_contact(people.hn, urgent=True)
    counselling = make_contact(people.hn, kind="counselling_psychological", topics=["mental_health"],
                               channel="zalo", subjects=[{"name": "Bé Na", "province": "79"}])
    draft = make_contact(people.hn, status="draft", kind=None, topics=[])
    client = api(people.hn)

    assert listed_ids(client.get(URL, {"kind": "report"})) == [report.pk]
    assert listed_ids(client.get(URL, {"topic": "violence"})) == [report.pk]  # category
    assert listed_ids(client.get(URL, {"topic": "mental_health"})) == [counselling.pk]
    assert listed_ids(client.get(URL, {"channel": "zalo"})) == [counselling.pk]
    assert listed_ids(client.get(URL, {"province": "79"})) == [counselling.pk]
    assert listed_ids(client.get(URL, {"urgent": "true"})) == [report.pk]
    assert listed_ids(client.get(URL, {"status": "draft"})) == [draft.pk]
    assert listed_ids(client.get(URL, {"centre": "AG"})) == []


@pytest.mark.parametrize("params,field", [
    ({"kind": "no_such_kind"}, "kind"), ({"topic": "nope"}, "topic"),
    ({"province": "99"}, "province"), ({"channel": "pigeon"}, "channel"),
    ({"status": "closed"}, "status"), ({"phone": "12"}, "phone"),
    ({"from": "05/01/2026"}, "from"), ({"from": "2026-01-07", "to": "2026-01-06"}, "to"),
    ({"page": "0"}, "page"), ({"urgent": "maybe"}, "urgent"),
])
def test_list_filter_that_means_nothing_is_422(people, api, params, field):
    response = api(people.hn).get(URL, params)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert response.json()["message"]


def test_list_and_search_are_audited_with_the_ids_shown(people, api, make_contact):
    contact = make_contact(people.hn)
    client = api(people.hn)
    client.get(URL)
    client.get(URL, {"q": "nguyen"})

    listed = AuditEvent.objects.get(action="list", via="api")
    searched = AuditEvent.objects.get(action="search", via="api")
    assert listed.object_ids == [contact.pk] and searched.object_ids == [contact.pk]
    assert searched.detail["filters"] == {"q": True}  # never the search text itself


# --------------------------------------------------------------------------- reach


@pytest.fixture
def hanoi_contact(people, make_contact):
    return make_contact(people.hn)


def test_southern_counsellor_cannot_reach_a_hanoi_contact(people, api, hanoi_contact):
    client = api(people.ag)
    pk = hanoi_contact.pk

    assert client.get(f"{URL}/{pk}").status_code == 404
    assert patch(client, pk, {"summary": "Xoá"}).status_code == 404
    assert pk not in listed_ids(client.get(URL))
    assert pk not in listed_ids(client.get(URL, {"q": "nguyen van an"}))
    assert pk not in listed_ids(client.get(URL, {"phone": "0912345678"}))

    hanoi_contact.refresh_from_db()
    assert hanoi_contact.summary == contact_data()["summary"]
    denied = AuditEvent.objects.filter(action="denied", actor=people.ag, via="api")
    assert sorted(e.detail["attempt"] for e in denied) == ["update", "view"]
    assert all(e.object_id == pk for e in denied)
    lists = AuditEvent.objects.filter(actor=people.ag, action__in=["list", "search"], via="api")
    assert sorted(e.action for e in lists) == ["list", "search", "search"]
    assert all(pk not in e.object_ids for e in lists)


def test_not_found_looks_the_same_inside_and_outside_reach(people, api, hanoi_contact):
    client = api(people.ag)
    outside = client.get(f"{URL}/{hanoi_contact.pk}")
    missing = client.get(f"{URL}/{hanoi_contact.pk + 1000}")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()


@pytest.mark.parametrize("who", ["police", "commune", "analyst"])
def test_partners_and_analysts_see_no_contacts(people, api, hanoi_contact, who):
    client = api(getattr(people, who))

    assert listed_ids(client.get(URL)) == []
    assert listed_ids(client.get(URL, {"phone": "0912345678"})) == []
    assert client.get(f"{URL}/{hanoi_contact.pk}").status_code == 404
    assert patch(client, hanoi_contact.pk, {"summary": "x"}).status_code == 404


@pytest.mark.parametrize("who", ["police", "commune", "analyst", "admin", "hn_manager"])
def test_roles_that_do_not_record_contacts_get_403_and_nothing_is_stored(people, api, who):
    before = Contact.objects.count()
    response = post(api(getattr(people, who)), contact_data())
    assert response.status_code == 403
    assert response.json()["message"]
    assert Contact.objects.count() == before


def test_national_admin_sees_every_centre(people, api, make_contact):
    hanoi = make_contact(people.hn)
    south = make_contact(people.ag)
    client = api(people.admin)

    assert sorted(listed_ids(client.get(URL))) == sorted([hanoi.pk, south.pk])
    assert client.get(f"{URL}/{south.pk}").status_code == 200
    assert listed_ids(client.get(URL, {"centre": "AG"})) == [south.pk]


def test_sql_and_html_in_text_are_stored_and_returned_verbatim(people, api):
    summary = "'; DROP TABLE contacts_contact; -- <script>alert('x')</script> <b>đậm</b>"
    response = post(api(people.hn), contact_data(summary=summary, notes="\" OR 1=1 --"))

    assert response.status_code == 201
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["summary"] == summary
    contact = Contact.objects.get(pk=response.json()["id"])
    assert contact.summary == summary and contact.notes == "\" OR 1=1 --"
    assert api(people.hn).get(f"{URL}/{contact.pk}").json()["summary"] == summary


def test_list_query_count_does_not_grow_with_the_page(people, api, make_contact):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(people.hn)
    client.get("/api/v1/me")  # first use of the token writes last_used_at; keep it out
    make_contact(people.hn)
    client.get(URL)  # and the reference tables the first list reads into the cache
    with CaptureQueriesContext(connection) as one:
        assert len(listed_ids(client.get(URL))) == 1
    for _ in range(4):
        make_contact(people.hn)
    with CaptureQueriesContext(connection) as five:
        assert len(listed_ids(client.get(URL))) == 5
    assert len(five) == len(one)
