"""A fixed dataset for the report tests, with hand-computed expectations.

Period under test: June 2026 (1–30 June, Asia/Ho_Chi_Minh). Everything is recorded
through the domain services (``contact_create``, ``contact_update``, ``case_open``,
``referral_send``, ``referral_step``, ``reception_record``) at the moment it happened
(``time_machine``), except the legacy province of ``c4``: older records arrive by import
with only a pre-2025 unit, which we write the way an import does (a bulk write, then
``tongdai.reports.rollups.rebuild`` of the days it touched, as ``tongdai rollups rebuild``).

Contacts (``*`` = counted in June):
- c0  HN 20 May — before the period (its case has a referral completed in May)
- c1* HN 05 Jun information, violence_physical, neighbour_witness, phone_111, Hà Nội (01)
- c2* HN 10 Jun counselling_psychological, mental_health_anxiety + _depression, child_self,
      zalo, Hải Phòng (31)
- c3* HN 12 Jun report/violence_sexual, **reclassified** after completion to
      referral/trafficking_sexual; relative_friend, Lào Cai (15)
- c4* HN 15 Jun counselling_policy, trafficking_labour, victim_self; **legacy** Kon Tum (62,
      Central Highlands) only → Quảng Ngãi (51); two people concerned
- c5* HN 20 Jun information, migration_abroad, victim_self, facebook, caller in Cambodia
- c6* HN 30 Jun **23:30** counselling_services, family_parenting, parent, Hà Nội
- c7  HN 01 Jul **00:10** — the next day, not counted
- c8* HN 01 Jun **00:05** silent (no topic, no relation, no place)
- d1  HN 10 Jun draft — not counted
- a1* AG 08 Jun information, violence_bullying, teacher, e-mail, Hồ Chí Minh (79)

Cases and referrals:
- case0 (c0): referral sent 21 May, completed ``supported`` 22 May (first rescue: May);
  another sent 17 Jun, completed ``rescued`` 18 Jun
- case3 (c3, 1 child): sent 13 Jun → completed ``rescued`` 14 Jun; sent 13 Jun → declined;
  sent 21 Jun → revoked
- case4 (c4, trafficking, 2 people): reception of a rescued person 16 Jun; referral sent
  20 Jun, still pending
"""

from __future__ import annotations

import datetime
import types
import zoneinfo

import time_machine

from tests.conftest import contact_data

HANOI = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
JUNE = (datetime.date(2026, 6, 1), datetime.date(2026, 6, 30))
MAY = (datetime.date(2026, 5, 1), datetime.date(2026, 5, 31))


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=HANOI)


def _contact(user, when, **overrides):
    from tongdai.contacts.services import contact_create

    with time_machine.travel(when + datetime.timedelta(minutes=20), tick=False):
        return contact_create(user, contact_data(received_at=when.isoformat(), **overrides), via="test")


def _place(province=None, country=None, subjects=None, relation="neighbour_witness"):
    caller = {"relation": relation, "anonymous": True}
    if province:
        caller["province"] = province
    if country:
        caller["country"] = country
    return {"caller": caller, "subjects": subjects if subjects is not None else []}


def _send(actor, case, agency, when):
    from tongdai.referrals.services import referral_send

    with time_machine.travel(when, tick=False):
        return referral_send(actor, case.pk, {
            "agency": agency.pk, "reason": "Đề nghị hỗ trợ.", "urgent": False,
            "consent": {"child": True, "representative": True}, "share": []}, via="test")


def _steps(actor, referral, when, *steps, outcome="", reason=""):
    from tongdai.referrals.services import referral_step

    for i, step in enumerate(steps):
        with time_machine.travel(when + datetime.timedelta(minutes=i), tick=False):
            referral_step(actor, referral.pk, step, outcome=outcome if step == "complete" else "",
                          reason=reason, via="test")


