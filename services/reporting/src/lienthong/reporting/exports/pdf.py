"""The report as a PDF in the shape of a provincial periodic report: a summary table, then its charts.

Charts are drawn by matplotlib (Agg, no screen needed) in DejaVu Sans, which it ships and which has every
Vietnamese letter.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot as plt
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from lienthong.reporting.domain.report import Report
from lienthong.reporting.exports.table import HEADER, period_of, report_rows

A4_LANDSCAPE = (11.69, 8.27)
SUMMARY_COLUMNS = (1, 3, 4, 5, 6, 9, 10, 11, 12, 14)  # the columns of the table that fit on one page


def to_pdf(report: Report) -> bytes:
    out = io.BytesIO()
    # TrueType fonts embedded whole (type 42), so that the PDF's text can be searched and copied in Vietnamese.
    with (
        plt.rc_context({"pdf.fonttype": 42}),
        PdfPages(out, metadata={"Title": f"Báo cáo {report.scope_name}", "Creator": "lienthong"}) as pdf,
    ):
        for figure in (_summary(report), _charts(report)):
            pdf.savefig(figure)
            plt.close(figure)
    return out.getvalue()


def _summary(report: Report) -> Figure:
    figure = plt.figure(figsize=A4_LANDSCAPE)
    figure.suptitle(
        f"BÁO CÁO TÌNH HÌNH TRAO ĐỔI VĂN BẢN ĐIỆN TỬ\n{report.scope_name} ({report.scope_code})", fontsize=14
    )
    stamp = datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M %z")
    figure.text(0.5, 0.86, f"Kỳ báo cáo: {period_of(report)} · lập lúc {stamp}", ha="center", fontsize=10)
    axes = figure.add_axes((0.03, 0.05, 0.94, 0.78))
    axes.axis("off")
    rows = [[_short(row[i]) for i in SUMMARY_COLUMNS] for row in report_rows(report)]
    table = axes.table(cellText=rows, colLabels=[HEADER[i] for i in SUMMARY_COLUMNS], loc="upper center")
    table.auto_set_font_size(False)
    table.set_fontsize(7)
    table.scale(1, 1.3)
    return figure


def _charts(report: Report) -> Figure:
    figure, ((months, signed), (processing, registry)) = plt.subplots(2, 2, figsize=A4_LANDSCAPE)
    figure.suptitle(f"{report.scope_name}: biểu đồ", fontsize=13)

    labels = [month for month, _, _ in report.months]
    positions = range(len(labels))
    months.bar([p - 0.2 for p in positions], [sent for _, sent, _ in report.months], width=0.4, label="VB đi")
    months.bar([p + 0.2 for p in positions], [got for _, _, got in report.months], width=0.4, label="VB đến")
    months.set_xticks(list(positions), labels, rotation=45, fontsize=7)
    months.set_title("Văn bản theo tháng")
    months.legend()

    total = report.total
    signed.pie(
        [total.sent_signed, total.sent - total.sent_signed] if total.sent else [1],
        labels=["Có ký số", "Không ký số"] if total.sent else ["Chưa có văn bản đi"],
        autopct="%1.1f%%" if total.sent else None,
        colors=["tab:green", "tab:red"] if total.sent else ["lightgrey"],
    )
    signed.set_title("Tỷ lệ văn bản đi có ký số")

    processing.bar([label for label, _ in report.processing_buckets], [n for _, n in report.processing_buckets])
    processing.set_title("Thời gian từ khi đến tới khi xử lý xong")
    processing.tick_params(axis="x", labelsize=8)

    changes = ["issued", "changed", "locked", "unlocked", "dissolved"]
    names = ["Cấp mới", "Thay đổi", "Khóa", "Mở khóa", "Giải thể"]
    registry.bar(names, [report.registry_changes.get(change, 0) for change in changes], color="tab:purple")
    registry.set_title("Mã định danh trong kỳ")
    figure.tight_layout()
    return figure


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"
