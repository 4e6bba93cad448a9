"""GET /api/v1/reports/summary: shape, reach, and clear 4xx for bad parameters."""

from __future__ import annotations

import pytest
import time_machine

from tests.support.reports import at, build
from tongdai.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/summary"


@pytest.fixture(autouse=True)
def _after_the_facts():
    with time_machine.travel(at(7, 2, 9), tick=False):
        yield


def test_summary_json_has_every_figure_keyed_by_codes(people, api):
    build(people)
    response = api(people.analyst).get(URL, {"from": "2026-06-01", "to": "2026-06-30"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["total"] == 8
    for key in ("by_kind", "by_topic", "by_channel", "by_region", "by_province", "by_relation",
                "referrals_by_outcome"):
        assert isinstance(body[key], dict) and all(isinstance(v, int) for v in body[key].values())
    assert body["by_region"]["CH"] == 1 and body["by_province"]["51"] == 1
    assert body["by_kind"]["referral"] == 1 and body["people_rescued"] == 3
    assert body["referrals_by_outcome"]["rescued"] == 2
    # Aggregates only: no names or phone numbers from the dataset appear anywhere.
    text = response.content.decode()
    assert "Trẻ" not in text and "Nguyễn" not in text and "+84" not in text


def test_centre_roles_get_their_centre_and_403_for_another(people, api):
    build(people)
    client = api(people.ag_super)
    own = client.get(URL, {"from": "2026-06-01", "to": "2026-06-30"})
    assert own.status_code == 200 and own.json()["centre"] == "AG" and own.json()["total"] == 1
    other = client.get(URL, {"from": "2026-06-01", "to": "2026-06-30", "centre": "HN"})
    assert other.status_code == 403 and "trung tâm" in other.json()["message"]
    assert AuditEvent.objects.filter(actor=people.ag_super, action="denied",
                                     object_type="report").exists()
    national = api(people.analyst).get(URL, {"from": "2026-06-01", "to": "2026-06-30", "centre": "HN"})
    assert national.status_code == 200 and national.json()["total"] == 7


def test_roles_without_reports_get_403(people, api):
    response = api(people.hn).get(URL, {"from": "2026-06-01", "to": "2026-06-30"})
    assert response.status_code == 403 and response.json()["message"]


def test_no_token_is_401(client):
    assert client.get(URL, {"from": "2026-06-01", "to": "2026-06-30"}).status_code == 401


@pytest.mark.parametrize("params, field", [
    ({"from": "2026-06-30", "to": "2026-06-01"}, "to"),
    ({"from": "2026-6-1", "to": "2026-06-30"}, "from"),
    ({"from": "01/06/2026", "to": "2026-06-30"}, "from"),
    ({"from": "2026-06-01", "to": "2026-02-30"}, "to"),
    ({"from": "2010-01-01", "to": "2026-06-30"}, "to"),
    ({"to": "2026-06-30"}, "from"),
    ({"from": "2026-06-01", "to": "2026-06-30", "centre": "XX"}, "centre"),
    ({"from": "2026-06-01\x00", "to": "2026-06-30"}, "from"),
])
def test_bad_parameters_are_422_with_the_field(people, api, params, field):
    response = api(people.admin).get(URL, params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["message"] and field in body["errors"]


def test_messages_are_vietnamese_by_default(people, api):
    response = api(people.admin).get(URL, {"from": "2026-06-30", "to": "2026-06-01"})
    assert response.status_code == 422
    assert response.json()["errors"]["to"] != "The end date is before the start date."


def test_reach_is_checked_before_the_period(people, api):
    """Fails closed: someone without reach gets 403 (and a refusal in the trail) even
    when the dates are wrong, never a 422 telling them what to fix."""
    response = api(people.hn).get(URL, {"from": "not-a-date", "to": "2026-06-30"})
    assert response.status_code == 403
    other = api(people.ag_super).get(URL, {"from": "2026-06-30", "to": "2026-06-01", "centre": "HN"})
    assert other.status_code == 403
    assert AuditEvent.objects.filter(action="denied", object_type="report").count() == 2
