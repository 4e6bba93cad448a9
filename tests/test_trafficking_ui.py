"""The trafficking pages under /cases/<id>/trafficking/: reach, forms, the support panel."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse

from tongdai.accounts.models import Agency, AgencyType
from tongdai.cases.models import Case
from tongdai.cases.services import case_open
from tongdai.trafficking import services as ts
from tongdai.trafficking.models import Reception, SupportGiven

NOW = datetime.datetime(2026, 11, 20, 3, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def tcase(people, make_contact, clock):
    contact = make_contact(people.hn, topics=["trafficking_labour"])
    return case_open(people.hn_casemgr, [contact.pk], "trafficking_identifying", via="test")


def url(case, name="case_trafficking", *args):
    return reverse(name, args=[case.pk, *args])


def _to_support(people, case, status, abroad):
    user = people.hn_casemgr
    ts.reception_record(user, case.pk, {"received_at": NOW, "how": "rescued", "abroad": abroad,
                                        "country": "CN" if abroad else ""}, via="test")
    ts.verification_record(user, case.pk, {"police_unit": "Công an tỉnh", "requested_at": NOW}, via="test")
    ts.identification_decide(user, case.pk, {"status": status, "decided_by": "Biên phòng",
                                             "decided_at": NOW}, via="test")


def _regime_inputs(html):
    return re.findall(r'name="regime" value="(\w+)"', html)


def test_the_page_shows_the_stepper_and_the_reception_form(client, people, tcase):
    client.force_login(people.hn_casemgr)
    response = client.get(url(tcase))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="stage-stepper"' in html and 'aria-current="step"' in html
    assert 'id="reception-form"' in html and "Trung Quốc" in html  # countries in Vietnamese


@pytest.mark.parametrize("persona", ["ag_super", "police", "commune", "analyst"])
def test_people_outside_reach_get_404(client, people, tcase, persona):
    client.force_login(getattr(people, persona))
    assert client.get(url(tcase)).status_code == 404
    response = client.post(url(tcase, "case_trafficking_reception"),
                           {"received_at": "2026-11-20T10:00", "how": "rescued"})
    assert response.status_code == 404
    assert not Reception.objects.exists()


def test_a_child_protection_case_has_no_trafficking_page(client, people, make_contact):
    case = case_open(people.hn_casemgr, [make_contact(people.hn).pk], "child_protection", via="test")
    client.force_login(people.hn_casemgr)
    assert client.get(url(case)).status_code == 404
    response = client.post(url(case, "case_trafficking_reception"),
                           {"received_at": "2026-11-20T09:00", "how": "rescued"})
    assert response.status_code == 404


def test_reception_posted_from_the_form_moves_the_case_to_verification(client, people, tcase):
    client.force_login(people.hn_casemgr)
    response = client.post(url(tcase, "case_trafficking_reception"), {
        "received_at": "2026-11-20T09:30", "how": "returned", "country": "CN", "location": "Lào Cai"})
    assert response.status_code == 302
    assert Case.objects.get(pk=tcase.pk).stage == "verification"
    assert Reception.objects.get().country_id == "CN"


def test_a_step_out_of_order_gets_a_400_with_a_message(client, people, tcase):
    client.force_login(people.hn_casemgr)
    response = client.post(url(tcase, "case_trafficking_decision"), {
        "status": "victim", "decided_by": "Công an", "decided_at": "2026-11-20T09:00"})
    assert response.status_code == 400
    assert 'id="page-errors"' in response.content.decode()
    assert Case.objects.get(pk=tcase.pk).type == "trafficking_identifying"


@pytest.mark.parametrize(("status", "abroad", "offered"), [
    ("victim", False, ["a", "b", "c", "d", "dd", "e", "g", "h", "i", "k"]),
    ("identifying", True, ["a", "b", "c", "d"]),
    ("identifying", False, ["a", "b", "c", "d", "dd", "e", "g"]),
    ("foreign", False, ["a", "b", "c", "d", "dd", "g"]),
])
def test_the_support_panel_offers_only_the_regimes_of_the_status(client, people, tcase, status,
                                                                   abroad, offered):
    _to_support(people, tcase, status, abroad)
    client.force_login(people.hn_casemgr)
    html = client.get(url(tcase)).content.decode()
    assert _regime_inputs(html) == offered
    assert re.findall(r'data-regime="(\w+)"', html) == offered


def test_a_regime_not_offered_is_refused_by_the_form(client, people, tcase):
    _to_support(people, tcase, "identifying", True)
    client.force_login(people.hn_casemgr)
    response = client.post(url(tcase, "case_trafficking_support"), {
        "regime": "k", "beneficiary": "person", "given_by_text": "UBND xã", "date": "2026-11-20"})
    assert response.status_code == 400
    assert not SupportGiven.objects.exists()


def test_support_and_shelter_days_are_shown(client, people, tcase, clock):
    _to_support(people, tcase, "victim", False)
    shelter = Agency.objects.create(name="Cơ sở BTXH Hà Nội", type=AgencyType.SOCIAL_PROTECTION,
                                    province_id="01")
    client.force_login(people.hn_casemgr)
    assert client.post(url(tcase, "case_trafficking_support"), {
        "regime": "b", "beneficiary": "person", "given_by": shelter.pk, "date": "2026-11-20",
        "amount": "350000"}).status_code == 302
    assert client.post(url(tcase, "case_trafficking_shelter"), {
        "shelter": shelter.pk, "start": "2026-11-20"}).status_code == 302
    clock.move_to(NOW + datetime.timedelta(days=30))
    client.force_login(people.hn_casemgr)  # the session of a month ago has expired
    html = client.get(url(tcase)).content.decode()
    assert '<td class="days-used">30</td>' in html and '<td class="days-remaining">90</td>' in html
    assert "350000" in html and "Cơ sở BTXH Hà Nội" in html


def test_a_stale_support_edit_gets_409_and_keeps_the_first_save(client, people, tcase):
    _to_support(people, tcase, "victim", False)
    support = ts.support_give(people.hn_casemgr, tcase.pk, {
        "regime": "a", "given_by_text": "UBND xã", "date": datetime.date(2026, 11, 20)}, via="test")
    form = {"regime": "a", "beneficiary": "person", "given_by_text": "UBND xã", "date": "2026-11-20",
            "version": "1"}
    client.force_login(people.hn_casemgr)
    assert client.get(url(tcase, "case_trafficking_support_edit", support.pk)).status_code == 200
    assert client.post(url(tcase, "case_trafficking_support_edit", support.pk),
                       {**form, "amount": "100000"}).status_code == 302
    client.force_login(people.hn_super)
    response = client.post(url(tcase, "case_trafficking_support_edit", support.pk),
                           {**form, "amount": "999"})
    assert response.status_code == 409
    support.refresh_from_db()
    assert support.amount == 100000


def test_a_stale_shelter_end_gets_409(client, people, tcase):
    _to_support(people, tcase, "victim", False)
    shelter = Agency.objects.create(name="Nhà tạm lánh", type=AgencyType.SHELTER)
    stay = ts.shelter_start(people.hn_casemgr, tcase.pk, {"shelter": shelter.pk,
                                                          "start": datetime.date(2026, 11, 20)}, via="test")
    ts.shelter_extend(people.hn_casemgr, tcase.pk, stay.pk, datetime.date(2027, 4, 1), "Chờ",
                      version=1, via="test")
    client.force_login(people.hn_super)
    response = client.post(url(tcase, "case_trafficking_shelter_end", stay.pk),
                           {"end": "2026-11-20", "version": "1"})
    assert response.status_code == 409
    stay.refresh_from_db()
    assert stay.end is None


def test_the_story_through_the_pages_from_reception_to_closure(client, people, tcase):
    shelter = Agency.objects.create(name="Nhà tạm lánh Lào Cai", type=AgencyType.SHELTER, province_id="15")
    client.force_login(people.hn_casemgr)
    steps = [
        ("case_trafficking_reception", {"received_at": "2026-11-20T09:00", "how": "returned",
                                        "country": "CN", "mission_involved": "on"}),
        ("case_trafficking_verification", {"police": people.police.agency_id, "result": "confirmed",
                                           "requested_at": "2026-11-20T09:30",
                                           "verified_at": "2026-11-20T09:50"}),
        ("case_trafficking_evidence", {"kind": "statement_person", "description": "Lời khai."}),
        ("case_trafficking_route", {"destinations": ["CN"], "transits": ["LA"],
                                    "exploitation": "trafficking_marriage"}),
        ("case_trafficking_decision", {"status": "victim", "decided_by": "Công an tỉnh Lào Cai",
                                       "decided_at": "2026-11-20T09:55"}),
        ("case_trafficking_support", {"regime": "i", "beneficiary": "person",
                                      "given_by_text": "Trung tâm dạy nghề", "start": "2026-11-20"}),
        ("case_trafficking_shelter", {"shelter": shelter.pk, "start": "2026-11-20"}),
    ]
    for name, data in steps:
        response = client.post(url(tcase, name), data)
        assert response.status_code == 302, (name, response.content.decode()[:2000])
        assert client.get(url(tcase)).status_code == 200
    stay = tcase.trafficking_shelter_stays.get()
    assert client.post(url(tcase, "case_trafficking_shelter_end", stay.pk),
                       {"end": "2026-11-20", "version": stay.version}).status_code == 302
    version = Case.objects.get(pk=tcase.pk).version
    assert client.post(url(tcase, "case_trafficking_reintegration"), {"version": version}).status_code == 302
    assert client.post(url(tcase, "case_trafficking_followup"), {
        "date": "2026-11-20", "by": "Hội LHPN", "situation": "Ổn định."}).status_code == 302
    version = Case.objects.get(pk=tcase.pk).version
    assert client.post(url(tcase, "case_trafficking_close"),
                       {"version": version, "reason": "Tái hòa nhập."}).status_code == 302
    case = Case.objects.get(pk=tcase.pk)
    assert (case.type, case.status) == ("trafficking_victim", "closed")
    html = client.get(url(tcase)).content.decode()
    assert "Trung Quốc" in html and "Lào" in html and 'id="support-form"' not in html


def test_guessed_huge_ids_are_404_not_500(client, people, tcase):
    _to_support(people, tcase, "victim", False)
    client.force_login(people.hn_casemgr)
    huge = 2**70
    assert client.get(f"/cases/{huge}/trafficking/").status_code == 404
    assert client.post(f"/cases/{huge}/trafficking/support", {"regime": "a"}).status_code == 404
    assert client.get(url(tcase, "case_trafficking_support_edit", huge)).status_code == 404
    assert client.post(url(tcase, "case_trafficking_shelter_end", huge),
                       {"end": "2026-11-20", "version": "1"}).status_code == 404
