"""A national administrator reads the dashboard and the standard report in Chromium,
changes the period, downloads the Excel file, and finds the page's numbers in it.

The system runs with the demo data (``tongdai serve --demo``): 200 completed contacts over
the last 90 days, recorded through the contact service.
"""

from __future__ import annotations

import datetime
import re

import pytest
from openpyxl import load_workbook

from tests.e2e.conftest import PASSWORD, log_in
from tests.support.serving import run_cli

pytestmark = pytest.mark.e2e
USERNAME = "e2e.baocao"


@pytest.fixture(scope="module")
def reporter(system):
    run_cli(system.data, system.database_url, "user", "create", USERNAME, "--role",
            "national_admin", "--password-file", "-", "--full-name", "Quản trị báo cáo thử nghiệm",
            stdin=PASSWORD + "\n")
    return USERNAME


def page_tables(page) -> dict[str, dict[str, int]]:
    """Section title → {row label: count} as shown on the standard report page."""
    out = {}
    for section in page.locator("section.report-section").all():
        title = section.locator("h3").inner_text().strip()
        rows = {}
        for row in section.locator("table.report-table tbody tr").all():
            rows[row.locator("th").inner_text().strip()] = int(row.locator("td").first.get_attribute("data-count"))
        out[title] = rows
    return out


def workbook_tables(path) -> dict[str, dict[str, int]]:
    """The same shape read back from the .xlsx: a title row, a header row, then figures."""
    out: dict[str, dict[str, int]] = {}
    current = None
    for row in load_workbook(path).active.iter_rows(values_only=True):
        first = row[0] if row else None
        second = row[1] if len(row) > 1 else None
        if first is None:
            current = None
        elif current is None and second is None:
            current = out.setdefault(first, {})
        elif current is not None and isinstance(second, int):
            current[first] = second
    return {title: rows for title, rows in out.items() if rows}  # not the heading lines


def test_dashboard_and_standard_report_match_the_excel_file(context, system, reporter, tmp_path):
    page = context.new_page()
    log_in(page, reporter)
    today = datetime.date.today()
    start = today - datetime.timedelta(days=89)

    page.click("#nav-reports")
    page.wait_for_url(re.compile(r"/reports/dashboard"))
    assert page.locator(".tilemap .tile").count() == 34
    page.fill("#id_from", start.isoformat())
    page.fill("#id_to", today.isoformat())
    page.click("#report-submit")
    page.wait_for_url(re.compile(r"from=" + start.isoformat()))
    dashboard_total = int(page.locator("#count-period").get_attribute("data-count"))
    assert dashboard_total > 0  # the demo's contacts of the last 90 days

    page.click("#link-standard")
    page.wait_for_url(re.compile(r"/reports/"))
    page.fill("#id_from", start.isoformat())
    page.fill("#id_to", today.isoformat())
    page.click("#report-submit")
    page.wait_for_url(re.compile(r"to=" + today.isoformat()))
    total = int(page.locator("#report-total").get_attribute("data-count"))
    assert total == dashboard_total
    shown = page_tables(page)
    assert shown["Tổng quan"]["Số cuộc gọi, liên hệ đã hoàn thành"] == total
    assert sum(shown["Cuộc gọi, liên hệ theo vùng thống kê"].values()) == total

    with page.expect_download() as download:
        page.click("#export-xlsx")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.suffix == ".xlsx"
    assert workbook_tables(path) == shown

    # A shorter period changes the figures, on the page and in the file alike.
    page.fill("#id_from", today.isoformat())
    page.click("#report-submit")
    page.wait_for_url(re.compile(r"from=" + today.isoformat()))
    shorter = page_tables(page)
    with page.expect_download() as download:
        page.click("#export-xlsx")
    path = tmp_path / "short.xlsx"
    download.value.save_as(path)
    assert workbook_tables(path) == shorter
    assert int(page.locator("#report-total").get_attribute("data-count")) <= total
