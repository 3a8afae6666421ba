"""The report as one table (header and rows), the shape the CSV and XLSX files share."""

from __future__ import annotations

from lienthong.reporting.domain.certificates import KINDS, STATES
from lienthong.reporting.domain.report import Report, ReportRow

HEADER = (
    "Mã định danh",
    "Đơn vị",
    "Số cơ quan",
    "VB đi",
    "VB đi có ký số",
    "Tỷ lệ ký số (%)",
    "VB đến",
    "Từ chối",
    "Thu hồi",
    "Đã xử lý",
    "Đúng hạn",
    "Quá hạn",
    "Đang xử lý",
    "Đang xử lý quá hạn",
    "TB giờ xử lý",
    "P90 giờ xử lý",
    *(
        "CTS chờ cấp",
        "CTS chưa hiệu lực",
        "CTS hoạt động",
        "CTS tạm dừng",
        "CTS thu hồi",
        "CTS hết hạn",
        "CTS cá nhân",
        "CTS tổ chức",
        "CTS SIM PKI",
        "CTS cấp trong kỳ",
        "CTS thu hồi trong kỳ",
        "TB ngày đăng ký CTS",
        "P90 ngày đăng ký CTS",
        "Chữ ký tự động",
        "Chữ ký cá nhân",
        "Xác thực không đạt",
        "Hộp thư cấp mới",
        "Hộp thư hoạt động",
        "Thư đã gửi",
        "Thư gửi lại sau",
        "Thư bị trả lại",
    ),
)

Cell = str | int | float


def report_rows(report: Report) -> list[tuple[Cell, ...]]:
    """One row per line of the report, then the total."""
    return [_cells(row) for row in report.rows] + [_cells(report.total, name="Tổng cộng")]


def _cells(row: ReportRow, name: str | None = None) -> tuple[Cell, ...]:
    p, c = row.processing, row.certificates
    return (
        row.code,
        name or row.name,
        row.agencies,
        row.sent,
        row.sent_signed,
        round(row.signed_share * 100, 1),
        row.received,
        row.refused,
        row.recalled,
        p.done,
        p.done_on_time,
        p.done_late,
        p.open,
        p.open_overdue,
        p.average_hours,
        p.p90_hours,
        *(c.states[state] for state in STATES),
        *(c.kinds[kind] for kind in KINDS),
        c.issued,
        c.revoked,
        c.lead_time_average_days,
        c.lead_time_p90_days,
        c.signatures_automatic,
        c.signatures_personal,
        c.verifications_failed,
        row.mail.provisioned,
        row.mail.active,
        row.mail.sent,
        row.mail.deferred,
        row.mail.bounced,
    )


def period_of(report: Report) -> str:
    start = report.from_day.isoformat() if report.from_day else "…"
    end = report.to_day.isoformat() if report.to_day else "…"
    return f"{start} → {end}"
