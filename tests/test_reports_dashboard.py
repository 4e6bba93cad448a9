"""Dashboard figures beyond the summary: live counters, trends, deadlines met, calls."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from tests.support.reports import JUNE, at, build
from tongdai.reports.services import ReportForbidden, dashboard_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _after_the_facts():
    with time_machine.travel(at(7, 2, 9), tick=False):
        yield


def test_trends_by_day_month_and_year_keep_empty_buckets(people):
    build(people)
    daily = dashboard_data(people.admin, *JUNE, unit="day")
    assert daily["unit"] == "day" and len(daily["trend"]) == 30
    trend = dict(daily["trend"])
    assert trend["2026-06-30"] == 1 and trend["2026-06-01"] == 1 and trend["2026-06-02"] == 0
    assert sum(trend.values()) == 8
    monthly = dashboard_data(people.admin, datetime.date(2026, 4, 15), datetime.date(2026, 7, 31),
                             unit="month")
    assert monthly["trend"] == [("2026-04", 0), ("2026-05", 1), ("2026-06", 8), ("2026-07", 1)]
    yearly = dashboard_data(people.analyst, datetime.date(2025, 1, 1), datetime.date(2026, 12, 31),
                            unit="year")
    assert yearly["trend"] == [("2025", 0), ("2026", 10)]
    # A day-by-day trend over years would be unreadable: the unit falls back to months.
    assert dashboard_data(people.admin, datetime.date(2025, 1, 1), datetime.date(2026, 6, 30),
                          unit="day")["unit"] == "month"


def test_live_counters_today_and_this_week(people):
    build(people)
    # Thursday 2 July 2026: this week runs from Monday 29 June (c6 on 30 Jun, c7 on 1 Jul).
    data = dashboard_data(people.hn_manager)
    assert data["today"] == 0 and data["week"] == 2 and data["week_start"] == datetime.date(2026, 6, 29)
    assert data["period"].date_to == datetime.date(2026, 7, 2)


def test_deadlines_met_on_time_late_and_missed(people):
    from tongdai.deadlines.services import deadline_meet, deadline_open

    d = build(people)
    hours = datetime.timedelta(hours=1)
    with time_machine.travel(at(6, 10), tick=False):
        deadline_open(d.case3, "emergency_12h", start=at(6, 10))  # due 10 Jun 22:00
        deadline_open(d.case4, "emergency_12h", start=at(6, 10))
        deadline_open(d.case0, "emergency_12h", start=at(6, 10))
        deadline_open(d.case4, "verification_3d", start=at(6, 10))
    deadline_meet(d.case3, "emergency_12h", at=at(6, 10) + 2 * hours)
    deadline_meet(d.case4, "emergency_12h", at=at(6, 11))
    figures = dashboard_data(people.admin, *JUNE)["deadlines"]
    assert figures["emergency_12h"] == {"due": 3, "on_time": 1, "late": 1, "missed": 1, "open": 0}
    assert figures["verification_3d"]["due"] == 1 and figures["verification_3d"]["missed"] == 1
    assert dashboard_data(people.ag_super, *JUNE)["deadlines"]["emergency_12h"]["due"] == 0


def test_answered_and_abandoned_calls_where_telephony_data_exists(people):
    from tongdai.telephony.models import Call

    for i, (centre, state, answered) in enumerate([("HN", "ended", True), ("HN", "answered", True),
                                                   ("HN", "abandoned", False), ("AG", "abandoned", False)]):
        Call.objects.create(provider="generic", provider_call_id=f"c{i}", state=state,
                            centre_id=centre, started_at=at(6, 3),
                            answered_at=at(6, 3, 10, 1) if answered else None)
    Call.objects.create(provider="generic", provider_call_id="july", state="abandoned",
                        centre_id="HN", started_at=at(7, 1, 0, 10))
    hn = dashboard_data(people.hn_super, *JUNE)["telephony"]
    assert hn == {"offered": 3, "answered": 2, "abandoned": 1, "answer_rate": 66.7}
    national = dashboard_data(people.analyst, *JUNE)["telephony"]
    assert national["offered"] == 4 and national["abandoned"] == 2


def test_the_dashboard_has_the_same_reach_rules(people):
    with pytest.raises(ReportForbidden):
        dashboard_data(people.ag_super, centre="HN")
    with pytest.raises(ReportForbidden):
        dashboard_data(people.hn)
    assert dashboard_data(people.analyst, centre="DN")["centre"] == "DN"
