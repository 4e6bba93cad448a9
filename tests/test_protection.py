"""The Decree 56 child-protection workflow: stages in order, send-back, deadlines,
optimistic locking, reach, and a commune worker's Form 02 through a referral."""

import datetime

import pytest
import time_machine

from tongdai.accounts.models import Agency, AgencyType
from tongdai.audit.models import AuditEvent
from tongdai.cases.models import Case, EventKind
from tongdai.cases.services import CaseConflict, CaseInvalid, CaseNotFound, case_open
from tongdai.protection.models import FirstAssessment, PlanItem, PlanStatus, Stage
from tongdai.protection.services import (
    first_assessment_record,
    needs_assessment_record,
    overall_risk,
    plan_approve,
    plan_create,
    plan_item_add,
    plan_item_update,
    plan_submit,
    protection_case_opened,
    protection_send_back,
    protection_steps,
    review_record,
    review_start,
)

RECEIVED = datetime.datetime(2026, 11, 20, 1, 0, tzinfo=datetime.UTC)  # a Friday, 08:00 in Hà Nội

FORM_02 = {"risk_harm": "medium", "risk_access": "high", "risk_care": "low",
           "risk_resilience": "medium", "emergency": True,
           "emergency_action": "Đưa trẻ đến nhà bà ngoại.", "separated": True,
           "separation_place": "Nhà bà ngoại"}
FORM_03 = {"need_safety": "Không ở chung với người gây hại.", "need_psychological": "Tham vấn tâm lý.",
           "strengths": "Bà ngoại chăm sóc tốt."}
REVIEW_SAFE = {"risk_harm": "low", "risk_access": "low", "risk_care": "low", "risk_resilience": "low",
               "safe_and_stable": True, "decision": "close", "reason": "Trẻ an toàn, ổn định."}


@pytest.fixture
def cp_case(people, make_contact):
    """An urgent child-protection case received on a Friday morning, opened by a case manager
    (with the deadline hook ``case_open`` is asked to call)."""
    with time_machine.travel(RECEIVED, tick=False):
        contact = make_contact(people.hn, urgent=True)
        case = case_open(people.hn_casemgr, [contact.pk], "child_protection", via="test")
        protection_case_opened(case, people.hn_casemgr)
    return case


def _stage(case) -> str:
    case.refresh_from_db()
    return case.stage


def _deadline(case, kind):
    from tongdai.deadlines.models import Deadline

    return Deadline.objects.filter(case=case, kind=kind).first()


def _to_planning(people, case):
    first_assessment_record(people.hn_casemgr, case.pk, FORM_02, via="test")
    needs_assessment_record(people.hn_casemgr, case.pk, FORM_03, via="test")


def _approved_plan(people, case):
    _to_planning(people, case)
    plan = plan_create(people.hn_casemgr, case.pk, {"goals": "Trẻ an toàn và đi học lại."}, via="test")
    item = plan_item_add(people.hn_casemgr, plan.pk, {"what": "Thăm gia đình hằng tuần",
                                                      "who": "Cán bộ BVTE xã"}, via="test")
    plan_submit(people.hn_casemgr, plan.pk, via="test")
    plan_approve(people.hn_casemgr, plan.pk, {"approved_by_commune_chair": "Chủ tịch UBND xã"},
                 via="test")
    return plan, item


def test_the_whole_workflow_runs_from_intake_to_closure(people, cp_case):
    with time_machine.travel(RECEIVED + datetime.timedelta(hours=5), tick=False):
        record = first_assessment_record(people.hn_casemgr, cp_case.pk, FORM_02, via="test")
    assert record.risk_level == "high" and not record.risk_override_reason
    assert _stage(cp_case) == Stage.NEEDS_ASSESSMENT
    needs_assessment_record(people.hn_casemgr, cp_case.pk, FORM_03, via="test")
    assert _stage(cp_case) == Stage.PLANNING
    plan = plan_create(people.hn_casemgr, cp_case.pk, {"goals": "Trẻ an toàn."}, via="test")
    police = Agency.objects.create(name="Công an xã", type=AgencyType.POLICE, province_id="01")
    item = plan_item_add(people.hn_casemgr, plan.pk, {"what": "Xác minh", "agency": police.pk},
                         via="test")
    plan_submit(people.hn_casemgr, plan.pk, via="test")
    plan_approve(people.hn_casemgr, plan.pk, {"approved_by_commune_chair": "Ông A, Chủ tịch"}, via="test")
    assert _stage(cp_case) == Stage.IMPLEMENTATION
    plan_item_update(people.hn_casemgr, item.pk, {"what": "Xác minh", "agency": police.pk,
                                                   "status": "done", "notes": "Đã xong"},
                     version=item.version, via="test")
    review_start(people.hn_casemgr, cp_case.pk, via="test")
    review_record(people.hn_casemgr, cp_case.pk, REVIEW_SAFE, via="test")
    cp_case.refresh_from_db()
    assert cp_case.stage == Stage.CLOSED and not cp_case.is_open
    assert cp_case.closure_reason == REVIEW_SAFE["reason"]
    steps = protection_steps(cp_case)
    assert all(s["done"] for s in steps[:-1])
    assert {s["by"] for s in steps[:-1]} == {people.hn_casemgr}
    assert cp_case.events.filter(kind=EventKind.PLAN, data__action="item_updated").exists()
    assert AuditEvent.objects.filter(object_type="firstassessment", object_id=record.pk,
                                     action="create").exists()


