"""The gRPC face of the reporting service."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from lienthong.errors import InvalidArgument
from lienthong.grpcserver import day_of
from lienthong.grpcserver.convert import timestamp_of
from lienthong.reporting.application.reports import Reports
from lienthong.reporting.domain.certificates import STATES, CertificateRecord, CertificateSummary
from lienthong.reporting.domain.report import Processing, Report, ReportRow
from lienthong.reporting.projections.activity import DocumentActivity
from lienthong.reporting.v1 import reporting_pb2 as pb
from lienthong.reporting.v1 import reporting_pb2_grpc
from lienthong.vietnamese.calendar import vietnam_today

Context = Any  # grpc.aio.ServicerContext; errors travel as DomainError


class ReportingServicer(reporting_pb2_grpc.ReportingServiceServicer):
    """Implements `lienthong.reporting.v1.ReportingService`."""

    def __init__(self, activity: DocumentActivity, reports: Reports) -> None:
        self._activity = activity
        self._reports = reports

    async def GetProcessingStats(
        self, request: pb.GetProcessingStatsRequest, context: Context
    ) -> pb.GetProcessingStatsResponse:
        if not request.agency_code:
            raise InvalidArgument("agency_code is required")
        from_day, to_day = day_of(request.from_day, "from_day"), day_of(request.to_day, "to_day")
        stats = await asyncio.to_thread(
            self._activity.processing_of, request.agency_code, from_day, to_day, vietnam_today()
        )
        return pb.GetProcessingStatsResponse(**_processing_fields(stats))

    async def GetAgencyStats(self, request: pb.GetAgencyStatsRequest, context: Context) -> pb.GetAgencyStatsResponse:
        if not request.agency_code:
            raise InvalidArgument("agency_code is required")
        from_day, to_day = day_of(request.from_day, "from_day"), day_of(request.to_day, "to_day")
        stats = await asyncio.to_thread(self._activity.agency_stats, request.agency_code, from_day, to_day)
        return pb.GetAgencyStatsResponse(
            agency_code=stats.agency_code,
            sent=stats.sent,
            received=stats.received,
            days=[pb.DayCount(day=d.day.isoformat(), sent=d.sent, received=d.received) for d in stats.days],
        )

    async def GetReport(self, request: pb.GetReportRequest, context: Context) -> pb.GetReportResponse:
        report = await self._report(request.scope_code, request.from_day, request.to_day)
        return pb.GetReportResponse(
            scope_code=report.scope_code,
            scope_name=report.scope_name,
            lines=[_line(row) for row in report.rows],
            total=_line(report.total),
            months=[pb.MonthCount(month=m, sent=sent, received=got) for m, sent, got in report.months],
            processing_times=[pb.BucketCount(label=label, count=n) for label, n in report.processing_buckets],
            registry_changes=dict(report.registry_changes),
        )

    async def ExportReport(self, request: pb.ExportReportRequest, context: Context) -> pb.ExportReportResponse:
        if request.format not in EXPORTS:
            raise InvalidArgument("format is required: CSV, XLSX or PDF")
        render, content_type, extension = EXPORTS[request.format]
        report = await self._report(request.scope_code, request.from_day, request.to_day)
        content = await asyncio.to_thread(render, report)
        period = "-".join(day for day in (request.from_day, request.to_day) if day) or "all"
        return pb.ExportReportResponse(
            content=content, content_type=content_type, file_name=f"bao-cao-{report.scope_code}-{period}.{extension}"
        )

    async def ListCertificates(
        self, request: pb.ListCertificatesRequest, context: Context
    ) -> pb.ListCertificatesResponse:
        if not request.agency_code:
            raise InvalidArgument("agency_code is required: the identifier code of the agency")
        states = [state for state in STATES if state != "requested"]
        if request.state and request.state not in states:
            raise InvalidArgument(f"state {request.state!r} is not one of {', '.join(states)}")
        if request.page_size < 0:
            raise InvalidArgument(f"page_size must be positive, not {request.page_size}")
        if request.page_token and not request.page_token.isdigit():
            raise InvalidArgument(f"page_token {request.page_token!r} is not one this service gave")
        size, offset = min(request.page_size or 20, 200), int(request.page_token or 0)
        found = await asyncio.to_thread(self._reports.certificates, request.agency_code, datetime.now(UTC))
        chosen = [(c, state) for c, state in found if not request.state or state == request.state]
        return pb.ListCertificatesResponse(
            certificates=[_certificate(c, state) for c, state in chosen[offset : offset + size]],
            next_page_token=str(offset + size) if len(chosen) > offset + size else "",
            counts=dict(Counter(state for _, state in found)),
        )

    async def _report(self, scope_code: str, from_text: str, to_text: str) -> Report:
        if not scope_code:
            raise InvalidArgument("scope_code is required: the identifier code of the agency to report on")
        from_day, to_day = day_of(from_text, "from_day"), day_of(to_text, "to_day")
        if from_day and to_day and to_day < from_day:
            raise InvalidArgument(f"to_day {to_day} is before from_day {from_day}")
        return await asyncio.to_thread(self._reports.build, scope_code, from_day, to_day, vietnam_today())


# The exporters are imported at the first file asked for, not at start: openpyxl and matplotlib add about
# 30 and 37 MiB to the service's memory at rest, which most deployments never need.
def _certificate(certificate: CertificateRecord, state: str) -> pb.CertificateLine:
    line = pb.CertificateLine(
        serial=certificate.serial,
        agency_code=certificate.agency_code,
        kind=certificate.kind,
        state=state,
        issued_at=timestamp_of(certificate.issued_at),
        not_before=timestamp_of(certificate.not_before),
        not_after=timestamp_of(certificate.not_after),
    )
    if certificate.revoked_at is not None:
        line.revoked_at.FromDatetime(certificate.revoked_at)
    return line


def _csv(report: Report) -> bytes:
    from lienthong.reporting.adapters.outbound.exports.spreadsheet import to_csv

    return to_csv(report)


def _xlsx(report: Report) -> bytes:
    from lienthong.reporting.adapters.outbound.exports.spreadsheet import to_xlsx

    return to_xlsx(report)


def _pdf(report: Report) -> bytes:
    from lienthong.reporting.adapters.outbound.exports.pdf import to_pdf

    return to_pdf(report)


EXPORTS = {
    pb.REPORT_FORMAT_CSV: (_csv, "text/csv; charset=utf-8", "csv"),
    pb.REPORT_FORMAT_XLSX: (_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    pb.REPORT_FORMAT_PDF: (_pdf, "application/pdf", "pdf"),
}


def _processing_fields(stats: Processing) -> dict[str, Any]:
    return {
        "received": stats.received,
        "done": stats.done,
        "done_on_time": stats.done_on_time,
        "done_late": stats.done_late,
        "open": stats.open,
        "open_overdue": stats.open_overdue,
        "average_hours": stats.average_hours,
        "p90_hours": stats.p90_hours,
    }


def _line(row: ReportRow) -> pb.ReportLine:
    return pb.ReportLine(
        code=row.code,
        name=row.name,
        agencies=row.agencies,
        sent=row.sent,
        sent_signed=row.sent_signed,
        signed_share=row.signed_share,
        received=row.received,
        refused=row.refused,
        recalled=row.recalled,
        processing=pb.ProcessingSummary(**_processing_fields(row.processing)),
        certificates=_certificates(row.certificates),
        mail=pb.MailSummary(**asdict(row.mail)),
    )


def _certificates(summary: CertificateSummary) -> pb.CertificateSummary:
    return pb.CertificateSummary(
        **summary.states,
        **summary.kinds,
        issued=summary.issued,
        revoked_in_period=summary.revoked,
        lead_time_average_days=summary.lead_time_average_days,
        lead_time_p90_days=summary.lead_time_p90_days,
        signatures_automatic=summary.signatures_automatic,
        signatures_personal=summary.signatures_personal,
        verifications_failed=summary.verifications_failed,
    )
