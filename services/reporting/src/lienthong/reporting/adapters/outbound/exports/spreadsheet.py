"""The report as CSV (UTF-8 with a byte-order mark, which spreadsheet programs need for Vietnamese) or XLSX."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from lienthong.reporting.adapters.outbound.exports.table import HEADER, period_of, report_rows
from lienthong.reporting.domain.report import Report


def to_csv(report: Report) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(HEADER)
    writer.writerows(report_rows(report))
    return text.getvalue().encode("utf-8-sig")


def to_xlsx(report: Report) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = "Báo cáo"
    sheet.append([f"Báo cáo tình hình trao đổi văn bản điện tử: {report.scope_name} ({report.scope_code})"])
    sheet.append([f"Kỳ báo cáo: {period_of(report)}"])
    sheet.append([])
    sheet.append(list(HEADER))
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for row in report_rows(report):
        sheet.append(list(row))
    sheet[sheet.max_row][1].font = Font(bold=True)
    months = book.create_sheet("Theo tháng")
    months.append(["Tháng", "VB đi", "VB đến"])
    for month in report.months:
        months.append(list(month))
    buckets = book.create_sheet("Thời gian xử lý")
    buckets.append(["Thời gian", "Số văn bản"])
    for bucket in report.processing_buckets:
        buckets.append(list(bucket))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
