"""A trafficking victim returned from abroad, in Chromium: from the call to support.

A counsellor records the call and opens a case for a person being identified as a victim;
the case manager records the reception (returned from China), verification with police,
the identification evidence and decision (victim), and the support panel then offers
exactly the regimes a victim is entitled to (Law 53/2024 Art. 37: a–k), no fewer and no
more. Before the decision, a person being identified in Vietnam is offered a–g.
"""

from __future__ import annotations

import datetime
import re

import pytest

from tests.e2e.conftest import choose, log_in

pytestmark = pytest.mark.e2e

VICTIM_REGIMES = ["a", "b", "c", "d", "dd", "e", "g", "h", "i", "k"]
IDENTIFYING_IN_VIETNAM = ["a", "b", "c", "d", "dd", "e", "g"]


def _earlier(hours: int) -> str:
    """A local time a few hours ago, as <input type=datetime-local> wants it."""
    moment = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=7 - hours)
    return moment.strftime("%Y-%m-%dT%H:%M")


def _open(page, form_id: str):
    """The record forms sit in <details> sections: open the one holding ``form_id``."""
    form = page.locator(f"#{form_id}")
    if not form.is_visible():
        page.locator(f"details:has(#{form_id}) > summary").click()
    return form


def _offered(page) -> list[str]:
    return [li.get_attribute("data-regime")
            for li in page.locator("#regimes-offered li").all()]


def test_victim_returned_from_abroad_is_offered_exactly_the_regimes_of_a_victim(context):
    page = context.new_page()
    log_in(page, "e2e.hn")
    page.goto("/contacts/new")
    page.fill("[name=caller-name]", "Vàng A Sử")
    page.fill("[name=subjects-0-name]", "Vàng Thị Dua")
    page.fill("[name=subjects-0-age]", "19")
    choose(page, "subjects-0-province", "lao cai", "Lào Cai")
    page.check("#id_kind_report")
    choose(page, "topics", "cuong buc lao dong", "lao động")
    page.fill("[name=summary]", "Em gái bị lừa sang Trung Quốc làm việc, đã trốn về qua cửa khẩu.")
    page.click("#btn-complete")
    page.wait_for_url(re.compile(r"/contacts/\d+/$"))
    page.select_option("#case-open-form [name=type]", "trafficking_identifying")
    page.click("#case-open-submit")
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    case_url = page.url
    page.click("#logout-button")

    log_in(page, "e2e.cm")
    page.goto(case_url)
    page.click("#tab-trafficking")

    reception = _open(page, "reception-form")
    reception.locator("[name=received_at]").fill(_earlier(5))
    reception.locator("[name=how]").select_option("returned")
    reception.locator("[name=country]").select_option("CN")
    reception.locator("[name=location]").fill("Cửa khẩu Lào Cai")
    reception.locator("button[type=submit]").click()
    page.locator("#verification-form").wait_for()
    assert _offered(page) == IDENTIFYING_IN_VIETNAM

    verification = _open(page, "verification-form")
    verification.locator("[name=police_unit]").fill("Công an tỉnh Lào Cai")
    verification.locator("[name=requested_at]").fill(_earlier(4))
    verification.locator("[name=result]").select_option("confirmed")
    verification.locator("[name=verified_at]").fill(_earlier(3))
    verification.locator("button[type=submit]").click()

    evidence = _open(page, "evidence-form")
    evidence.locator("[name=kind]").select_option("statement_person")
    evidence.locator("[name=description]").fill("Lời khai về việc bị giữ giấy tờ, ép làm việc không lương.")
    evidence.locator("button[type=submit]").click()
    page.locator("#evidence-table").wait_for()

    decision = _open(page, "decision-form")
    decision.locator("[name=status]").select_option("victim")
    decision.locator("[name=decided_by]").fill("Công an tỉnh Lào Cai")
    decision.locator("[name=decided_at]").fill(_earlier(2))
    decision.locator("button[type=submit]").click()
    page.locator("#support-form").wait_for()

    assert _offered(page) == VICTIM_REGIMES
    radios = page.locator("#support-form [name=regime]")
    assert sorted(r.get_attribute("value") for r in radios.all()) == sorted(VICTIM_REGIMES)

    support = _open(page, "support-form")
    support.locator("[name=regime][value=g]").check()
    support.locator("[name=given_by_text]").fill("Cơ sở trợ giúp xã hội tỉnh Lào Cai")
    support.locator("[name=date]").fill(datetime.date.today().isoformat())
    support.locator("button[type=submit]").click()
    page.locator("#support-table tr[data-regime=g]").wait_for()
