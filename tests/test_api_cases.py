"""API v1 cases: open, read, list and search, notes; reach and bad input."""

from __future__ import annotations

import datetime
import json

import pytest
import time_machine

from tongdai.audit.models import Action, AuditEvent
from tongdai.cases.models import Case, CaseEvent
from tongdai.cases.services import case_open, case_restrict

pytestmark = pytest.mark.django_db

URL = "/api/v1/cases"


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def hn_case(people, make_contact):
    contact = make_contact(people.hn, urgent=True)
    return case_open(people.hn_casemgr, [contact.pk], "child_protection", via="test")


def test_open_a_case_returns_201_and_the_case(api, people, make_contact):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 3, 0, tzinfo=datetime.UTC), tick=False):
        first = make_contact(people.hn, urgent=True)
    second = make_contact(people.hn)
    response = post(api(people.hn_casemgr), URL, {"contacts": [second.pk, first.pk],
                                                   "type": "child_protection", "title": "Bé B."})
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get()
    assert body["id"] == case.pk and body["number"] == case.number and body["centre"] == "HN"
    assert body["type"] == "child_protection" and body["stage"] == "intake" and body["status"] == "open"
    assert body["sensitivity"] == "normal" and body["urgent"] is True and body["title"] == "Bé B."
    assert body["case_manager"] == "hn_casemgr" and body["version"] == case.version
    assert body["received_at"] == "2026-03-02T03:00:00Z" and body["closed_at"] is None
    assert body["contacts"] == sorted([first.pk, second.pk])
    assert {"role": "child_victim", "name": "Đặng Thị Bình", "sex": "female", "age": 9, "province": "01",
            "commune": None, "country": None} in body["people"]
    assert AuditEvent.objects.filter(action=Action.CREATE, object_type="case", via="api").exists()


def test_get_one_case_is_audited(api, people, hn_case):
    response = api(people.hn).get(f"{URL}/{hn_case.pk}")
    assert response.status_code == 200 and response.json()["number"] == hn_case.number
    assert AuditEvent.objects.filter(action=Action.VIEW, object_type="case", object_id=hn_case.pk,
                                     actor=people.hn, via="api").exists()


def test_list_and_search_cases(api, people, make_contact, hn_case):
    other = case_open(people.hn, [make_contact(people.hn).pk], "missing_person", via="test")
    client = api(people.hn_casemgr)
    body = client.get(URL).json()
    assert [c["id"] for c in body["items"]] == [other.pk, hn_case.pk]
    assert (body["page"], body["page_size"], body["has_next"]) == (1, 25, False)

    def ids(**params):
        return [c["id"] for c in client.get(URL, params).json()["items"]]

    assert ids(q=hn_case.number) == [hn_case.pk]
    assert ids(q="dang thi binh", type="child_protection") == [hn_case.pk]
    assert ids(mine="true") == [hn_case.pk]
    assert ids(urgent="false") == [other.pk]
    assert ids(stage="open", status="open") == [other.pk]
    assert ids(page_size=1) == [other.pk] and ids(page_size=1, page=2) == [hn_case.pk]
    assert client.get(URL, {"page_size": 1}).json()["has_next"] is True
    assert AuditEvent.objects.filter(action=Action.SEARCH, object_type="case", object_ids=[hn_case.pk],
                                     via="api").exists()


def test_a_southern_counsellor_gets_404_and_no_list_rows(api, people, hn_case):
    client = api(people.ag)
    response = client.get(f"{URL}/{hn_case.pk}")
    assert response.status_code == 404 and response.json()["message"]
    assert AuditEvent.objects.filter(action=Action.DENIED, object_type="case", object_id=hn_case.pk,
                                     actor=people.ag).exists()
    assert client.get(URL).json()["items"] == []
    assert client.get(URL, {"q": hn_case.number}).json()["items"] == []
    assert post(client, f"{URL}/{hn_case.pk}/notes", {"text": "x"}).status_code == 404


