"""Referral services: lifecycle, consent, snapshot, reach, deadlines, directory."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from tests.support.referrals import CHILD_NAME, net_fixture, send_data, shows_caller_phone  # noqa: F401
from tongdai.audit.models import AuditEvent
from tongdai.cases.models import CasePerson, EventKind
from tongdai.cases.services import case_close
from tongdai.referrals.models import Referral, ReferralStatus, WorkingGroupMember
from tongdai.referrals.services import (
    AgencyFilter,
    ReferralConflict,
    ReferralForbidden,
    ReferralInvalid,
    ReferralNotFound,
    agency_search,
    escalation_recipients,
    referral_message,
    referral_note,
    referral_send,
    referral_step,
    working_group_recipients,
)

T0 = datetime.datetime(2026, 11, 20, 3, 0, tzinfo=datetime.UTC)


def _send(people, net, agency=None, **overrides):
    return referral_send(people.hn_casemgr, net.case.pk,
                         send_data(agency or net.laocai_police, **overrides), via="test")


def test_a_referral_goes_from_sent_to_closed_and_each_step_says_who_and_when(people, net):
    with time_machine.travel(T0, tick=False):
        referral = _send(people, net)
    police = people.police
    for minutes, step, kwargs in ((10, "acknowledge", {}), (20, "accept", {}), (30, "start", {}),
                                  (90, "complete", {"outcome": "rescued", "text": "Đã giải cứu."})):
        with time_machine.travel(T0 + datetime.timedelta(minutes=minutes), tick=False):
            referral = referral_step(police, referral.pk, step, via="test", **kwargs)
    referral = referral_step(people.hn_casemgr, referral.pk, "close", via="test")
    assert referral.status == ReferralStatus.CLOSED and referral.outcome == "rescued"
    steps = list(referral.steps.values_list("status", "by__username"))
    assert steps == [("sent", "hn_casemgr"), ("acknowledged", "police_officer"),
                     ("accepted", "police_officer"), ("in_progress", "police_officer"),
                     ("completed", "police_officer"), ("closed", "hn_casemgr")]
    assert referral.acknowledged_at == T0 + datetime.timedelta(minutes=10)
    assert referral.version == 6
    timeline = net.case.events.filter(kind=EventKind.REFERRAL, data__referral=referral.pk)
    assert timeline.count() == 6
    assert AuditEvent.objects.filter(object_type="referral", object_id=referral.pk,
                                     action="update").count() == 5


@pytest.mark.parametrize(("done", "step"), [
    ([], "accept"), ([], "complete"), ([], "start"), ([], "close"),
    (["acknowledge"], "start"), (["acknowledge"], "acknowledge"),
    (["acknowledge", "accept"], "decline"),
])
def test_steps_out_of_order_are_refused_and_change_nothing(people, net, done, step):
    referral = _send(people, net)
    for earlier in done:
        referral = referral_step(people.police, referral.pk, earlier, via="test")
    actor = people.hn_casemgr if step == "close" else people.police
    with pytest.raises(ReferralConflict):
        referral_step(actor, referral.pk, step, reason="x", outcome="other", via="test")
    fresh = Referral.objects.get(pk=referral.pk)
    assert fresh.status == referral.status and fresh.version == referral.version


def test_a_completed_referral_can_no_longer_be_revoked(people, net):
    referral = _send(people, net)
    for step in ("acknowledge", "accept"):
        referral_step(people.police, referral.pk, step, via="test")
    referral_step(people.police, referral.pk, "complete", outcome="supported", via="test")
    with pytest.raises(ReferralConflict):
        referral_step(people.hn_casemgr, referral.pk, "revoke", via="test")


def test_decline_needs_a_reason_and_complete_an_outcome(people, net):
    referral = _send(people, net)
    with pytest.raises(ReferralInvalid) as exc:
        referral_step(people.police, referral.pk, "decline", reason="  ", via="test")
    assert "reason" in exc.value.errors
    referral_step(people.police, referral.pk, "acknowledge", via="test")
    referral_step(people.police, referral.pk, "accept", via="test")
    with pytest.raises(ReferralInvalid):
        referral_step(people.police, referral.pk, "complete", outcome="magic", via="test")
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.ACCEPTED


def test_a_stale_version_is_refused_with_a_conflict(people, net):
    referral = _send(people, net)
    referral_step(people.police, referral.pk, "acknowledge", version=1, via="test")
    with pytest.raises(ReferralConflict):
        referral_step(people.police, referral.pk, "accept", version=1, via="test")
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.ACKNOWLEDGED


# --------------------------------------------------------------------------- consent


def test_a_child_of_seven_or_over_and_the_representative_must_both_consent(people, net):
    for consent in ({"child": False, "representative": True}, {"child": True, "representative": False},
                    {}):
        with pytest.raises(ReferralInvalid) as exc:
            _send(people, net, consent=consent)
        assert "tính mạng hoặc sức khỏe bị đe dọa" in str(exc.value)
    assert not Referral.objects.exists()
    assert _send(people, net, consent={"child": True, "representative": True}).child_age == 9


def test_under_seven_the_representative_consents_alone(people, net):
    with pytest.raises(ReferralInvalid):
        _send(people, net, consent={"child": True, "child_age": 6})
    referral = _send(people, net, consent={"representative": True, "child_age": 6})
    assert referral.child_age == 6 and not referral.consent_child


def test_life_or_health_in_danger_waives_consent_with_a_reason(people, net):
    with pytest.raises(ReferralInvalid) as exc:
        _send(people, net, consent={"emergency_exemption": True})
    assert "consent.reason" in exc.value.errors
    referral = _send(people, net, consent={"emergency_exemption": True,
                                           "reason": "Trẻ đang bị giam giữ, nguy hiểm tính mạng."})
    assert referral.emergency_exemption and not referral.consent_child


# --------------------------------------------------------------------------- snapshot


def test_the_snapshot_holds_only_the_shared_fields_frozen_at_sending(people, net):
    referral = _send(people, net, share=["child_age", "child_sex"])
    CasePerson.objects.filter(case=net.case).update(age=10)
    referral.refresh_from_db()
    assert referral.snapshot == {"case_number": net.case.number,
                                 "fields": {"child_age": 9, "child_sex": "Nữ"}}
    assert CHILD_NAME not in str(referral.snapshot)
    named = _send(people, net, share=["child_name"])
    assert named.snapshot["fields"] == {"child_name": CHILD_NAME}


def test_the_reporter_contact_is_shared_only_if_the_caller_agreed(people, net, make_contact):
    with pytest.raises(ReferralInvalid) as exc:
        _send(people, net, share=["reporter_contact"])
    assert "share" in exc.value.errors
    net.contact.caller_consent_share = True
    net.contact.save(update_fields=["caller_consent_share"])
    referral = _send(people, net, share=["reporter_contact"])
    assert shows_caller_phone(str(referral.snapshot))


def test_unknown_share_codes_are_refused(people, net):
    with pytest.raises(ReferralInvalid):
        _send(people, net, share=["notes"])


# --------------------------------------------------------------------------- refusals


def test_a_closed_case_cannot_be_referred(people, net):
    case_close(people.hn_casemgr, net.case.pk, "Đã an toàn.")
    with pytest.raises(ReferralInvalid) as exc:
        _send(people, net)
    assert "case" in exc.value.errors and not Referral.objects.exists()


def test_an_unknown_or_inactive_agency_is_refused(people, net):
    with pytest.raises(ReferralInvalid) as exc:
        referral_send(people.hn_casemgr, net.case.pk, {**send_data(net.laocai_police), "agency": 999999})
    assert "agency" in exc.value.errors
    net.hanoi_shelter.active = False
    net.hanoi_shelter.save()
    with pytest.raises(ReferralInvalid):
        _send(people, net, agency=net.hanoi_shelter)
    with pytest.raises(ReferralInvalid):
        referral_send(people.hn_casemgr, net.case.pk, {**send_data(net.laocai_police), "agency": "abc"})
    assert not Referral.objects.exists()


def test_outsiders_cannot_send_and_the_refusal_is_audited(people, net):
    for user in (people.ag, people.police, people.analyst):
        with pytest.raises(ReferralNotFound):
            referral_send(user, net.case.pk, send_data(net.laocai_police))
    assert AuditEvent.objects.filter(action="denied", object_type="case",
                                     object_id=net.case.pk).count() == 3
    assert not Referral.objects.exists()


def test_only_the_partner_acts_as_partner_and_only_the_hotline_revokes(people, net):
    referral = _send(people, net)
    with pytest.raises(ReferralForbidden):
        referral_step(people.hn_casemgr, referral.pk, "acknowledge", via="test")
    with pytest.raises(ReferralForbidden):
        referral_step(people.police, referral.pk, "revoke", via="test")
    for other in (net.hanoi_officer, people.commune, people.ag):
        with pytest.raises(ReferralNotFound):
            referral_step(other, referral.pk, "acknowledge", via="test")
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.SENT


# --------------------------------------------------------------------------- reach


REACH = {"hn": True, "hn2": True, "hn_super": True, "hn_casemgr": True, "hn_manager": True,
         "ag": False, "ag_super": False, "dn": False, "admin": True, "analyst": False,
         "police": True, "commune": False, "former": False, "hanoi_officer": False}


@pytest.mark.parametrize("persona", sorted(REACH))
def test_referral_reach_queryset_and_object_agree(people, net, persona):
    referral = _send(people, net)
    user = getattr(net, persona, None) or getattr(people, persona)
    in_query = Referral.objects.visible_to(user).filter(pk=referral.pk).exists()
    assert in_query == referral.is_visible_to(user) == REACH[persona]


def test_a_commune_worker_sees_referrals_to_their_commune_committee_only(people, net):
    to_commune = _send(people, net, agency=net.committee)
    to_police = _send(people, net)
    visible = set(Referral.objects.visible_to(people.commune).values_list("pk", flat=True))
    assert visible == {to_commune.pk}
    assert to_commune.is_visible_to(people.commune) and not to_police.is_visible_to(people.commune)


def test_a_revoked_referral_disappears_from_the_partner(people, net):
    referral = _send(people, net)
    referral_step(people.hn_casemgr, referral.pk, "revoke", reason="Nhầm đơn vị.", via="test")
    referral.refresh_from_db()
    assert not Referral.objects.visible_to(people.police).exists()
    assert not referral.is_visible_to(people.police)
    assert referral.is_visible_to(people.hn)


def test_restricted_cases_keep_their_referrals_restricted(people, net):
    from tongdai.cases.services import case_restrict

    referral = _send(people, net)
    case_restrict(people.hn_super, net.case.pk, [people.hn_casemgr.pk])
    referral = Referral.objects.get(pk=referral.pk)
    assert not referral.is_visible_to(people.hn)
    assert not Referral.objects.visible_to(people.hn).exists()
    assert referral.is_visible_to(people.police)  # the partner keeps what was sent to it


# --------------------------------------------------------------------------- messages


def test_messages_go_both_ways_and_notes_come_from_the_partner(people, net):
    referral = _send(people, net)
    referral_message(people.police, referral.pk, "Cần địa chỉ cụ thể.")
    referral_message(people.hn_casemgr, referral.pk, "Sẽ gọi lại.")
    referral_note(people.police, referral.pk, "Đã cử cán bộ.")
    assert list(referral.messages.values_list("from_partner", flat=True)) == [True, False]
    assert referral.notes.count() == 1
    with pytest.raises(ReferralForbidden):
        referral_note(people.hn_casemgr, referral.pk, "x")
    with pytest.raises(ReferralInvalid):
        referral_message(people.police, referral.pk, "")
    with pytest.raises(ReferralNotFound):
        referral_message(net.hanoi_officer, referral.pk, "x")


# --------------------------------------------------------------------------- deadlines, notices


def test_an_urgent_referral_opens_the_ack_deadline_and_acknowledging_meets_it(people, net, settings):
    from tongdai.deadlines.models import Deadline

    settings.TONGDAI_REFERRAL_ACK_HOURS = 2
    with time_machine.travel(T0, tick=False):
        referral = _send(people, net)
    deadline = Deadline.objects.get(case=net.case, kind="referral_ack", ref=str(referral.pk))
    assert deadline.start_at == T0 and deadline.due_at == T0 + datetime.timedelta(hours=2)
    assert deadline.met_at is None
    with time_machine.travel(T0 + datetime.timedelta(minutes=30), tick=False):
        referral_step(people.police, referral.pk, "acknowledge", via="test")
    deadline.refresh_from_db()
    assert deadline.met_at == T0 + datetime.timedelta(minutes=30)


def test_a_non_urgent_referral_opens_no_deadline(people, net):
    from tongdai.deadlines.models import Deadline

    _send(people, net, urgent=False)
    assert not Deadline.objects.filter(kind="referral_ack").exists()


def test_the_working_group_member_of_the_agency_type_is_told_on_escalation(people, net):
    from tongdai.deadlines.models import Deadline
    from tongdai.deadlines.services import escalation_recipients as deadline_recipients

    WorkingGroupMember.objects.create(agency_type="police", user=people.hn_super)
    WorkingGroupMember.objects.create(agency_type="shelter", user=people.hn_manager)
    WorkingGroupMember.objects.create(agency_type="police", name="Ông A", phone="0241234567")
    referral = _send(people, net)
    assert working_group_recipients(referral) == [people.hn_super]
    deadline = Deadline.objects.get(kind="referral_ack", ref=str(referral.pk))
    assert escalation_recipients(deadline) == [people.hn_super]
    assert deadline_recipients(deadline) == [people.hn_super]


def test_sending_notifies_the_agency_users_without_personal_data(people, net):
    from tongdai.notifications.models import Notification

    referral = _send(people, net, share=["child_name"])
    notes = list(Notification.objects.filter(user=people.police))
    assert len(notes) == 1
    assert net.case.number in notes[0].text and net.laocai_police.name in notes[0].text
    assert CHILD_NAME not in notes[0].text and str(referral.pk) in notes[0].url
    assert not Notification.objects.filter(user=net.hanoi_officer).exists()


# --------------------------------------------------------------------------- directory


def _names(**kwargs):
    return set(agency_search(AgencyFilter(**kwargs)).values_list("name", flat=True))


def test_directory_by_province_and_service_gives_the_province_police_and_national_ones(people, net):
    assert _names(province="01", service="rescue") == {"Công an thành phố Hà Nội",
                                                        "Cục Cảnh sát hình sự"}
    assert _names(province="15", service="rescue") == {"Công an tỉnh Lào Cai", "Cục Cảnh sát hình sự"}
    assert _names(province="01", type="shelter") == {"Nhà tạm lánh Hà Nội"}


def test_directory_by_commune_includes_its_committee_and_accents_are_optional(people, net):
    commune = people.commune.commune
    found = _names(commune=commune.code)
    assert net.committee.name in found and "Công an thành phố Hà Nội" in found
    assert "Công an tỉnh Lào Cai" not in found
    assert _names(q="nha tam lanh") == {"Nhà tạm lánh Hà Nội"}


def test_directory_refuses_unknown_codes(people, net):
    for kwargs in ({"province": "99"}, {"service": "magic"}, {"type": "army"}, {"commune": "00000"}):
        with pytest.raises(ReferralInvalid):
            agency_search(AgencyFilter(**kwargs))


def test_demo_directory_has_a_police_unit_and_a_shelter_per_province_and_is_idempotent(db):
    from tongdai.accounts.models import Agency, AgencyType
    from tongdai.demo import demo_agencies
    from tongdai.geo.models import Commune, Province

    demo_agencies()
    assert demo_agencies() == 0
    provinces = Province.objects.count()
    for agency_type in (AgencyType.POLICE, AgencyType.SHELTER):
        covered = set(Agency.objects.filter(type=agency_type, profile__jurisdiction="provinces")
                      .values_list("profile__provinces", flat=True))
        assert len(covered) == provinces == 34
    assert _names(province="15", type="police") >= {"Công an tỉnh Lào Cai"}
    commune = Commune.objects.filter(province_id="01").order_by("code").first()
    assert Agency.objects.get(type="commune_committee").profile.commune == commune
    assert set(WorkingGroupMember.objects.values_list("agency_type", flat=True)) == set(AgencyType.values)


def test_an_unacknowledged_urgent_referral_escalates_to_the_working_group_on_time(people, net, settings):
    from tongdai.deadlines.services import deadlines_escalate_due
    from tongdai.notifications.models import Notification

    settings.TONGDAI_REFERRAL_ACK_HOURS = 2
    WorkingGroupMember.objects.create(agency_type="police", user=people.hn_super)
    with time_machine.travel(T0, tick=False):
        _send(people, net)
    told = Notification.objects.filter(user=people.hn_super)
    before = told.count()
    with time_machine.travel(T0 + datetime.timedelta(hours=1, minutes=59), tick=False):
        deadlines_escalate_due()
    assert told.count() == before  # not yet due
    with time_machine.travel(T0 + datetime.timedelta(hours=2, minutes=1), tick=False):
        assert deadlines_escalate_due() == 1
        deadlines_escalate_due()  # the sweep runs again five minutes later: nothing new
    assert told.count() == before + 1
    assert net.case.number in told.latest("id").text


def test_an_acknowledged_urgent_referral_never_escalates(people, net, settings):
    from tongdai.deadlines.services import deadlines_escalate_due

    settings.TONGDAI_REFERRAL_ACK_HOURS = 2
    with time_machine.travel(T0, tick=False):
        referral = _send(people, net)
    with time_machine.travel(T0 + datetime.timedelta(minutes=40), tick=False):
        referral_step(people.police, referral.pk, "acknowledge", via="test")
    with time_machine.travel(T0 + datetime.timedelta(hours=3), tick=False):
        assert deadlines_escalate_due() == 0


def test_the_snapshot_reads_in_vietnamese_not_codes(people, net):
    referral = _send(people, net, share=["case_type", "child_sex"])
    fields = referral.snapshot["fields"]
    assert fields["case_type"] == "Bảo vệ trẻ em"
    assert fields["child_sex"] in {"Nữ", "Nam", "Chưa rõ", "Khác"}