def test_review_asking_for_a_new_plan_returns_to_planning_with_unfinished_actions(people, cp_case):
    plan, item = _approved_plan(people, cp_case)
    review_record(people.hn_casemgr, cp_case.pk, {**REVIEW_SAFE, "risk_access": "high",
                                                  "safe_and_stable": False, "decision": "new_plan"},
                  via="test")
    assert _stage(cp_case) == Stage.PLANNING
    new = cp_case.plans.order_by("-number").first()
    assert new.number == 2 and new.status == PlanStatus.DRAFT
    assert list(new.items.values_list("what", flat=True)) == [item.what]


def test_closing_needs_a_safe_and_stable_child(people, cp_case):
    _approved_plan(people, cp_case)
    with pytest.raises(CaseInvalid) as err:
        review_record(people.hn_casemgr, cp_case.pk, {**REVIEW_SAFE, "safe_and_stable": False}, via="test")
    assert "decision" in err.value.errors
    assert _stage(cp_case) == Stage.IMPLEMENTATION and not cp_case.reviews.exists()


def test_overall_risk_is_the_highest_criterion_unless_overridden_with_a_reason(people, cp_case):
    assert overall_risk(["low", "medium", "low", "low"]) == "medium"
    with pytest.raises(CaseInvalid) as err:
        first_assessment_record(people.hn_casemgr, cp_case.pk, {**FORM_02, "risk_level": "low"}, via="test")
    assert "risk_override_reason" in err.value.errors
    record = first_assessment_record(people.hn_casemgr, cp_case.pk,
                                     {**FORM_02, "risk_level": "medium",
                                      "risk_override_reason": "Người gây hại đã bị tạm giữ."}, via="test")
    assert record.risk_level == "medium" and record.risk_override_reason


def test_bad_form_02_input_is_refused_and_nothing_is_stored(people, cp_case):
    with pytest.raises(CaseInvalid) as err:
        first_assessment_record(people.hn_casemgr, cp_case.pk,
                                {**FORM_02, "risk_harm": "extreme", "separation_place": "",
                                 "assessed_at": "yesterday"}, via="test")
    assert {"risk_harm", "separation_place", "assessed_at"} <= set(err.value.errors)
    assert not FirstAssessment.objects.exists() and _stage(cp_case) == Stage.INTAKE


def test_a_step_sent_back_returns_to_the_previous_stage_with_its_reason(people, cp_case):
    first_assessment_record(people.hn_casemgr, cp_case.pk, FORM_02, via="test")
    with pytest.raises(CaseInvalid):
        protection_send_back(people.hn_casemgr, cp_case.pk, "  ", via="test")
    protection_send_back(people.hn_casemgr, cp_case.pk, "Thiếu thông tin về người chăm sóc.", via="test")
    assert _stage(cp_case) == Stage.FIRST_ASSESSMENT
    event = cp_case.events.get(kind=EventKind.SENT_BACK)
    assert event.data == {"from": "needs_assessment", "to": "first_assessment"}
    assert event.text == "Thiếu thông tin về người chăm sóc."
    first_assessment_record(people.hn_casemgr, cp_case.pk, FORM_02, via="test")  # redone
    assert cp_case.first_assessments.count() == 2 and _stage(cp_case) == Stage.NEEDS_ASSESSMENT


def test_an_approved_plan_sent_back_returns_to_draft(people, cp_case):
    plan, _item = _approved_plan(people, cp_case)
    protection_send_back(people.hn_casemgr, cp_case.pk, "Kế hoạch chưa khả thi.", via="test")
    plan.refresh_from_db()
    assert _stage(cp_case) == Stage.PLANNING and plan.status == PlanStatus.DRAFT
    assert not plan.approved_at