@pytest.mark.parametrize("persona", ["police", "commune", "analyst"])
def test_partners_and_analysts_reach_no_case(api, people, hn_case, persona):
    client = api(getattr(people, persona))
    assert client.get(URL).json()["items"] == []
    assert client.get(URL, {"q": hn_case.number}).json()["items"] == []
    assert client.get(f"{URL}/{hn_case.pk}").status_code == 404
    assert post(client, f"{URL}/{hn_case.pk}/notes", {"text": "x"}).status_code == 404
    response = post(client, URL, {"contacts": [hn_case.contacts.get().pk], "type": "other"})
    assert response.status_code == 403 and response.json()["message"]
    assert Case.objects.count() == 1 and not hn_case.events.filter(kind="note").exists()


def test_a_restricted_case_is_only_for_named_people(api, people, hn_case):
    case_restrict(people.hn_super, hn_case.pk, [people.hn.pk], via="test")
    assert api(people.hn).get(f"{URL}/{hn_case.pk}").status_code == 200
    assert api(people.hn2).get(f"{URL}/{hn_case.pk}").status_code == 404
    assert api(people.hn2).get(URL).json()["items"] == []


def test_notes_are_added_and_kept_as_typed(api, people, hn_case):
    response = post(api(people.hn), f"{URL}/{hn_case.pk}/notes", {"text": "<b>gọi lại</b>"})
    assert response.status_code == 201 and response.json()["kind"] == "note"
    assert CaseEvent.objects.get(pk=response.json()["id"]).text == "<b>gọi lại</b>"
    response = post(api(people.hn), f"{URL}/{hn_case.pk}/notes", {"text": "  "})
    assert response.status_code == 422 and "text" in response.json()["errors"]


def _bad_bodies(people, make_contact):
    hn_contact = make_contact(people.hn)
    return [
        ({"contacts": [hn_contact.pk], "type": "wizardry"}, "type"),
        ({"contacts": [hn_contact.pk]}, "type"),
        ({"type": "other"}, "contacts"),
        ({"contacts": [], "type": "other"}, "contacts"),
        ({"contacts": [str(hn_contact.pk)], "type": "other"}, "contacts.0"),
        ({"contacts": hn_contact.pk, "type": "other"}, "contacts"),
        ({"contacts": [hn_contact.pk], "type": "other", "title": 5}, "title"),
        ({"contacts": [hn_contact.pk], "type": "other", "colour": "red"}, "colour"),
        ({"contacts": [987654321], "type": "other"}, "contacts"),
        ({"contacts": [2**70], "type": "other"}, "contacts"),
        ({"contacts": [make_contact(people.ag).pk], "type": "other"}, "contacts"),
        ({"contacts": [make_contact(people.hn, status="draft").pk], "type": "other"}, "contacts"),
        ({"contacts": [hn_contact.pk], "type": "other", "title": "a\x00b"}, "title"),
    ]


def test_bad_input_is_a_422_with_field_errors_and_stores_nothing(api, people, make_contact):
    client = api(people.hn)
    for body, field in _bad_bodies(people, make_contact):
        response = post(client, URL, body)
        assert response.status_code == 422, (body, response.content)
        assert field in response.json()["errors"], (body, response.json())
    assert not Case.objects.exists()


@pytest.mark.parametrize("raw", ["{", "[1, 2]", '"text"', "", "null"])
def test_malformed_json_is_a_4xx_never_a_500(api, people, raw):
    response = api(people.hn).post(URL, raw, content_type="application/json")
    assert 400 <= response.status_code < 500 and response.json()["message"]
    assert not Case.objects.exists()


@pytest.mark.parametrize("params", [{"status": "lost"}, {"type": "x"}, {"page": 0}, {"page_size": 500},
                                    {"urgent": "maybe"}, {"q": "x\x00"}])
def test_bad_list_filters_are_a_422(api, people, params):
    response = api(people.hn).get(URL, params)
    assert response.status_code == 422 and response.json()["errors"]


def test_unknown_or_huge_case_ids_are_404(api, people):
    client = api(people.hn)
    assert client.get(f"{URL}/424242").status_code == 404
    assert client.get(f"{URL}/99999999999999999999999").status_code == 404


def test_without_a_token_cases_are_401(client):
    assert client.get(URL).status_code == 401
