"""The standard report's figures on a fixed dataset (tests/support/reports.py), checked
against counts worked out by hand from that dataset's description."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from tests.support.reports import JUNE, MAY, at, build
from tongdai.reports.services import ReportForbidden, ReportInvalid, report_summary

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(people):
    return build(people)


@pytest.fixture(autouse=True)
def _after_the_facts():
    with time_machine.travel(at(7, 2, 9), tick=False):
        yield


def nonzero(counts: dict) -> dict:
    return {k: v for k, v in counts.items() if v}


def test_national_june_figures_match_the_hand_count(people, data):
    s = report_summary(people.analyst, *JUNE)
    # c1 c2 c3 c4 c5 c6 c8 (Hà Nội) + a1 (An Giang); not c0 (May), c7 (1 Jul 00:10), d1 (draft)
    assert s["total"] == 8
    assert nonzero(s["by_kind"]) == {
        "information": 3, "counselling_psychological": 1, "counselling_policy": 1,
        "counselling_services": 1, "referral": 1, "silent": 1}
    assert s["by_kind"]["report"] == 0  # c3 was reclassified report -> referral
    assert nonzero(s["by_topic"]) == {
        "violence": 2, "violence_physical": 1, "violence_bullying": 1,
        "mental_health": 1, "mental_health_anxiety": 1, "mental_health_depression": 1,
        "trafficking": 2, "trafficking_sexual": 1, "trafficking_labour": 1,
        "safe_migration": 1, "migration_abroad": 1, "family": 1, "family_parenting": 1}
    assert nonzero(s["by_channel"]) == {"phone_111": 5, "zalo": 1, "facebook": 1, "email": 1}
    assert nonzero(s["by_relation"]) == {
        "neighbour_witness": 1, "child_self": 1, "relative_friend": 1, "victim_self": 2,
        "parent": 1, "teacher": 1, "unknown": 1}
    # c4's legacy Kon Tum counts in Quảng Ngãi (51) and in the Central Highlands.
    assert nonzero(s["by_province"]) == {"01": 2, "31": 1, "15": 1, "51": 1, "79": 1, "unknown": 2}
    assert nonzero(s["by_region"]) == {"RRD": 3, "NE": 1, "CH": 1, "SE": 1, "ABROAD": 1, "unknown": 1}
    assert set(s["by_region"]) >= {"RRD", "NE", "NW", "NCC", "SCC", "CH", "SE", "MD", "ABROAD"}
    assert len([k for k in s["by_province"] if k != "unknown"]) == 34
    assert nonzero(s["by_centre"]) == {"HN": 7, "AG": 1}
    # June referrals: r1 rescued, r3 rescued, r2 declined, r4 pending; r5 revoked, r0 in May.
    assert nonzero(s["referrals_by_outcome"]) == {"rescued": 2, "declined": 1, "pending": 1}
    assert s["referral_cases"] == 3
    assert nonzero(s["referrals_by_agency_type"]) == {"police": 4}
    # case3: 1 child (first rescue 14 Jun); case4: 2 people (rescued 16 Jun);
    # case0's first support was in May, so its June rescue does not count it again.
    assert s["people_rescued"] == 3
    assert nonzero(s["people_rescued_by_case_type"]) == {"child_protection": 1,
                                                         "trafficking_identifying": 2}
    assert (s["from"], s["to"], s["centre"]) == ("2026-06-01", "2026-06-30", None)


def test_may_counts_the_first_support_and_its_referral(people, data):
    s = report_summary(people.admin, *MAY)
    assert s["total"] == 1  # c0
    assert nonzero(s["referrals_by_outcome"]) == {"supported": 1}
    assert s["people_rescued"] == 1 and nonzero(s["people_rescued_by_case_type"]) == {"child_protection": 1}


def test_a_centre_role_gets_its_own_centre(people, data):
    hn = report_summary(people.hn_manager, *JUNE)
    assert hn["centre"] == "HN" and hn["total"] == 7
    assert hn["by_kind"]["information"] == 2 and nonzero(hn["by_centre"]) == {"HN": 7}
    assert hn["people_rescued"] == 3 and hn["referral_cases"] == 3
    ag = report_summary(people.ag_super, *JUNE)
    assert ag["centre"] == "AG" and ag["total"] == 1 and ag["by_region"]["SE"] == 1
    assert ag["people_rescued"] == 0 and sum(ag["referrals_by_outcome"].values()) == 0
    assert report_summary(people.ag_super, *JUNE, centre="AG")["total"] == 1


def test_national_roles_may_narrow_to_one_centre(people, data):
    assert report_summary(people.analyst, *JUNE, centre="AG")["total"] == 1
    assert report_summary(people.admin, *JUNE, centre="HN")["total"] == 7
    assert report_summary(people.admin, *JUNE, centre="DN")["total"] == 0


@pytest.mark.parametrize("who", ["hn", "hn_casemgr", "police", "commune", "former"])
def test_roles_without_report_view_are_refused(people, who):
    with pytest.raises(ReportForbidden):
        report_summary(getattr(people, who), *JUNE)


def test_a_supervisor_cannot_read_another_centre(people):
    with pytest.raises(ReportForbidden):
        report_summary(people.ag_super, *JUNE, centre="HN")


def test_the_last_day_ends_at_midnight_hanoi_time(people, data):
    last = datetime.date(2026, 6, 30)
    assert report_summary(people.admin, last, last)["total"] == 1  # c6 at 23:30
    nxt = datetime.date(2026, 7, 1)
    assert report_summary(people.admin, nxt, nxt)["total"] == 1  # c7 at 00:10
    first = datetime.date(2026, 6, 1)
    s = report_summary(people.admin, first, first)
    assert s["total"] == 1 and s["by_kind"]["silent"] == 1  # c8 at 00:05


@pytest.mark.parametrize("dates, key", [
    ((datetime.date(2026, 6, 2), datetime.date(2026, 6, 1)), "to"),
    ((datetime.date(2010, 1, 1), datetime.date(2026, 6, 1)), "to"),
    ((datetime.date(1999, 1, 1), datetime.date(1999, 2, 1)), "from"),
])
def test_bad_periods_are_refused(people, dates, key):
    with pytest.raises(ReportInvalid) as caught:
        report_summary(people.admin, *dates)
    assert key in caught.value.errors


def test_an_unknown_centre_is_refused(people):
    with pytest.raises(ReportInvalid) as caught:
        report_summary(people.admin, *JUNE, centre="XX")
    assert "centre" in caught.value.errors


def test_editing_a_contact_moves_it_between_figures(people, data):
    from tongdai.contacts.services import contact_update

    contact_update(people.hn, data.c1.pk, {"kind": "counselling_policy",
                                           "topics": ["education_work"]}, via="test")
    s = report_summary(people.admin, *JUNE)
    assert s["by_kind"]["information"] == 2 and s["by_kind"]["counselling_policy"] == 2
    assert s["by_topic"]["violence_physical"] == 0 and s["by_topic"]["violence"] == 1
    assert s["by_topic"]["education_work"] == 1
