"""The standard report page, its Excel/CSV/PDF exports, and the dashboard."""

from __future__ import annotations

import csv
import io
import re

import pytest
import time_machine
from openpyxl import load_workbook

from tests.support.reports import at, build
from tongdai.audit.models import AuditEvent
from tongdai.taxonomy.models import CallerRelation

pytestmark = pytest.mark.django_db
JUNE = {"from": "2026-06-01", "to": "2026-06-30"}


@pytest.fixture(autouse=True)
def _after_the_facts():
    with time_machine.travel(at(7, 2, 9), tick=False):
        yield


def _xlsx_figures(content: bytes) -> dict[str, int]:
    sheet = load_workbook(io.BytesIO(content)).active
    return {row[0].strip(): row[1] for row in sheet.iter_rows(values_only=True)
            if row and isinstance(row[0], str) and len(row) > 1 and isinstance(row[1], int)}


def test_the_report_page_shows_tables_and_svg_charts(client, people):
    build(people)
    client.force_login(people.hn_manager)
    response = client.get("/reports/", JUNE)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="report-total" data-count="7"' in html
    assert html.count("<svg") >= 7 and "style=" not in html and "<script>" not in html
    assert 'data-code="CH"' in html and 'data-code="relative_friend"' in html
    assert 'id="nav-reports"' in html


def test_excel_has_the_page_numbers_in_vietnamese(client, people):
    build(people)
    client.force_login(people.admin)
    response = client.get("/reports/export.xlsx", JUNE)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    figures = _xlsx_figures(response.content)
    assert figures["Số cuộc gọi, liên hệ đã hoàn thành"] == 8
    assert figures["Tây Nguyên"] == 1 and figures["Nước ngoài"] == 1
    assert figures["Nạn nhân tự gọi"] == 2 and figures["Người thân, bạn bè của nạn nhân"] == 1
    assert figures["Tư vấn"] == 3 and figures["Cung cấp thông tin"] == 3
    assert figures["Nạn nhân được giải cứu, hỗ trợ"] == 3
    assert AuditEvent.objects.filter(actor=people.admin, action="export", object_type="report").exists()


def test_csv_and_pdf_exports(client, people):
    build(people)
    client.force_login(people.analyst)
    response = client.get("/reports/export.csv", {**JUNE, "centre": "AG"})
    assert response.status_code == 200
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert ["Số cuộc gọi, liên hệ đã hoàn thành", "1"] in rows
    pdf = client.get("/reports/export.pdf", JUNE)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_exported_cells_never_start_a_formula(client, people):
    build(people)
    CallerRelation.objects.filter(pk="teacher").update(label_vi="=HYPERLINK(\"http://x\",\"y\")")
    client.force_login(people.admin)
    text = client.get("/reports/export.csv", JUNE).content.decode("utf-8")
    cells = [c for row in csv.reader(io.StringIO(text[1:])) for c in row]
    assert "'=HYPERLINK(\"http://x\",\"y\")" in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    sheet = load_workbook(io.BytesIO(client.get("/reports/export.xlsx", JUNE).content)).active
    values = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any(c.value == "'=HYPERLINK(\"http://x\",\"y\")" and c.data_type == "s" for c in values)
    assert not any(c.data_type == "f" for c in values)


def test_a_supervisor_cannot_open_another_centre(client, people):
    client.force_login(people.ag_super)
    for url in ("/reports/", "/reports/export.xlsx", "/reports/dashboard"):
        response = client.get(url, {**JUNE, "centre": "HN"})
        assert response.status_code == 403, url
        assert "trung tâm" in response.content.decode()


def test_counsellors_have_no_reports(client, people):
    client.force_login(people.hn)
    assert client.get("/reports/").status_code == 403
    assert 'id="nav-reports"' not in client.get("/").content.decode()


@pytest.mark.parametrize("params", [
    {"from": "2026-06-30", "to": "2026-06-01"},
    {"from": "hôm qua", "to": "2026-06-01"},
    {"from": "2000-01-01", "to": "2026-06-01"},
    {**JUNE, "centre": "ZZ"},
])
def test_bad_parameters_show_the_form_with_a_message(client, people, params):
    client.force_login(people.admin)
    for url in ("/reports/", "/reports/export.csv", "/reports/dashboard"):
        response = client.get(url, params)
        assert response.status_code == 400, url
        assert "field-error" in response.content.decode()


def test_an_unknown_format_is_400(client, people):
    client.force_login(people.admin)
    assert client.get("/reports/export.docx", JUNE).status_code == 400


def test_the_dashboard_shows_counters_trend_map_and_deadlines(client, people):
    build(people)
    client.force_login(people.admin)
    response = client.get("/reports/dashboard", {**JUNE, "unit": "day"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="count-period" data-count="8"' in html
    assert html.count('class="tile tile-') == 34 and 'data-province="51"' in html
    columns = html.split('class="chart chart-columns"')[1].split("</svg>")[0]
    assert columns.count("<rect") == 30  # a column per day of June
    assert 'id="table-deadlines"' in html and 'id="table-agency"' in html
    assert "style=" not in html
    # SVG geometry is whole numbers: a Vietnamese decimal comma would break the drawing.
    assert not re.search(r'(x|y|width|height)="-?\d+[,.]\d', html)
    monthly = client.get("/reports/dashboard", {"from": "2026-01-01", "to": "2026-06-30",
                                                "unit": "month"}).content.decode()
    assert "2026-06: 8" in monthly and "2026-05: 1" in monthly


def test_the_dashboard_counts_today_and_this_week(client, people, make_contact):
    with time_machine.travel(at(7, 2, 9), tick=False):  # a Thursday
        make_contact(people.hn)
    client.force_login(people.hn_super)
    html = client.get("/reports/dashboard").content.decode()
    assert 'id="count-today">1<' in html and 'id="count-week">1<' in html


def test_english_page_and_vietnamese_files(client, people, settings):
    build(people)
    client.force_login(people.admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/reports/", JUNE).content.decode()
    assert "Contacts by statistical region" in html and "Central Highlands" in html
    text = client.get("/reports/export.csv", JUNE).content.decode("utf-8")
    assert "Tây Nguyên" in text and "Central Highlands" not in text


def test_the_dashboard_checks_reach_before_the_dates(client, people):
    """A counsellor asking the dashboard with a bad date is refused (403, audited), not
    shown the form's date error."""
    from tongdai.audit.models import AuditEvent

    client.force_login(people.hn)
    response = client.get("/reports/dashboard", {"from": "2026-13-01", "to": "x"})
    assert response.status_code == 403
    assert AuditEvent.objects.filter(actor=people.hn, action="denied", object_type="report").exists()
