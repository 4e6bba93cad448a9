"""Legal deadlines on cases: opening, meeting, cancelling, who sees them, and escalation."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from tongdai.audit.models import AuditEvent
from tongdai.cases.models import CaseEvent, EventKind
from tongdai.cases.services import case_close, case_open, case_restrict
from tongdai.deadlines import tasks
from tongdai.deadlines.calendar import VN
from tongdai.deadlines.models import Deadline, DeadlineKind
from tongdai.deadlines.services import (
    deadline_cancel,
    deadline_meet,
    deadline_open,
    deadlines_due,
    deadlines_escalate_due,
    escalation_recipients,
    register_escalation_recipients,
)
from tongdai.notifications.models import Notification

UTC = datetime.UTC
# Wed 29 Apr 2026, 10:00 in Hà Nội: the day before the 30/4 - 1/5 holidays.
RECEIVED = datetime.datetime(2026, 4, 29, 3, 0, tzinfo=UTC)


def at(moment):
    return time_machine.travel(moment, tick=False)


# Cases of type "other" start no legal clock when opened (child-protection and trafficking
# cases do, see tests/test_case_core.py), so these tests drive every deadline themselves.
@pytest.fixture
def hn_case(people, make_contact):
    with at(RECEIVED):
        contact = make_contact(people.hn, urgent=True)
        return case_open(people.hn_casemgr, [contact.pk], "other", via="test")


@pytest.fixture
def ag_case(people, make_contact):
    with at(RECEIVED):
        contact = make_contact(people.ag, urgent=True)
        return case_open(people.ag, [contact.pk], "other", via="test")


# --------------------------------------------------------------------------- due times


def test_the_emergency_deadline_is_12_hours_after_the_information_was_received(hn_case):
    deadline = deadline_open(hn_case, DeadlineKind.EMERGENCY_12H)
    assert deadline.start_at == RECEIVED
    assert deadline.due_at == datetime.datetime(2026, 4, 29, 15, 0, tzinfo=UTC)


def test_the_plan_deadline_is_5_working_days_across_the_holidays_and_weekend(hn_case):
    # 30/4 and 1/5 are holidays, 2-3 May a weekend: Mon 4 .. Fri 8 May, 10:00 Hà Nội.
    deadline = deadline_open(hn_case, DeadlineKind.PLAN_5WD)
    assert deadline.due_at == datetime.datetime(2026, 5, 8, 10, 0, tzinfo=VN)


def test_verification_is_3_calendar_days_and_shelter_120_days_from_its_start(hn_case):
    verification = deadline_open(hn_case, DeadlineKind.VERIFICATION_3D)
    assert verification.due_at == RECEIVED + datetime.timedelta(days=3)
    shelter_start = datetime.datetime(2026, 5, 2, 2, 0, tzinfo=UTC)
    shelter = deadline_open(hn_case, DeadlineKind.SHELTER_120D, start=shelter_start, ref="7")
    assert shelter.due_at == datetime.datetime(2026, 8, 30, 2, 0, tzinfo=UTC)


def test_referral_ack_uses_the_configured_hours(hn_case, settings):
    settings.TONGDAI_REFERRAL_ACK_HOURS = 3
    sent = datetime.datetime(2026, 4, 29, 4, 0, tzinfo=UTC)
    deadline = deadline_open(hn_case, DeadlineKind.REFERRAL_ACK, start=sent, ref="41")
    assert deadline.due_at == sent + datetime.timedelta(hours=3)


# --------------------------------------------------------------------------- open / meet / cancel


def test_opening_twice_returns_the_same_deadline(people, hn_case):
    first = deadline_open(hn_case, DeadlineKind.EMERGENCY_12H, actor=people.hn_casemgr)
    again = deadline_open(hn_case, DeadlineKind.EMERGENCY_12H, actor=people.hn_casemgr)
    assert first.pk == again.pk and Deadline.objects.count() == 1
    other_ref = deadline_open(hn_case, DeadlineKind.REFERRAL_ACK, ref="1")
    assert deadline_open(hn_case, DeadlineKind.REFERRAL_ACK, ref="2").pk != other_ref.pk
    events = CaseEvent.objects.filter(case=hn_case, kind=EventKind.DEADLINE)
    assert events.count() == 3
    assert AuditEvent.objects.filter(object_type="deadline", action="create").count() == 3


def test_meeting_a_deadline_records_who_and_when_and_it_stays_met(people, hn_case):
    deadline_open(hn_case, DeadlineKind.EMERGENCY_12H)
    met_at = RECEIVED + datetime.timedelta(hours=5)
    met = deadline_meet(hn_case, DeadlineKind.EMERGENCY_12H, at=met_at, actor=people.commune)
    assert met.met_at == met_at and met.met_by == people.commune and not met.is_open
    assert deadline_meet(hn_case, DeadlineKind.EMERGENCY_12H) is None
    # Opening again (a later step calls it too) does not restart a met deadline.
    assert deadline_open(hn_case, DeadlineKind.EMERGENCY_12H).pk == met.pk
    event = CaseEvent.objects.filter(case=hn_case, kind=EventKind.DEADLINE).first()
    assert event.data["action"] == "met" and event.data["deadline_kind"] == "emergency_12h"
    assert AuditEvent.objects.filter(object_type="deadline", object_id=met.pk,
                                     action="complete").exists()


def test_a_cancelled_deadline_can_be_opened_again_with_a_new_start(people, hn_case):
    first = deadline_open(hn_case, DeadlineKind.SHELTER_120D, ref="3")
    cancelled = deadline_cancel(hn_case, DeadlineKind.SHELTER_120D, ref="3", actor=people.hn_casemgr)
    assert cancelled.pk == first.pk and cancelled.cancelled_at is not None
    assert deadline_cancel(hn_case, DeadlineKind.SHELTER_120D, ref="3") is None
    later = RECEIVED + datetime.timedelta(days=100)
    renewed = deadline_open(hn_case, DeadlineKind.SHELTER_120D, ref="3", start=later)
    assert renewed.pk != first.pk and renewed.due_at == later + datetime.timedelta(days=120)


def test_unknown_kinds_are_refused(hn_case):
    with pytest.raises(ValueError):
        deadline_open(hn_case, "plan_in_a_year")
    assert not Deadline.objects.exists()


# --------------------------------------------------------------------------- who sees what


def test_due_lists_follow_case_reach(people, hn_case, ag_case):
    deadline_open(hn_case, DeadlineKind.EMERGENCY_12H)
    deadline_open(ag_case, DeadlineKind.EMERGENCY_12H)
    with at(RECEIVED + datetime.timedelta(hours=1)):
        seen = {u: {d.case.number for d in deadlines_due(getattr(people, u))}
                for u in ("hn", "hn_super", "hn_manager", "ag", "ag_super", "admin", "police",
                          "commune", "analyst", "former")}
    assert seen["hn"] == seen["hn_super"] == seen["hn_manager"] == {hn_case.number}
    assert seen["ag"] == seen["ag_super"] == {ag_case.number}
    assert seen["admin"] == {hn_case.number, ag_case.number}
    assert seen["police"] == seen["commune"] == seen["analyst"] == seen["former"] == set()


def test_due_lists_leave_out_far_deadlines_met_ones_and_closed_cases(people, hn_case):
    deadline_open(hn_case, DeadlineKind.PLAN_5WD)  # due in 9 days
    deadline_open(hn_case, DeadlineKind.EMERGENCY_12H)
    deadline_open(hn_case, DeadlineKind.VERIFICATION_3D)
    deadline_meet(hn_case, DeadlineKind.VERIFICATION_3D)
    with at(RECEIVED + datetime.timedelta(hours=1)):
        assert [d.kind for d in deadlines_due(people.hn)] == ["emergency_12h"]
        case_close(people.hn_casemgr, hn_case.pk, "Trẻ đã an toàn.", via="test")
        assert not deadlines_due(people.hn).exists()


def test_deadlines_page_shows_overdue_and_soon_within_reach(client, people, hn_case, ag_case):
    deadline_open(hn_case, DeadlineKind.EMERGENCY_12H)
    deadline_open(ag_case, DeadlineKind.EMERGENCY_12H)
    deadline_open(hn_case, DeadlineKind.REFERRAL_ACK, ref="9",
                  start=RECEIVED + datetime.timedelta(hours=14))
    with at(RECEIVED + datetime.timedelta(hours=15)):
        client.force_login(people.hn)
        page = client.get(reverse("deadlines_mine"))
        html = page.content.decode()
        assert page.status_code == 200
        assert hn_case.number in html and ag_case.number not in html
        overdue, soon = html.split('id="deadlines-overdue"')[1].split('id="deadlines-soon"')
        # Due 15:00 UTC (22:00 in Hà Nội), 3 hours ago ("3 h 0 min" / "3 giờ 0 phút").
        assert hn_case.number in overdue and 'class="overdue-by">3 ' in overdue
        assert "29/04/2026 22:00" in overdue
        assert hn_case.number in soon
        assert 'id="nav-deadlines"' in html and "badge-overdue" in html

        client.force_login(people.ag_super)
        html = client.get(reverse("deadlines_mine")).content.decode()
        assert ag_case.number in html and hn_case.number not in html

        client.force_login(people.police)
        assert client.get(reverse("deadlines_mine")).status_code == 403
    client.logout()
    assert client.get(reverse("deadlines_mine")).status_code == 302


def test_a_restricted_case_s_deadlines_stay_restricted(people, hn_case):
    case_restrict(people.hn_super, hn_case.pk, [people.hn2.pk], via="test")
    deadline_open(hn_case, DeadlineKind.EMERGENCY_12H)
    with at(RECEIVED + datetime.timedelta(hours=1)):
        assert not deadlines_due(people.hn).exists()
        assert deadlines_due(people.hn2).count() == 1


# --------------------------------------------------------------------------- escalation


def _sweep(moment) -> int:
    with at(moment):
        return deadlines_escalate_due()


def test_an_overdue_deadline_goes_to_the_supervisor_then_the_centre_manager_once(
        people, hn_case, ag_case, settings):
    settings.TONGDAI_ESCALATION_LEVEL2_HOURS = 2
    deadline = deadline_open(hn_case, DeadlineKind.EMERGENCY_12H)
    due = deadline.due_at
    assert _sweep(due - datetime.timedelta(minutes=1)) == 0
    assert not Notification.objects.exists()

    assert _sweep(due + datetime.timedelta(minutes=5)) == 1
    assert _sweep(due + datetime.timedelta(minutes=10)) == 0  # twice: nothing new
    deadline.refresh_from_db()
    assert deadline.escalation_level == 1
    assert deadline.escalated_at == due + datetime.timedelta(minutes=5)
    first = Notification.objects.get()
    assert first.user == people.hn_super  # not the South's supervisor
    assert hn_case.number in first.text and "Bình" not in first.text

    assert _sweep(due + datetime.timedelta(hours=2)) == 0  # 1 h 55 after level 1
    assert _sweep(due + datetime.timedelta(hours=2, minutes=5)) == 1
    assert _sweep(due + datetime.timedelta(hours=2, minutes=10)) == 0
    assert _sweep(due + datetime.timedelta(days=3)) == 0
    assert sorted(Notification.objects.values_list("user__username", flat=True)) == [
        "hn_manager", "hn_supervisor"]
    deadline.refresh_from_db()
    assert deadline.escalation_level == 2
    escalations = CaseEvent.objects.filter(case=hn_case, kind=EventKind.DEADLINE,
                                           data__action="escalated")
    assert escalations.count() == 2


def test_met_cancelled_and_closed_case_deadlines_never_escalate(people, hn_case):
    deadline_open(hn_case, DeadlineKind.EMERGENCY_12H)
    deadline_meet(hn_case, DeadlineKind.EMERGENCY_12H)
    deadline_open(hn_case, DeadlineKind.REFERRAL_ACK, ref="5")
    deadline_cancel(hn_case, DeadlineKind.REFERRAL_ACK, ref="5")
    deadline_open(hn_case, DeadlineKind.VERIFICATION_3D)
    case_close(people.hn_casemgr, hn_case.pk, "Đã chuyển cơ quan khác.", via="test")
    assert _sweep(RECEIVED + datetime.timedelta(days=30)) == 0
    assert not Notification.objects.exists()


def test_the_periodic_task_runs_the_sweep(people, hn_case):
    deadline_open(hn_case, DeadlineKind.EMERGENCY_12H)
    with at(RECEIVED + datetime.timedelta(hours=13)):
        tasks.deadlines_escalate.call_local()
        tasks.deadlines_escalate.call_local()
    assert Notification.objects.filter(user=people.hn_super).count() == 1


def test_a_registered_hook_chooses_the_first_recipients(people, hn_case, monkeypatch):
    from tongdai.deadlines import services

    monkeypatch.setattr(services, "_LEVEL1_HOOKS", {})
    register_escalation_recipients("referral_ack")(lambda deadline: [people.police])
    ack = deadline_open(hn_case, DeadlineKind.REFERRAL_ACK, ref="12")
    plan = deadline_open(hn_case, DeadlineKind.PLAN_5WD)
    assert escalation_recipients(ack, 1) == [people.police]
    assert escalation_recipients(plan, 1) == [people.hn_super]
    assert escalation_recipients(ack, 2) == [people.hn_manager]


def test_the_case_page_partial_shows_met_overdue_and_open_deadlines(people, hn_case):
    from django.template.loader import render_to_string

    deadline_open(hn_case, DeadlineKind.EMERGENCY_12H)
    deadline_meet(hn_case, DeadlineKind.EMERGENCY_12H, at=RECEIVED + datetime.timedelta(hours=3))
    deadline_open(hn_case, DeadlineKind.VERIFICATION_3D)
    deadline_open(hn_case, DeadlineKind.PLAN_5WD)
    with at(RECEIVED + datetime.timedelta(days=4)):
        html = render_to_string("deadlines/_case_deadlines.html", {"case": hn_case})
    rows = {row.split('data-kind="')[1].split('"')[0]: row for row in html.split("<tr")[2:]}
    assert "29/04/2026 13:00" in rows["emergency_12h"]  # met at 06:00 UTC
    assert "deadline-overdue" in rows["verification_3d"]
    assert "deadline-overdue" not in rows["plan_5wd"] and "08/05/2026 10:00" in rows["plan_5wd"]
