"""A counsellor's day, in Chromium, against the real system started as the README starts it.

``tongdai serve --demo`` runs web, worker and scheduler on a fresh database (SQLite, or a
scratch PostgreSQL database on the PostgreSQL run); the counsellors are created with the
operator command ``tongdai user create``. Playwright drives Debian's Chromium.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.serving import run_cli, scratch_database_url, serving, wait_until_running

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "Tu-van-vien-111-an-toan"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (make test does this)")
    tmp = tmp_path_factory.mktemp("system")
    with scratch_database_url() as database_url, \
            serving(tmp, database_url, "--demo") as (process, port, log):
        wait_until_running(process, port, log)
        data = tmp / "data"
        for username, centre in (("e2e.hn", "HN"), ("e2e.ag", "AG")):
            run_cli(data, database_url, "user", "create", username, "--role", "counsellor",
                    "--centre", centre, "--password-file", "-", "--full-name",
                    "Tư vấn viên thử nghiệm", stdin=PASSWORD + "\n")
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser, system):
    ctx = browser.new_context(base_url=system, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


def log_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(re.compile(r"/$"))


def choose(page, name: str, typed: str, option_text: str) -> None:
    """Type into a diacritic-insensitive type-ahead and pick the option shown."""
    page.fill(f"#id_{name}_input", typed)
    page.locator(f"#id_{name}_listbox [role=option]", has_text=option_text).first.click()


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