def test_steps_out_of_order_are_refused(people, cp_case, make_contact):
    with pytest.raises(CaseInvalid):
        review_record(people.hn_casemgr, cp_case.pk, REVIEW_SAFE, via="test")
    with pytest.raises(CaseInvalid):
        plan_create(people.hn_casemgr, cp_case.pk, {"goals": "x"}, via="test")
    with pytest.raises(CaseInvalid):
        needs_assessment_record(people.hn_casemgr, cp_case.pk, FORM_03, via="test")
    with pytest.raises(CaseInvalid):
        protection_send_back(people.hn_casemgr, cp_case.pk, "không rõ", via="test")
    first_assessment_record(people.hn_casemgr, cp_case.pk, FORM_02, via="test")
    with pytest.raises(CaseInvalid):  # Form 02 only once per round
        first_assessment_record(people.hn_casemgr, cp_case.pk, FORM_02, via="test")
    trafficking = case_open(people.hn_casemgr, [make_contact(people.hn).pk], "trafficking_victim",
                            via="test")
    with pytest.raises(CaseInvalid) as err:
        plan_create(people.hn_casemgr, trafficking.pk, {"goals": "x"}, via="test")
    assert "case" in err.value.errors
    assert _stage(cp_case) == Stage.NEEDS_ASSESSMENT


def test_submitting_needs_goals_and_an_action(people, cp_case):
    _to_planning(people, cp_case)
    plan = plan_create(people.hn_casemgr, cp_case.pk, {"goals": "Trẻ an toàn."}, via="test")
    with pytest.raises(CaseInvalid):
        plan_submit(people.hn_casemgr, plan.pk, via="test")
    with pytest.raises(CaseInvalid):  # approval before submission
        plan_approve(people.hn_casemgr, plan.pk, {"approved_by_commune_chair": "A"}, via="test")
    with pytest.raises(CaseInvalid) as err:
        plan_item_add(people.hn_casemgr, plan.pk, {"what": "Thăm", "agency": 999999}, via="test")
    assert "agency" in err.value.errors


def test_deadlines_are_met_by_form_02_and_the_submitted_plan(people, cp_case):
    assert _deadline(cp_case, "emergency_12h").met_at is None
    assert _deadline(cp_case, "plan_5wd").met_at is None
    at = RECEIVED + datetime.timedelta(hours=6)
    with time_machine.travel(at, tick=False):
        first_assessment_record(people.hn_casemgr, cp_case.pk, FORM_02, via="test")
    assert _deadline(cp_case, "emergency_12h").met_at == at
    needs_assessment_record(people.hn_casemgr, cp_case.pk, FORM_03, via="test")
    plan = plan_create(people.hn_casemgr, cp_case.pk, {"goals": "Trẻ an toàn."}, via="test")
    plan_item_add(people.hn_casemgr, plan.pk, {"what": "Thăm", "who": "Cán bộ xã"}, via="test")
    plan_submit(people.hn_casemgr, plan.pk, via="test")
    assert _deadline(cp_case, "plan_5wd").met_at is not None


def test_deadlines_are_ensured_even_if_the_open_hook_did_not_run(people, make_contact):
    case = case_open(people.hn_casemgr, [make_contact(people.hn, urgent=True).pk], "child_protection",
                     via="test")
    first_assessment_record(people.hn_casemgr, case.pk, FORM_02, via="test")
    assert _deadline(case, "emergency_12h").met_at is not None
    assert _deadline(case, "plan_5wd").met_at is None


def test_a_stale_plan_item_save_is_refused_and_nothing_is_overwritten(people, cp_case):
    _to_planning(people, cp_case)
    plan = plan_create(people.hn_casemgr, cp_case.pk, {"goals": "Trẻ an toàn."}, via="test")
    item = plan_item_add(people.hn_casemgr, plan.pk, {"what": "Thăm", "who": "Cán bộ xã"}, via="test")
    loaded = item.version  # both editors open the item
    plan_item_update(people.hn_super, item.pk, {"what": "Thăm", "who": "Cán bộ xã", "status": "in_progress",
                                                "notes": "Đã hẹn lịch"}, version=loaded, via="test")
    with pytest.raises(CaseConflict):
        plan_item_update(people.hn_casemgr, item.pk, {"what": "Khác", "who": "Người khác"},
                         version=loaded, via="test")
    item.refresh_from_db()
    assert (item.what, item.status, item.notes, item.version) == ("Thăm", "in_progress", "Đã hẹn lịch", 2)


