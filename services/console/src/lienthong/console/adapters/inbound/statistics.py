"""Statistics for a period and an agency subtree (the reporting service's report), a bar chart per month
drawn on the server as SVG, and the XLSX / PDF / CSV files the reporting service makes; and mail delivery
per mailbox for the ICT department."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lienthong.console.adapters.inbound.web import CODE, BadInput, agency_code, page, person
from lienthong.email.v1 import email_pb2 as mail
from lienthong.reporting.v1 import reporting_pb2 as rep

FORMATS = {"xlsx": rep.REPORT_FORMAT_XLSX, "pdf": rep.REPORT_FORMAT_PDF, "csv": rep.REPORT_FORMAT_CSV}
CHART_HEIGHT = 160


def _period(request: Request) -> tuple[str, str, str]:
    form = request.query_params
    scope = form.get("scope", "").strip()
    if not CODE.fullmatch(scope):
        raise BadInput(f"“Cơ quan”: “{scope}” không phải là mã định danh; ví dụ 000.00.00.H41")
    days = []
    for field, label in (("from", "Từ ngày"), ("to", "Đến ngày")):
        text = form.get(field, "").strip()
        try:
            days.append(date.fromisoformat(text).isoformat())
        except ValueError:
            raise BadInput(f"“{label}”: “{text}” không phải là ngày hợp lệ; nhập theo dạng 2026-11-25") from None
    if days[1] < days[0]:
        raise BadInput("“Đến ngày” phải sau “Từ ngày”")
    return scope, days[0], days[1]


def _bars(months: list[Any]) -> dict[str, Any]:
    """Two bars a month (sent, received) scaled to the busiest month."""
    top = max([max(m.sent, m.received) for m in months] or [1]) or 1
    bars = [
        {
            "month": m.month,
            "sent": m.sent,
            "received": m.received,
            "sent_h": round(CHART_HEIGHT * m.sent / top),
            "received_h": round(CHART_HEIGHT * m.received / top),
        }
        for m in months
    ]
    return {"bars": bars, "height": CHART_HEIGHT, "width": max(len(bars), 1) * 48 + 40}


async def statistics(request: Request) -> Response:
    who = person(request)
    form = request.query_params
    if not form:
        today = date.today()
        defaults = {"scope": who.identity.agency_code, "from": f"{today.year}-01-01", "to": today.isoformat()}
        return page(request, "statistics.html", form=defaults, report=None, chart=None)
    scope, from_day, to_day = _period(request)
    report = await who.reporting().GetReport(
        rep.GetReportRequest(scope_code=scope, from_day=from_day, to_day=to_day), **who.call()
    )
    form_values = {"scope": scope, "from": from_day, "to": to_day}
    return page(request, "statistics.html", form=form_values, report=report, chart=_bars(list(report.months)))


async def export(request: Request) -> Response:
    who = person(request)
    scope, from_day, to_day = _period(request)
    kind = request.query_params.get("format", "")
    if kind not in FORMATS:
        raise BadInput(f"“Định dạng”: “{kind}” không có; chọn một trong {', '.join(FORMATS)}")
    exported = await who.reporting().ExportReport(
        rep.ExportReportRequest(scope_code=scope, from_day=from_day, to_day=to_day, format=FORMATS[kind]),
        **who.call(timeout=300),
    )
    disposition = f'attachment; filename="{exported.file_name}"'
    return Response(exported.content, media_type=exported.content_type, headers={"Content-Disposition": disposition})


DELIVERY = {value: name.removeprefix("DELIVERY_STATE_") for name, value in mail.DeliveryState.items()}


async def mail_delivery(request: Request) -> Response:
    """An agency's mailboxes with how many notifications each has sent, deferred, bounced."""
    who = person(request)
    agency = agency_code(request.query_params.get("agency", ""), who.identity.agency_code)
    boxes = await who.email().ListMailboxes(mail.ListMailboxesRequest(agency_code=agency), **who.call())
    sent = await who.email().ListNotifications(mail.ListNotificationsRequest(agency_code=agency), **who.call())
    counts: Counter[tuple[str, str]] = Counter((n.to_address, DELIVERY[n.state]) for n in sent.notifications)
    troubled = [n for n in sent.notifications if n.state in (mail.DELIVERY_STATE_DEFERRED, mail.DELIVERY_STATE_BOUNCED)]
    return page(
        request,
        "mail.html",
        agency=agency,
        mailboxes=list(boxes.mailboxes),
        counts=counts,
        troubled=troubled[:100],
        delivery=DELIVERY,
        states=("SENT", "QUEUED", "SENDING", "DEFERRED", "BOUNCED"),
        box_states={value: name.removeprefix("MAILBOX_STATE_") for name, value in mail.MailboxState.items()},
    )


ROUTES = [
    Route("/statistics", statistics, name="statistics"),
    Route("/statistics/export", export, name="export"),
    Route("/operations/mail", mail_delivery, name="mail"),
]
