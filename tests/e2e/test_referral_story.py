"""An urgent child-protection case, from the call to the commune's first assessment, in Chromium.

A counsellor records an urgent contact about a child in a commune, opens a case, and refers
it to that commune's child-protection worker and to the province police, sharing only
what each needs. The commune worker logs in, sees only the referral made to them with only
the shared fields, acknowledges it and records the first assessment (Decree 56 Form 02).
Back at the hotline, the case shows the 12-hour emergency deadline as met.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import choose, log_in

pytestmark = pytest.mark.e2e

CHILD = "Lò Thị Mai"
CALLER = "Hoàng Văn Khải"
SUMMARY = "Cô giáo báo cháu bị cha dượng đánh, có vết thương ở đầu, đang ở nhà một mình."


def record_urgent_contact(page, commune_name: str) -> None:
    page.goto("/contacts/new")
    page.fill("[name=caller-phone]", "0915 222 333")
    page.fill("[name=caller-name]", CALLER)
    page.fill("[name=subjects-0-name]", CHILD)
    page.fill("[name=subjects-0-age]", "8")
    choose(page, "subjects-0-province", "ha noi", "Hà Nội")
    choose(page, "subjects-0-commune", commune_name, commune_name)
    page.check("[name=urgent]")
    page.check("#id_kind_report")
    choose(page, "topics", "bao luc the chat", "Bạo lực thể chất")
    page.fill("[name=summary]", SUMMARY)
    page.click("#btn-complete")
    page.wait_for_url(re.compile(r"/contacts/\d+/$"))


def refer(page, *, agency_type: str, agency_text: str, share: list[str]) -> None:
    page.click("#tab-referrals")
    page.select_option("#dir-type", agency_type)
    page.select_option("#dir-province", "01")
    page.click("#dir-search")
    page.locator("#agency-choices tr", has_text=agency_text).first.locator("input[type=radio]").check()
    page.fill("#ref-reason", "Đề nghị xác minh và can thiệp khẩn cấp bảo vệ trẻ.")
    page.check("#ref-urgent")
    page.check("#ref-consent-child")
    page.check("#ref-consent-rep")
    for code in share:
        page.check(f"#share-{code}")
    page.click("#send-form button[value=send]")
    page.locator("article[id^=referral-]", has_text=agency_text).first.wait_for()
    page.goto(page.url.split("/referrals/")[0] + "/")  # back to the case overview


def test_urgent_case_referred_to_the_commune_worker_who_records_the_first_assessment(context, system):
    page = context.new_page()
    log_in(page, "e2e.hn")
    record_urgent_contact(page, system.commune_name)

    page.select_option("#case-open-form [name=type]", "child_protection")
    page.click("#case-open-submit")
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    case_url = page.url
    case_number = re.search(r"HN-\d{4}-\d{6}", page.locator("h1").inner_text()).group(0)
    emergency = page.locator("#case-deadlines tr[data-kind=emergency_12h]")
    assert emergency.get_attribute("data-state") == "open"

    refer(page, agency_type="commune_committee", agency_text=system.commune_name,
          share=["child_name", "child_age", "child_location"])
    refer(page, agency_type="police", agency_text="Hà Nội", share=["child_location"])
    page.click("#logout-button")

    log_in(page, "e2e.xa")
    page.goto("/portal/")
    rows = page.locator("#inbox-table tbody tr")
    assert rows.count() == 1 and case_number in rows.first.inner_text()
    rows.first.locator("a").first.click()
    shared = page.locator("#shared-fields").inner_text()
    assert CHILD in shared and "8" in shared
    content = page.content()
    for hidden in (SUMMARY, CALLER, "0915", "222 333", "Công an"):
        assert hidden not in content, hidden

    page.click("#btn-acknowledge")
    page.click("#btn-first-assessment")
    for criterion in ("risk_harm", "risk_access", "risk_care", "risk_resilience"):
        page.select_option(f"[name=fa-{criterion}]", "high")
    page.check("[name=fa-emergency]")
    page.fill("[name=fa-emergency_action]", "Đưa cháu đến trạm y tế, tạm lánh tại nhà bà ngoại.")
    page.check("[name=fa-separated]")
    page.fill("[name=fa-separation_place]", "Nhà bà ngoại trong cùng xã")
    page.click("#form-first-assessment button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/referrals/\d+"))
    page.click("#logout-button")

    log_in(page, "e2e.hn")
    page.goto(case_url)
    assert emergency.get_attribute("data-state") == "met"