def test_a_stale_case_version_refuses_the_second_form_02(people, cp_case):
    loaded = cp_case.version
    first_assessment_record(people.hn_casemgr, cp_case.pk, FORM_02, version=loaded, via="test")
    with pytest.raises(CaseConflict):
        first_assessment_record(people.hn_super, cp_case.pk, FORM_02, version=loaded, via="test")
    assert cp_case.first_assessments.count() == 1


def test_people_outside_reach_or_without_edit_rights_cannot_act(people, cp_case):
    for user in (people.ag, people.police, people.commune, people.analyst):
        with pytest.raises(CaseNotFound):
            first_assessment_record(user, cp_case.pk, FORM_02, via="test")
    assert AuditEvent.objects.filter(action="denied", object_type="case", actor=people.ag).exists()
    from tongdai.cases.services import CaseForbidden

    with pytest.raises(CaseForbidden):  # counsellors see cases but do not run the workflow
        first_assessment_record(people.hn, cp_case.pk, FORM_02, via="test")
    assert not FirstAssessment.objects.exists()


# --------------------------------------------------------------------------- partner path


@pytest.fixture
def commune_referral(people, cp_case):
    """A referral of ``cp_case`` to the People's Committee of the commune worker's commune."""
    from tongdai.referrals.models import Referral
    from tongdai.referrals.services import agency_profile_set

    committee = Agency.objects.create(name="UBND xã", type=AgencyType.COMMUNE_COMMITTEE, province_id="01")
    agency_profile_set(committee, commune=people.commune.commune)
    return Referral.objects.create(case=cp_case, agency=committee, reason="Đánh giá ban đầu",
                                   status="acknowledged", sent_by=people.hn_casemgr)


def test_a_commune_worker_records_form_02_through_an_acknowledged_referral(people, cp_case,
                                                                          commune_referral):
    record = first_assessment_record(people.commune, None, FORM_02, referral_id=commune_referral.pk,
                                     via="test")
    assert record.case_id == cp_case.pk and record.referral_id == commune_referral.pk
    assert record.assessed_by == people.commune
    assert _stage(cp_case) == Stage.NEEDS_ASSESSMENT
    assert _deadline(cp_case, "emergency_12h").met_at is not None


def test_a_partner_cannot_use_a_referral_for_another_case_or_before_acknowledging(
        people, cp_case, commune_referral, make_contact):
    other = case_open(people.hn_casemgr, [make_contact(people.hn).pk], "child_protection", via="test")
    with pytest.raises(CaseNotFound):  # the referral is for cp_case, not this one
        first_assessment_record(people.commune, other.pk, FORM_02, referral_id=commune_referral.pk,
                                via="test")
    with pytest.raises(CaseNotFound):  # the police officer cannot see the commune's referral
        first_assessment_record(people.police, None, FORM_02, referral_id=commune_referral.pk, via="test")
    with pytest.raises(CaseNotFound):  # no referral id: partners have no case reach
        first_assessment_record(people.commune, cp_case.pk, FORM_02, via="test")
    commune_referral.status = "sent"
    commune_referral.save()
    with pytest.raises(CaseInvalid):
        first_assessment_record(people.commune, None, FORM_02, referral_id=commune_referral.pk, via="test")
    assert not FirstAssessment.objects.exists() and _stage(other) == Stage.INTAKE


def test_the_portal_form_02_page_works_for_the_commune_worker_only(client, people, cp_case,
                                                                  commune_referral):
    url = f"/portal/referrals/{commune_referral.pk}/first-assessment"
    client.force_login(people.police)
    assert client.get(url).status_code == 404
    client.force_login(people.commune)
    page = client.get(url)
    assert page.status_code == 200 and cp_case.number in page.content.decode()
    bad = client.post(url, {"fa-risk_harm": "high", "fa-version": cp_case.version})
    assert bad.status_code == 400 and not FirstAssessment.objects.exists()
    post = {f"fa-{k}": v for k, v in FORM_02.items() if k != "emergency" and k != "separated"}
    response = client.post(url, {**post, "fa-emergency": "on", "fa-separated": "on",
                                 "fa-version": cp_case.version})
    assert response.status_code == 302
    assert FirstAssessment.objects.get().referral_id == commune_referral.pk


# --------------------------------------------------------------------------- pages


def test_the_protection_page_shows_the_stepper_and_is_a_404_outside_reach(client, people, cp_case):
    url = f"/cases/{cp_case.pk}/protection/"
    client.force_login(people.ag)
    assert client.get(url).status_code == 404
    assert client.post(f"{url}first-assessment", {"fa-risk_harm": "high"}).status_code == 404
    client.force_login(people.hn_casemgr)
    page = client.get(url)
    assert page.status_code == 200
    assert b'id="protection-stepper"' in page.content and b'id="form-first-assessment"' in page.content


