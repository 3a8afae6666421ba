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
from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from lienthong.reporting.adapters.outbound.exports.table import HEADER, period_of, report_rows
from lienthong.reporting.domain.certificates import KINDS, STATES
from lienthong.reporting.domain.report import Report

A4_LANDSCAPE = (11.69, 8.27)
SUMMARY_COLUMNS = (1, 3, 4, 5, 6, 9, 10, 11, 12, 14)  # the columns of the table that fit on one page


def to_pdf(report: Report) -> bytes:
    out = io.BytesIO()
    # TrueType fonts embedded whole (type 42), so that the PDF's text can be searched and copied in Vietnamese.
    with (
        plt.rc_context({"pdf.fonttype": 42}),
        PdfPages(out, metadata={"Title": f"Báo cáo {report.scope_name}", "Creator": "lienthong"}) as pdf,
    ):
        for figure in (_summary(report), _charts(report), _certificate_and_mail_charts(report)):
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
    _counts(months, [n for _, sent, got in report.months for n in (sent, got)])

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
    _counts(processing, [n for _, n in report.processing_buckets])

    changes = ["issued", "changed", "locked", "unlocked", "dissolved"]
    names = ["Cấp mới", "Thay đổi", "Khóa", "Mở khóa", "Giải thể"]
    registry_counts = [report.registry_changes.get(change, 0) for change in changes]
    registry.bar(names, registry_counts, color="tab:purple")
    registry.set_title("Mã định danh trong kỳ")
    _counts(registry, registry_counts)
    figure.tight_layout()
    return figure


STATE_NAMES = ("Chờ cấp", "Chưa hiệu lực", "Hoạt động", "Tạm dừng", "Thu hồi", "Hết hạn")
KIND_NAMES = ("Cá nhân", "Tổ chức", "SIM PKI")


def _certificate_and_mail_charts(report: Report) -> Figure:
    """The third page: certificate states and kinds at the end of the period, signatures made in it, mail."""
    figure, ((states, kinds, signatures), (lines, mailboxes, mail)) = plt.subplots(2, 3, figsize=A4_LANDSCAPE)
    figure.suptitle(f"{report.scope_name}: chứng thư số và thư điện tử công vụ", fontsize=13)
    total = report.total.certificates

    colours = ["tab:gray", "tab:cyan", "tab:green", "tab:orange", "tab:red", "tab:brown"]
    state_counts = [total.states[state] for state in STATES]
    states.bar(STATE_NAMES, state_counts, color=colours)
    states.set_title("Trạng thái chứng thư số cuối kỳ")
    states.tick_params(axis="x", labelsize=8)
    _counts(states, state_counts, slanted=True)

    held = [total.kinds[kind] for kind in KINDS]
    kinds.pie(
        held if any(held) else [1],
        labels=list(KIND_NAMES) if any(held) else ["Chưa có chứng thư số"],
        autopct="%1.1f%%" if any(held) else None,
        colors=["tab:blue", "tab:purple", "tab:olive"] if any(held) else ["lightgrey"],
    )
    kinds.set_title("Chứng thư số theo loại")

    signature_counts = [total.signatures_automatic, total.signatures_personal, total.verifications_failed]
    signatures.bar(
        ["Ký tự động", "Ký cá nhân", "Xác thực không đạt"], signature_counts, color=["tab:blue", "tab:green", "tab:red"]
    )
    signatures.set_title("Chữ ký số trong kỳ")
    _counts(signatures, signature_counts, slanted=True)

    codes = [row.code for row in report.rows]
    lines.barh(codes, [row.certificates.states["active"] for row in report.rows], color="tab:green", label="Hoạt động")
    lines.barh(
        codes,
        [row.certificates.states["revoked"] for row in report.rows],
        left=[row.certificates.states["active"] for row in report.rows],
        color="tab:red",
        label="Thu hồi",
    )
    lines.set_title("Chứng thư số theo đơn vị")
    lines.tick_params(axis="y", labelsize=7)
    lines.legend()

    mailbox_counts = [report.total.mail.provisioned, report.total.mail.active]
    mailboxes.bar(["Cấp mới trong kỳ", "Hoạt động cuối kỳ"], mailbox_counts)
    mailboxes.set_title("Hộp thư công vụ")
    _counts(mailboxes, mailbox_counts)
    outcomes = report.total.mail
    mail_counts = [outcomes.sent, outcomes.deferred, outcomes.bounced]
    mail.bar(["Đã gửi", "Gửi lại sau", "Bị trả lại"], mail_counts, color=["tab:green", "tab:orange", "tab:red"])
    mail.set_title("Thư thông báo trong kỳ")
    _counts(mail, mail_counts)
    figure.tight_layout()
    return figure


def _counts(axes: Axes, values: list[int], *, slanted: bool = False) -> None:
    """A bar chart of counts: its axis from 0 with whole numbers (not -0.04 … 0.04 when every count is 0), and
    with `slanted`, category names turned so that long Vietnamese ones do not run into each other."""
    axes.set_ylim(0, max([*values, 1]) * 1.1)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    if slanted:
        axes.tick_params(axis="x", labelrotation=25)
        for label in axes.get_xticklabels():
            label.set_horizontalalignment("right")


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"
