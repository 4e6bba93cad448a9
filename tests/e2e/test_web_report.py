"""A reporter on the public web form with JavaScript disabled, against the real system.

Chromium runs with ``java_script_enabled=False``: the form, the receipt, the return page
and the thread must work as plain HTML. The counsellor's reply is written through the
system's own shell (``reply_send``) and delivered by the running worker (outbox).
"""

from __future__ import annotations

import re
import time

import pytest

from tests.e2e.conftest import TIMEOUT_MS
from tests.support.serving import run_cli

pytestmark = pytest.mark.e2e

REPORT = "Em học lớp 6, tối nào bố dượng cũng đánh em bằng thắt lưng."
REPLY = "Chào em, tư vấn viên 111 đây. Em có an toàn không? Em đang ở phường nào?"


def counsellor_replies(system, code: str, text: str) -> None:
    """A counsellor of the centre the report was routed to answers it."""
    run_cli(system.data, system.database_url, "shell", "-c", (
        "from tongdai.accounts.models import User\n"
        "from tongdai.channels.outbox import reply_send\n"
        "from tongdai.webreport.models import Receipt\n"
        f"c = Receipt.objects.get(code={code.replace('-', '')!r}).conversation\n"
        "u = User.objects.filter(centre=c.centre, role='counsellor', is_active=True)"
        ".order_by('pk').first()\n"
        f"reply_send(u, c.pk, {text!r})\n"))


def test_report_without_javascript_and_read_the_reply(browser, system):
    ctx = browser.new_context(base_url=system.url, locale="vi-VN",
                              timezone_id="Asia/Ho_Chi_Minh", java_script_enabled=False)
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    try:
        page.goto("/bao-cao/")
        assert page.locator("#quick-exit").get_attribute("href") == "/bao-cao/thoat/"
        page.fill("#id_text", REPORT)
        page.check("input[name=affected][value=child]")
        page.select_option("#id_province", "01")
        page.click("#report-submit")
        code = page.locator("#receipt-code").inner_text().strip()
        words = page.locator("#receipt-passphrase").inner_text().strip()
        assert re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", code) and len(words.split()) == 4

        counsellor_replies(system, code, REPLY)

        page.goto("/bao-cao/tra-cuu/")
        page.fill("#id_code", code)
        page.fill("#id_passphrase", "sai roi sai roi")
        page.click("#return-submit")
        assert "không đúng" in page.locator("#return-refused").inner_text()
        assert REPORT not in page.content() and REPLY not in page.content()

        page.fill("#id_code", code.lower())
        page.fill("#id_passphrase", words)
        page.click("#return-submit")
        page.wait_for_url(re.compile(r"/bao-cao/cuoc-tro-chuyen/"))
        deadline = time.monotonic() + 30  # the worker delivers the reply (outbox)
        while REPLY not in page.content() and time.monotonic() < deadline:
            time.sleep(0.5)
            page.reload()
        assert REPLY in page.content() and REPORT in page.content()

        page.fill("#id_text", "Em đang ở nhà bà ngoại.")
        page.click("#add-submit")
        assert "Em đang ở nhà bà ngoại." in page.locator("#thread").inner_text()

        leaving = ctx.request.get("/bao-cao/thoat/", max_redirects=0)
        assert leaving.status == 302 and leaving.headers["referrer-policy"] == "no-referrer"
    finally:
        ctx.close()
