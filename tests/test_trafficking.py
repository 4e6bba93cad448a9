"""The trafficking workflow (Law 53/2024/QH15; Decree 162/2025/NĐ-CP), through its services."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from tongdai.accounts.models import Agency, AgencyType
from tongdai.audit.models import AuditEvent
from tongdai.cases.models import Case
from tongdai.cases.services import CaseConflict, CaseInvalid, CaseNotFound, case_open
from tongdai.trafficking import services as ts
from tongdai.trafficking.models import Reception, ShelterStay, SupportGiven, Verification

NOW = datetime.datetime(2026, 11, 20, 3, 0, tzinfo=datetime.UTC)  # 10:00 in Hà Nội


def at(days=0, hours=0):
    return NOW + datetime.timedelta(days=days, hours=hours)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def shelter(db):
    return Agency.objects.create(name="Nhà tạm lánh Lào Cai", type=AgencyType.SHELTER, province_id="15")


@pytest.fixture
def tcase(people, make_contact, clock):
    contact = make_contact(people.hn, topics=["trafficking_labour"],
                           summary="Người trở về từ Trung Quốc, nghi bị mua bán.")
    return case_open(people.hn_casemgr, [contact.pk], "trafficking_identifying", via="test")


def _reception(**over):
    return {"received_at": at(), "how": "returned", "location": "Cửa khẩu Lào Cai",
            "abroad": False, "country": "CN", "mission_involved": True, **over}


def _verification(people, **over):
    return {"police": people.police.agency_id, "requested_at": at(), "result": "confirmed",
            "verified_at": at(), **over}


def _decision(status="victim", when=None):
    return {"status": status, "decided_by": "Công an tỉnh Lào Cai", "decided_at": when or at()}


def _to_support(people, case, status="victim", **reception):
    ts.reception_record(people.hn_casemgr, case.pk, _reception(**reception), via="test")
    ts.verification_record(people.hn_casemgr, case.pk, _verification(people), via="test")
    ts.identification_decide(people.hn_casemgr, case.pk, _decision(status), via="test")


def _deadline(case, kind, ref=""):
    deadlines = pytest.importorskip("tongdai.deadlines.models")
    return deadlines.Deadline.objects.filter(case=case, kind=kind, ref=ref).order_by("-id").first()


def test_a_victim_returned_from_china_walks_the_whole_workflow(people, tcase, shelter, clock):
    user = people.hn_casemgr
    ts.trafficking_case_opened(tcase, user)  # what case_open will call
    reception = ts.reception_record(user, tcase.pk, _reception(), via="test")
    assert reception.country_id == "CN" and Case.objects.get(pk=tcase.pk).stage == "verification"

    clock.move_to(at(days=1, hours=1))
    ts.verification_record(user, tcase.pk, _verification(people, requested_at=at(hours=1),
                                                         verified_at=at(days=1)), via="test")
    assert Case.objects.get(pk=tcase.pk).stage == "identification"
    verification_deadline = _deadline(tcase, "verification_3d")
    assert verification_deadline.met_at == at(days=1)
    assert verification_deadline.met_at <= verification_deadline.due_at == tcase.received_at + datetime.timedelta(days=3)

    ts.evidence_add(user, tcase.pk, {"kind": "statement_person", "description": "Bị lừa sang làm việc.",
                                     "date": datetime.date(2026, 11, 21)}, via="test")
    ts.evidence_add(user, tcase.pk, {"kind": "mission", "description": "Công hàm của Tổng lãnh sự quán.",
                                     "source": "Tổng lãnh sự quán tại Côn Minh"}, via="test")
    ts.route_save(user, tcase.pk, {"destinations": ["CN"], "transits": ["LA"],
                                   "border_crossing": "Cửa khẩu quốc tế Lào Cai",
                                   "exploitation": "trafficking_labour"}, via="test")
    clock.move_to(at(days=2))
    ts.identification_decide(user, tcase.pk, _decision("victim", at(days=2)), via="test")
    case = Case.objects.get(pk=tcase.pk)
    assert (case.type, case.stage) == ("trafficking_victim", "support")
    assert case.events.filter(kind="assessment", data__step="identification").exists()
    assert ts.trafficking_regimes_offered(case) == ["a", "b", "c", "d", "dd", "e", "g", "h", "i", "k"]

    support = ts.support_give(user, tcase.pk, {"regime": "k", "given_by": shelter.pk,
                                               "date": datetime.date(2026, 11, 21), "amount": 2_000_000},
                              via="test")
    assert (support.regime, support.status, support.amount) == ("k", "victim", 2_000_000)
    stay = ts.shelter_start(user, tcase.pk, {"shelter": shelter.pk, "start": datetime.date(2026, 11, 21)},
                            via="test")
    assert stay.days_used(datetime.date(2026, 12, 1)) == 10
    assert stay.days_remaining(datetime.date(2026, 12, 1)) == 110
    assert stay.limit_date == datetime.date(2027, 3, 21)

    clock.move_to(at(days=30))
    ts.shelter_end(user, tcase.pk, stay.pk, datetime.date(2026, 12, 15), version=stay.version, via="test")
    assert _deadline(tcase, "shelter_120d", str(stay.pk)).met_at is not None
    ts.reintegration_start(user, tcase.pk, via="test")
    ts.followup_add(user, tcase.pk, {"date": datetime.date(2026, 12, 19), "by": "Hội LHPN xã",
                                     "situation": "Đã về với gia đình.", "next_step": "Học nghề."}, via="test")
    ts.trafficking_close(user, tcase.pk, "Đã tái hòa nhập ổn định.", via="test")
    case = Case.objects.get(pk=tcase.pk)
    assert (case.status, case.stage) == ("closed", "closed")
    assert AuditEvent.objects.filter(object_type="supportgiven", object_id=support.pk, action="create").exists()


def test_a_regime_the_status_does_not_entitle_is_refused_and_not_stored(people, tcase, shelter):
    _to_support(people, tcase, status="identifying", abroad=True, country="CN")
    assert ts.trafficking_regimes_offered(Case.objects.get(pk=tcase.pk)) == ["a", "b", "c", "d"]
    with pytest.raises(CaseInvalid) as exc:
        ts.support_give(people.hn_casemgr, tcase.pk, {"regime": "g", "given_by_text": "Cán bộ xã",
                                                      "date": datetime.date(2026, 11, 20)}, via="test")
    assert "regime" in exc.value.errors and "a, b, c, d" in exc.value.errors["regime"]
    assert not SupportGiven.objects.exists()
    ts.support_give(people.hn_casemgr, tcase.pk, {"regime": "d", "given_by_text": "Cán bộ xã",
                                                  "date": datetime.date(2026, 11, 20)}, via="test")
    assert SupportGiven.objects.count() == 1


def test_foreign_victims_and_accompanying_children_get_their_own_regimes(people, tcase):
    _to_support(people, tcase, status="foreign")
    base = {"given_by_text": "Trung tâm CTXH", "date": datetime.date(2026, 11, 20)}
    with pytest.raises(CaseInvalid):
        ts.support_give(people.hn_casemgr, tcase.pk, {**base, "regime": "e"}, via="test")
    ts.support_give(people.hn_casemgr, tcase.pk, {**base, "regime": "dd"}, via="test")
    with pytest.raises(CaseInvalid):  # the table gives accompanying children regimes only beside Vietnamese victims
        ts.support_give(people.hn_casemgr, tcase.pk, {**base, "regime": "a",
                                                      "beneficiary": "accompanying_child"}, via="test")
    ts.identification_decide(people.hn_casemgr, tcase.pk, _decision("victim"), version=1, via="test")
    with pytest.raises(CaseInvalid):
        ts.support_give(people.hn_casemgr, tcase.pk, {**base, "regime": "i",
                                                      "beneficiary": "accompanying_child"}, via="test")
    ts.support_give(people.hn_casemgr, tcase.pk, {**base, "regime": "h",
                                                  "beneficiary": "accompanying_child"}, via="test")
    assert list(SupportGiven.objects.values_list("regime", "status")) == [("dd", "foreign"), ("h", "victim")]


def test_steps_out_of_order_are_refused(people, tcase):
    user = people.hn_casemgr
    with pytest.raises(CaseInvalid):
        ts.verification_record(user, tcase.pk, _verification(people), via="test")
    with pytest.raises(CaseInvalid):
        ts.support_give(user, tcase.pk, {"regime": "a", "given_by_text": "x",
                                         "date": datetime.date(2026, 11, 20)}, via="test")
    ts.reception_record(user, tcase.pk, _reception(), via="test")
    with pytest.raises(CaseInvalid):
        ts.identification_decide(user, tcase.pk, _decision(), via="test")
    with pytest.raises(CaseInvalid):
        ts.trafficking_close(user, tcase.pk, "xong", via="test")
    assert Case.objects.get(pk=tcase.pk).stage == "verification"
    assert not Verification.objects.exists()


def test_a_child_protection_case_has_no_trafficking_steps(people, make_contact):
    case = case_open(people.hn_casemgr, [make_contact(people.hn).pk], "child_protection", via="test")
    with pytest.raises(CaseInvalid) as exc:
        ts.reception_record(people.hn_casemgr, case.pk, _reception(), via="test")
    assert "case" in exc.value.errors
    assert not Reception.objects.exists()


def test_bad_input_is_refused_with_messages(people, tcase):
    with pytest.raises(CaseInvalid) as exc:
        ts.reception_record(people.hn_casemgr, tcase.pk, _reception(
            how="teleported", abroad=True, country="", received_at=at(days=3)), via="test")
    assert set(exc.value.errors) == {"how", "country", "received_at"}
    ts.reception_record(people.hn_casemgr, tcase.pk, _reception(), via="test")
    with pytest.raises(CaseInvalid) as exc:
        ts.verification_record(people.hn_casemgr, tcase.pk, _verification(
            people, police="", verified_at=None), via="test")
    assert set(exc.value.errors) == {"police", "verified_at"}
    with pytest.raises(CaseInvalid):  # a shelter is not a police unit
        ts.verification_record(people.hn_casemgr, tcase.pk, _verification(
            people, police=Agency.objects.create(name="Nhà tạm lánh", type="shelter").pk), via="test")


def test_shelter_extension_moves_the_120_day_deadline(people, tcase, shelter, clock):
    _to_support(people, tcase)
    stay = ts.shelter_start(people.hn_casemgr, tcase.pk, {"shelter": shelter.pk,
                                                          "start": datetime.date(2026, 11, 20)}, via="test")
    first = _deadline(tcase, "shelter_120d", str(stay.pk))
    local_start = timezone.localtime(first.start_at)
    assert local_start.date() == datetime.date(2026, 11, 20) and local_start.hour == 0
    assert timezone.localtime(first.due_at).date() == datetime.date(2027, 3, 20)
    with pytest.raises(CaseInvalid):  # an extension must go past the current limit
        ts.shelter_extend(people.hn_casemgr, tcase.pk, stay.pk, datetime.date(2027, 3, 1), "Chưa về được",
                          version=stay.version, via="test")
    stay = ts.shelter_extend(people.hn_casemgr, tcase.pk, stay.pk, datetime.date(2027, 4, 30),
                             "Chờ xác minh địa chỉ gia đình", version=stay.version, via="test")
    first.refresh_from_db()
    moved = _deadline(tcase, "shelter_120d", str(stay.pk))
    assert first.cancelled_at is not None and moved.pk != first.pk
    assert timezone.localtime(moved.due_at).date() == datetime.date(2027, 4, 30) == stay.limit_date
    assert stay.days_remaining(datetime.date(2027, 4, 20)) == 10


def test_only_one_shelter_stay_at_a_time(people, tcase, shelter):
    _to_support(people, tcase)
    ts.shelter_start(people.hn_casemgr, tcase.pk, {"shelter": shelter.pk,
                                                   "start": datetime.date(2026, 11, 20)}, via="test")
    with pytest.raises(CaseInvalid):
        ts.shelter_start(people.hn_casemgr, tcase.pk, {"shelter": shelter.pk,
                                                       "start": datetime.date(2026, 11, 20)}, via="test")
    assert ShelterStay.objects.count() == 1


def test_stale_versions_of_support_and_shelter_are_refused(people, tcase, shelter):
    _to_support(people, tcase)
    user = people.hn_casemgr
    base = {"regime": "a", "given_by_text": "UBND xã", "date": datetime.date(2026, 11, 20)}
    support = ts.support_give(user, tcase.pk, base, via="test")
    ts.support_update(user, tcase.pk, support.pk, {**base, "amount": 500_000}, version=1, via="test")
    with pytest.raises(CaseConflict):
        ts.support_update(people.hn_super, tcase.pk, support.pk, {**base, "amount": 9}, version=1, via="test")
    support.refresh_from_db()
    assert (support.amount, support.version) == (500_000, 2)

    stay = ts.shelter_start(user, tcase.pk, {"shelter": shelter.pk, "start": datetime.date(2026, 11, 20)},
                            via="test")
    ts.shelter_extend(user, tcase.pk, stay.pk, datetime.date(2027, 5, 1), "Lý do", version=1, via="test")
    with pytest.raises(CaseConflict):
        ts.shelter_end(people.hn_super, tcase.pk, stay.pk, datetime.date(2026, 11, 20), version=1, via="test")
    stay.refresh_from_db()
    assert stay.end is None and stay.extended_until == datetime.date(2027, 5, 1)


@pytest.mark.parametrize("persona", ["ag_super", "police", "commune", "analyst"])
def test_people_outside_reach_get_not_found_and_are_audited(people, tcase, persona):
    user = getattr(people, persona)
    with pytest.raises(CaseNotFound):
        ts.reception_record(user, tcase.pk, _reception(), via="test")
    assert not Reception.objects.exists()
    assert AuditEvent.objects.filter(action="denied", actor=user, object_id=tcase.pk).exists()


def test_trafficking_case_opened_opens_the_3_day_verification_once(people, tcase):
    ts.trafficking_case_opened(tcase, people.hn_casemgr)
    ts.trafficking_case_opened(tcase, people.hn_casemgr)
    deadline = _deadline(tcase, "verification_3d")
    assert deadline.due_at == tcase.received_at + datetime.timedelta(days=3)
    assert deadline.case.deadlines.filter(kind="verification_3d").count() == 1
