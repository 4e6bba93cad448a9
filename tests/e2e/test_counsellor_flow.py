"""A counsellor's day, in Chromium, against the real system started as the README starts it.

``tongdai serve --demo`` runs web, worker and scheduler on a fresh database (SQLite, or a
scratch PostgreSQL database on the PostgreSQL run); the counsellors are created with the
operator command ``tongdai user create``. Playwright drives Debian's Chromium.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import choose, log_in

pytestmark = pytest.mark.e2e

def test_counsellor_records_a_contact_in_vietnamese_and_finds_it_without_accents(context):
    page = context.new_page()
    log_in(page, "e2e.hn")
    page.click("#home-new-contact")
    page.wait_for_url(re.compile(r"/contacts/new"))

    page.fill("[name=caller-phone]", "0912 345 678")
    page.fill("[name=caller-name]", "Nguyễn Văn Ấn")
    choose(page, "caller-province", "ha noi", "Hà Nội")
    page.fill("[name=subjects-0-name]", "Đặng Thị Bình")
    page.fill("[name=subjects-0-age]", "9")
    choose(page, "subjects-0-province", "dak lak", "Đắk Lắk")
    choose(page, "subjects-0-commune", "buon ma", "Buôn Ma Thuột")
    page.check("#id_kind_report")
    choose(page, "topics", "bao luc the chat", "Bạo lực thể chất")
    page.fill("[name=summary]", "Hàng xóm báo cháu bé bị bố đánh nhiều lần, có vết bầm ở tay.")
    page.keyboard.press("Control+Enter")

    page.wait_for_url(re.compile(r"/contacts/\d+/$"))
    reference = page.locator("h1").inner_text()
    assert re.search(r"HN-\d{7}", reference)
    assert "Nguyễn Văn Ấn" in page.content() and "Buôn Ma Thuột" in page.content()

    for query in ("nguyen van an", "dang", "0912345678", "+84 912 345 678"):
        page.goto("/contacts/")
        page.fill("#id_q", query)
        page.click("#filter-submit")
        page.wait_for_url(re.compile(r"[?&]q="))  # the filtered list, not the one before it
        rows = page.locator("#contact-table tr.contact-row")
        rows.first.wait_for()
        assert "Nguyễn Văn Ấn" in rows.first.inner_text(), query


def test_southern_counsellor_cannot_open_or_find_a_hanoi_contact(context):
    page = context.new_page()
    log_in(page, "e2e.hn")
    page.goto("/contacts/?q=nguyen+van+an")
    row = page.locator("#contact-table tr.contact-row").first
    contact_id = row.get_attribute("data-contact-id")
    page.click("#logout-button")

    log_in(page, "e2e.ag")
    response = page.goto(f"/contacts/{contact_id}/")
    assert response.status == 404
    for query in ("nguyen+van+an", "0912345678"):
        page.goto(f"/contacts/?q={query}")
        assert page.locator("#filter-form").is_visible()
        assert page.locator(f"#contact-row-{contact_id}").count() == 0


def test_a_draft_typed_in_the_browser_survives_closing_the_tab(context):
    page = context.new_page()
    log_in(page, "e2e.hn")
    page.goto("/contacts/new")
    page.fill("[name=caller-name]", "Trần Thị Hoà")
    page.fill("[name=caller-phone]", "0987 65")  # half-typed when the tab closes
    page.fill("[name=summary]", "Em gái 14 tuổi bỏ nhà đi, nghi bị dụ sang Trung Quốc.")
    page.locator("#autosave-status", has_text="Đã lưu").wait_for()
    page.wait_for_url(re.compile(r"/contacts/\d+/edit"))
    page.close()

    page = context.new_page()
    page.goto("/")
    page.locator("#drafts-table tr", has_text="Trần Thị Hoà").first.locator("a").click()
    page.wait_for_url(re.compile(r"/contacts/\d+/edit"))
    assert page.input_value("[name=caller-name]") == "Trần Thị Hoà"
    assert page.input_value("[name=caller-phone]") == "0987 65"
    assert page.input_value("[name=summary]").startswith("Em gái 14 tuổi bỏ nhà đi")


def test_a_commune_typed_before_the_list_has_loaded_is_still_offered(context):
    page = context.new_page()
    log_in(page, "e2e.hn")
    held = []
    page.route("**/ui/geo/provinces/*/communes", lambda route: held.append(route))
    page.goto("/contacts/new")
    choose(page, "subjects-0-province", "dak lak", "Đắk Lắk")
    for _ in range(200):  # poll up to ~10 s for the communes request to be held
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the page never asked for the communes"
    page.fill("#id_subjects-0-commune_input", "buon ma")  # typed while the list is loading
    held[0].continue_()
    page.locator("#id_subjects-0-commune_listbox [role=option]", has_text="Buôn Ma Thuột").first.click()
    assert page.input_value("#id_subjects-0-commune_input") == "Phường Buôn Ma Thuột"


def test_caller_history_lists_earlier_contacts_but_never_the_draft_being_typed(context):
    """The number typed makes a draft (autosave) while the panel asks for the caller's
    history. If the panel's answer comes after the draft exists but before the page knows
    its id, it lists the draft itself; the page must ask again once the id is known. The
    autosave's answer is held back here to make that happen every time."""
    page = context.new_page()
    log_in(page, "e2e.hn")
    page.goto("/contacts/")
    earlier = page.locator("#contact-table tr.contact-row").filter(has=page.locator(".phone")).first
    earlier_id = earlier.get_attribute("data-contact-id")
    phone = earlier.locator(".phone").inner_text()

    held = []

    def hold_autosave(route):
        held.append((route, route.fetch()))  # the server has made the draft; the page waits

    page.route("**/contacts/new/autosave", hold_autosave)
    page.goto("/contacts/new")
    page.locator("[name=caller-phone]").press_sequentially(phone.replace(" ", ""), delay=20)
    page.wait_for_timeout(1500)  # the autosave debounce (700 ms) has passed
    assert len(held) == 1
    page.locator("[name=caller-phone]").press("Tab")  # "change": the panel asks again
    draft = page.locator("#caller-history-list .history-item .badge.status-draft")
    draft.first.wait_for()  # the draft, not yet known to the page, is listed
    draft_id = draft.first.locator("xpath=ancestor::li").get_attribute("data-contact-id")
    assert draft_id != earlier_id

    route, response = held[0]
    route.fulfill(response=response)
    expect(page.locator("#id_contact_id")).to_have_value(draft_id)
    expect(page.locator(f"#caller-history-list [data-contact-id='{draft_id}']")).to_have_count(0, timeout=10000)
    expect(page.locator(f"#caller-history-list [data-contact-id='{earlier_id}']")).to_have_count(1)
