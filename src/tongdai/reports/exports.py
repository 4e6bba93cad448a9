"""The standard report as a file: Excel (.xlsx), CSV and PDF, in Vietnamese.

All three are built from ``tables.standard_tables`` under ``translation.override("vi")``,
so they show exactly the page's numbers. Text cells go through ``core.spreadsheet.
safe_cell`` (a label an administrator typed can never run as a formula); counts are
written as numbers. The files hold aggregates only: no names, phones, free text or ids.
"""

from __future__ import annotations

import csv
import io

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tongdai.core.spreadsheet import safe_cell
from tongdai.reports.charts import bar_chart
from tongdai.reports.tables import Table, standard_tables

FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}


def _heading(summary: dict, centre_name: str) -> list[str]:
    return [
        _("Standard report of the 111 hotline"),
        _("Period: %(from)s to %(to)s (Asia/Ho_Chi_Minh, both days included)") % {
            "from": summary["from"], "to": summary["to"]},
        _("Centre: %(centre)s") % {"centre": centre_name},
        _("Made on %(at)s") % {"at": timezone.localtime().strftime("%Y-%m-%d %H:%M")},
    ]


def _columns(table: Table) -> list[str]:
    if table.base is None:
        return [_("Figure"), _("Number")]
    return [_("Figure"), _("Number"), _("Share (%)")]


def _label(row) -> str:
    return ("    " if row.level else "") + row.label


def report_csv(summary: dict, centre_name: str) -> bytes:
    with translation.override("vi"):
        out = io.StringIO()
        out.write("\ufeff")  # Excel reads UTF-8 (Vietnamese) only with the BOM
        writer = csv.writer(out)
        for line in _heading(summary, centre_name):
            writer.writerow([safe_cell(line)])
        for table in standard_tables(summary):
            writer.writerow([])
            writer.writerow([safe_cell(table.title)])
            writer.writerow([safe_cell(c) for c in _columns(table)])
            for row in table.rows:
                cells = [safe_cell(_label(row)), row.count]
                if table.base is not None:
                    cells.append(f"{row.share:.1f}")
                writer.writerow(cells)
        return out.getvalue().encode("utf-8")


def report_xlsx(summary: dict, centre_name: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    with translation.override("vi"):
        book = Workbook()
        sheet = book.active
        sheet.title = safe_cell(_("Report"))[:31]
        bold = Font(bold=True)
        for line in _heading(summary, centre_name):
            sheet.append([safe_cell(line)])
        sheet["A1"].font = Font(bold=True, size=14)
        for table in standard_tables(summary):
            sheet.append([])
            sheet.append([safe_cell(table.title)])
            sheet.cell(row=sheet.max_row, column=1).font = bold
            sheet.append([safe_cell(c) for c in _columns(table)])
            for cell in sheet[sheet.max_row]:
                cell.font = bold
            for row in table.rows:
                values = [safe_cell(row.label), row.count]
                if table.base is not None:
                    values.append(row.ratio)
                sheet.append(values)
                current = sheet[sheet.max_row]
                current[0].alignment = Alignment(indent=2 * row.level)
                if table.base is not None:
                    current[2].number_format = "0.0%"
        for cell in sheet["A"]:
            if cell.value is not None and cell.data_type == "f":  # belt and braces
                cell.data_type = "s"
        sheet.column_dimensions["A"].width = 58
        sheet.column_dimensions["B"].width = 12
        sheet.column_dimensions["C"].width = 12
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()


def report_pdf(summary: dict, centre_name: str) -> bytes:
    from tongdai.documents.pdf import html_to_pdf

    with translation.override("vi"):
        tables = standard_tables(summary)
        html = render_to_string("reports/pdf.html", {
            "heading": _heading(summary, centre_name),
            "tables": [(t, bar_chart(t.chart_rows) if t.chart else None) for t in tables],
        })
    return html_to_pdf(html)


def export_filename(summary: dict, fmt: str) -> str:
    centre = summary["centre"] or "toanquoc"
    return f"bao-cao-111_{centre}_{summary['from']}_{summary['to']}.{fmt}"


def render_export(summary: dict, centre_name: str, fmt: str) -> bytes:
    return {"xlsx": report_xlsx, "csv": report_csv, "pdf": report_pdf}[fmt](summary, centre_name)
