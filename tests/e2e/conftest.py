"""Shared browser-test fixtures: one running system per test session, Chromium, people.

``tongdai serve --demo`` runs web, worker and scheduler on a fresh database (SQLite, or a
scratch PostgreSQL database on the PostgreSQL run), exactly as the README starts it; test
users are created with the operator command ``tongdai user create``.
"""

from __future__ import annotations

import re
import types
from pathlib import Path

import pytest

from tests.support.serving import run_cli, scratch_database_url, serving, wait_until_running

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "Tu-van-vien-111-an-toan"
TIMEOUT_MS = 15_000


#: The Zalo OA the shared system is configured with; its API is ``zalo_edge`` (fake edge).
ZALO_APP_ID = "4286839412345678901"
ZALO_OA_SECRET = "oa-secret-key-for-e2e"


@pytest.fixture(scope="session")
def zalo_edge():
    from tests.support.zalo_edge import zalo_edge as edge

    with edge() as running:
        running.env = {
            "TONGDAI_ZALO_APP_ID": ZALO_APP_ID, "TONGDAI_ZALO_OA_SECRET": ZALO_OA_SECRET,
            "TONGDAI_ZALO_APP_SECRET": "app-secret-for-e2e",
            "TONGDAI_ZALO_REFRESH_TOKEN": "rt-seed-for-e2e",
            "TONGDAI_ZALO_API_BASE": running.url, "TONGDAI_ZALO_OAUTH_BASE": running.url,
        }
        yield running


@pytest.fixture(scope="session")
def system(tmp_path_factory, zalo_edge):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (make test does this)")
    tmp = tmp_path_factory.mktemp("system")
    with scratch_database_url() as database_url, \
            serving(tmp, database_url, "--demo", env=zalo_edge.env) as (process, port, log):
        wait_until_running(process, port, log)
        data = tmp / "data"
        for username, role, centre in (("e2e.hn", "counsellor", "HN"),
                                       ("e2e.ag", "counsellor", "AG"),
                                       ("e2e.cm", "case_manager", "HN"),
                                       ("e2e.zalo", "counsellor", "HN")):
            run_cli(data, database_url, "user", "create", username, "--role", role,
                    "--centre", centre, "--password-file", "-", "--full-name",
                    "Cán bộ thử nghiệm", stdin=PASSWORD + "\n")
        # The demo's commune committee ("UBND <commune>") is the first commune of Hà Nội.
        code, name = run_cli(data, database_url, "shell", "-c", (
            "from tongdai.geo.models import Commune; "
            "c = Commune.objects.filter(province_id='01').order_by('code').first(); "
            "print(c.code, c.short_name, sep='|')")).strip().splitlines()[-1].split("|")
        run_cli(data, database_url, "user", "create", "e2e.xa", "--role", "commune_worker",
                "--commune", code, "--password-file", "-", "--full-name",
                "Cán bộ xã thử nghiệm", stdin=PASSWORD + "\n")
        yield types.SimpleNamespace(url=f"http://127.0.0.1:{port}", commune_code=code,
                                    commune_name=name, data=data, database_url=database_url)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser, system):
    ctx = browser.new_context(base_url=system.url, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
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