def build(people) -> types.SimpleNamespace:
    from tongdai.cases.services import case_open
    from tongdai.contacts.models import Contact
    from tongdai.contacts.services import contact_update
    from tongdai.reports.rollups import rebuild
    from tongdai.trafficking.services import reception_record

    hn, ag, mgr, police = people.hn, people.ag, people.hn_casemgr, people.police
    agency = police.agency
    c0 = _contact(hn, at(5, 20), kind="report", topics=["violence_physical"],
                  **_place("01", subjects=[{"name": "Trẻ A", "age": 8, "province": "01"}]))
    c1 = _contact(hn, at(6, 5), kind="information", topics=["violence_physical"],
                  **_place("01", subjects=[{"name": "Trẻ B", "age": 9, "province": "01"}]))
    c2 = _contact(hn, at(6, 10), kind="counselling_psychological", channel="zalo",
                  topics=["mental_health_anxiety", "mental_health_depression"],
                  **_place("31", relation="child_self"))
    c3 = _contact(hn, at(6, 12), kind="report", topics=["violence_sexual"],
                  **_place("15", relation="relative_friend",
                           subjects=[{"name": "Trẻ C", "age": 12, "province": "15"}]))
    with time_machine.travel(at(6, 25), tick=False):  # reclassified after completion
        contact_update(hn, c3.pk, {"kind": "referral", "topics": ["trafficking_sexual"]}, via="test")
    c4 = _contact(hn, at(6, 15), kind="counselling_policy", topics=["trafficking_labour"],
                  **_place(relation="victim_self",
                           subjects=[{"name": "Chị D", "age": 19}, {"name": "Em E", "age": 16}]))
    Contact.objects.filter(pk=c4.pk).update(legacy_province_id="62", province=None)
    rebuild(at(6, 15).date(), at(6, 15).date())  # an import recounts the days it wrote
    c5 = _contact(hn, at(6, 20), kind="information", channel="facebook", topics=["migration_abroad"],
                  **_place(country="KH", relation="victim_self"))
    c6 = _contact(hn, at(6, 30, 23, 30), kind="counselling_services", topics=["family_parenting"],
                  **_place("01", relation="parent"))
    c7 = _contact(hn, at(7, 1, 0, 10), kind="information", topics=["family"], **_place("01"))
    c8 = _contact(hn, at(6, 1, 0, 5), kind="silent", topics=[], caller={"anonymous": True},
                  subjects=[])
    d1 = _contact(hn, at(6, 10), status="draft", kind="information", topics=["family"])
    a1 = _contact(ag, at(6, 8), kind="information", channel="email", topics=["violence_bullying"],
                  **_place("79", relation="teacher"))

    with time_machine.travel(at(5, 20, 11), tick=False):
        case0 = case_open(mgr, [c0.pk], "child_protection", via="test")
    r0 = _send(mgr, case0, agency, at(5, 21))
    _steps(police, r0, at(5, 22), "acknowledge", "accept", "complete", outcome="supported")
    r3 = _send(mgr, case0, agency, at(6, 17))
    _steps(police, r3, at(6, 18), "acknowledge", "accept", "complete", outcome="rescued")

    with time_machine.travel(at(6, 12, 11), tick=False):
        case3 = case_open(mgr, [c3.pk], "child_protection", via="test")
    r1 = _send(mgr, case3, agency, at(6, 13))
    r2 = _send(mgr, case3, agency, at(6, 13, 11))
    _steps(police, r1, at(6, 14), "acknowledge", "accept", "complete", outcome="rescued")
    _steps(police, r2, at(6, 14, 12), "decline", reason="Ngoài địa bàn.")
    r5 = _send(mgr, case3, agency, at(6, 21))
    _steps(mgr, r5, at(6, 21, 12), "revoke", reason="Gửi nhầm.")

    with time_machine.travel(at(6, 15, 11), tick=False):
        case4 = case_open(mgr, [c4.pk], "trafficking_identifying", via="test")
    with time_machine.travel(at(6, 16, 12), tick=False):
        reception_record(mgr, case4.pk, {"received_at": at(6, 16, 9), "how": "rescued"}, via="test")
    r4 = _send(mgr, case4, agency, at(6, 20))
    return types.SimpleNamespace(**{k: v for k, v in locals().items()
                                    if k[0] in "cdar" and k[1:].isdigit() or k.startswith("case")})