def test_the_pages_record_steps_and_report_errors_and_conflicts(client, people, cp_case):
    client.force_login(people.hn_casemgr)
    url = f"/cases/{cp_case.pk}/protection/"
    post = {f"fa-{k}": v for k, v in FORM_02.items() if k not in ("emergency", "separated")}
    assert client.post(f"{url}first-assessment", {"fa-version": cp_case.version}).status_code == 400
    ok = client.post(f"{url}first-assessment", {**post, "fa-version": cp_case.version})
    assert ok.status_code == 302 and _stage(cp_case) == Stage.NEEDS_ASSESSMENT
    stale = client.post(f"{url}needs-assessment", {"na-need_safety": "An toàn", "na-version": 1})
    assert stale.status_code == 409 and "người khác" in stale.content.decode()
    out_of_order = client.post(f"{url}review", {"rv-decision": "close", "rv-reason": "x",
                                                "rv-version": cp_case.version})
    assert out_of_order.status_code == 400 and b'id="page-errors"' in out_of_order.content
    back = client.post(f"{url}send-back", {"sb-reason": "Thiếu thông tin", "sb-version": cp_case.version})
    assert back.status_code == 302 and _stage(cp_case) == Stage.FIRST_ASSESSMENT


def test_a_guessed_plan_item_of_another_case_is_a_404(client, people, cp_case, make_contact):
    _to_planning(people, cp_case)
    plan = plan_create(people.hn_casemgr, cp_case.pk, {"goals": "Trẻ an toàn."}, via="test")
    item = plan_item_add(people.hn_casemgr, plan.pk, {"what": "Thăm", "who": "Cán bộ xã"}, via="test")
    other = case_open(people.hn_casemgr, [make_contact(people.hn).pk], "child_protection", via="test")
    client.force_login(people.hn_casemgr)
    response = client.post(f"/cases/{other.pk}/protection/items/{item.pk}",
                           {f"item{item.pk}-what": "x", f"item{item.pk}-who": "y"})
    assert response.status_code == 404
    client.force_login(people.ag)
    response = client.post(f"/cases/{cp_case.pk}/protection/items/{item.pk}",
                           {f"item{item.pk}-what": "x", f"item{item.pk}-who": "y"})
    assert response.status_code == 404
    assert PlanItem.objects.get().what == "Thăm"
    assert Case.objects.get(pk=cp_case.pk).stage == Stage.PLANNING


def test_the_page_renders_the_right_form_at_every_stage(client, people, cp_case):
    client.force_login(people.hn_casemgr)
    url = f"/cases/{cp_case.pk}/protection/"

    def shows(form_id):
        page = client.get(url)
        assert page.status_code == 200
        assert f'id="{form_id}"'.encode() in page.content, form_id

    first_assessment_record(people.hn_casemgr, cp_case.pk, FORM_02, via="test")
    shows("form-needs-assessment")
    needs_assessment_record(people.hn_casemgr, cp_case.pk, FORM_03, via="test")
    shows("form-plan-create")
    plan = plan_create(people.hn_casemgr, cp_case.pk, {"goals": "Trẻ an toàn."}, via="test")
    shows("form-plan-submit")
    item = plan_item_add(people.hn_casemgr, plan.pk, {"what": "Thăm", "who": "Cán bộ xã"}, via="test")
    shows(f"form-item-{item.pk}")
    plan_submit(people.hn_casemgr, plan.pk, via="test")
    shows("form-plan-approve")
    plan_approve(people.hn_casemgr, plan.pk, {"approved_by_commune_chair": "Chủ tịch"}, via="test")
    shows("form-review-start")
    review_start(people.hn_casemgr, cp_case.pk, via="test")
    shows("form-review")
    review_record(people.hn_casemgr, cp_case.pk, REVIEW_SAFE, via="test")
    page = client.get(url)
    assert page.status_code == 200 and b'id="current-step"' not in page.content
    assert b'is-current' not in page.content


def test_the_page_says_the_workflow_does_not_apply_to_a_trafficking_case(client, people, make_contact):
    case = case_open(people.hn_casemgr, [make_contact(people.hn).pk], "trafficking_victim", via="test")
    client.force_login(people.hn_casemgr)
    page = client.get(f"/cases/{case.pk}/protection/")
    assert page.status_code == 200 and b'id="not-applicable"' in page.content
    response = client.post(f"/cases/{case.pk}/protection/plans", {"plan-goals": "x",
                                                                  "plan-version": case.version})
    assert response.status_code == 400
