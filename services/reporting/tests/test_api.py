"""The gRPC API answers the read model's counts and refuses malformed requests with INVALID_ARGUMENT."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
import openpyxl
import pypdfium2
import pytest
from sqlalchemy import create_engine

from lienthong.grpcserver.interceptors import DomainInterceptor
from lienthong.reporting.api import ReportingServicer
from lienthong.reporting.projections.activity import DocumentActivity
from lienthong.reporting.projections.agencies import AgencyTree
from lienthong.reporting.reports import Reports
from lienthong.reporting.v1 import reporting_pb2 as pb
from lienthong.reporting.v1 import reporting_pb2_grpc

if TYPE_CHECKING:  # the fixtures' types; pytest imports conftest itself
    from conftest import DocumentEvents


@pytest.fixture
def activity(database_url: str, events: DocumentEvents) -> DocumentActivity:
    """A read model that has counted three documents sent and one received over two Vietnamese days."""
    activity = DocumentActivity(create_engine(database_url))
    feed = [
        events.sent(1, "2026-11-24T02:00:00+00:00"),
        events.sent(2, "2026-11-24T18:00:00+00:00"),  # 25 November in Vietnam
        events.sent(3, "2026-11-25T03:00:00+00:00"),
        events.arrived(4, "2026-11-24T03:00:00+00:00", recipient=events.sender),
    ]
    activity.process_many("documents", list(enumerate(feed, start=1)))
    return activity


@pytest.fixture
async def reporting(activity: DocumentActivity) -> AsyncIterator[reporting_pb2_grpc.ReportingServiceAsyncStub]:
    """A client of the servicer on a real server, with the interceptor that maps domain errors to statuses."""
    server = grpc.aio.server(interceptors=[DomainInterceptor()])
    tree = AgencyTree(activity.engine)
    servicer = ReportingServicer(activity, Reports(activity, tree))
    reporting_pb2_grpc.add_ReportingServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield reporting_pb2_grpc.ReportingServiceStub(channel)
    finally:
        await server.stop(None)


async def test_agency_stats_give_totals_and_days_oldest_first(
    reporting: reporting_pb2_grpc.ReportingServiceAsyncStub, events: DocumentEvents
) -> None:
    response = await reporting.GetAgencyStats(pb.GetAgencyStatsRequest(agency_code=events.sender))

    assert response == pb.GetAgencyStatsResponse(
        agency_code=events.sender,
        sent=3,
        received=1,
        days=[pb.DayCount(day="2026-11-24", sent=1, received=1), pb.DayCount(day="2026-11-25", sent=2, received=0)],
    )


async def test_agency_stats_of_one_day(
    reporting: reporting_pb2_grpc.ReportingServiceAsyncStub, events: DocumentEvents
) -> None:
    request = pb.GetAgencyStatsRequest(agency_code=events.sender, from_day="2026-11-25", to_day="2026-11-25")

    response = await reporting.GetAgencyStats(request)

    assert (response.sent, response.received, [d.day for d in response.days]) == (2, 0, ["2026-11-25"])


async def test_an_agency_without_documents_has_zero_counts(
    reporting: reporting_pb2_grpc.ReportingServiceAsyncStub,
) -> None:
    response = await reporting.GetAgencyStats(pb.GetAgencyStatsRequest(agency_code="000.00.99.H99"))

    assert response == pb.GetAgencyStatsResponse(agency_code="000.00.99.H99")


@pytest.mark.parametrize(
    ("request_fields", "reason"),
    [
        ({"from_day": "24/11/2026"}, "from_day must be YYYY-MM-DD, got '24/11/2026'"),
        ({"to_day": "2026-11-31"}, "to_day must be YYYY-MM-DD, got '2026-11-31'"),
        ({"agency_code": ""}, "agency_code is required"),
    ],
)
async def test_a_malformed_request_is_invalid_argument_with_its_reason(
    reporting: reporting_pb2_grpc.ReportingServiceAsyncStub,
    events: DocumentEvents,
    request_fields: dict[str, str],
    reason: str,
) -> None:
    request = pb.GetAgencyStatsRequest(**{"agency_code": events.sender, **request_fields})

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await reporting.GetAgencyStats(request)

    assert (refused.value.code(), refused.value.details()) == (grpc.StatusCode.INVALID_ARGUMENT, reason)


async def test_processing_stats_are_answered_from_the_same_read_model(
    reporting: reporting_pb2_grpc.ReportingServiceAsyncStub, events: DocumentEvents
) -> None:
    request = pb.GetProcessingStatsRequest(agency_code=events.sender, from_day="2026-11-24", to_day="2026-11-24")

    response = await reporting.GetProcessingStats(request)

    assert (response.received, response.done, response.open) == (1, 0, 1)


@pytest.fixture
def province(activity: DocumentActivity, events: DocumentEvents) -> str:
    """The recipient is the province; the sender is one of its departments."""
    tree = AgencyTree(activity.engine)
    agencies = [
        events.agency(events.recipient, "", "UBND tỉnh Đắk Lắk"),
        events.agency(events.sender, events.recipient, "Sở TTTT"),
    ]
    tree.process_many("identifiers", list(enumerate(agencies, start=1)))
    return events.recipient


async def test_a_report_rolls_the_department_up_into_the_province(
    reporting: reporting_pb2_grpc.ReportingServiceAsyncStub, province: str, events: DocumentEvents
) -> None:
    report = await reporting.GetReport(pb.GetReportRequest(scope_code=province))
    assert [(line.code, line.name, line.sent, line.received) for line in report.lines] == [
        (province, "UBND tỉnh Đắk Lắk", 0, 0),
        (events.sender, "Sở TTTT", 3, 1),
    ]
    assert (report.total.agencies, report.total.sent, report.total.received) == (2, 3, 1)
    assert dict(report.registry_changes) == {"issued": 2}
    assert [(m.month, m.sent, m.received) for m in report.months] == [("2026-11", 3, 1)]


async def test_a_report_of_an_unknown_agency_or_a_reversed_period_is_refused(
    reporting: reporting_pb2_grpc.ReportingServiceAsyncStub, province: str
) -> None:
    requests = [
        (pb.GetReportRequest(scope_code="000.00.99.H41"), grpc.StatusCode.NOT_FOUND),
        (
            pb.GetReportRequest(scope_code=province, from_day="2026-11-30", to_day="2026-11-01"),
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (pb.GetReportRequest(), grpc.StatusCode.INVALID_ARGUMENT),
    ]
    for request, status in requests:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await reporting.GetReport(request)
        assert refused.value.code() == status
        assert refused.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await reporting.ExportReport(pb.ExportReportRequest(scope_code=province))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_the_report_exports_to_csv_and_xlsx_with_the_same_numbers(
    reporting: reporting_pb2_grpc.ReportingServiceAsyncStub, province: str
) -> None:
    csv_file = await reporting.ExportReport(pb.ExportReportRequest(scope_code=province, format=pb.REPORT_FORMAT_CSV))
    rows = list(csv.reader(io.StringIO(csv_file.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Mã định danh", "Đơn vị", "Số cơ quan", "VB đi"]
    assert [row[:4] for row in rows[1:]] == [
        [province, "UBND tỉnh Đắk Lắk", "1", "0"],
        ["000.00.12.H41", "Sở TTTT", "1", "3"],
        [province, "Tổng cộng", "2", "3"],
    ]
    assert csv_file.file_name == f"bao-cao-{province}-all.csv"

    xlsx_file = await reporting.ExportReport(pb.ExportReportRequest(scope_code=province, format=pb.REPORT_FORMAT_XLSX))
    book = openpyxl.load_workbook(io.BytesIO(xlsx_file.content))
    sheet = book["Báo cáo"]
    values = [[cell.value for cell in row][:4] for row in sheet.iter_rows(min_row=5)]
    assert values == [
        [province, "UBND tỉnh Đắk Lắk", 1, 0],
        ["000.00.12.H41", "Sở TTTT", 1, 3],
        [province, "Tổng cộng", 2, 3],
    ]


async def test_the_pdf_report_opens_and_its_charts_are_drawn(
    reporting: reporting_pb2_grpc.ReportingServiceAsyncStub, province: str, tmp_path: Path
) -> None:
    exported = await reporting.ExportReport(pb.ExportReportRequest(scope_code=province, format=pb.REPORT_FORMAT_PDF))
    assert exported.content_type == "application/pdf"
    pdf = pypdfium2.PdfDocument(exported.content)
    assert len(pdf) == 2
    assert "UBND tỉnh Đắk Lắk" in pdf[0].get_textpage().get_text_range()
    charts = pdf[1].render(scale=1).to_pil().convert("L")
    charts.save(tmp_path / "charts.png")
    histogram = charts.histogram()
    inked = sum(histogram[:200])  # pixels clearly darker than the white page
    coloured = len(charts.getcolors(maxcolors=256) or [])
    assert inked > 0.02 * charts.width * charts.height, "the chart page is (nearly) blank"
    assert coloured > 20, "the chart page has no shades: the charts were not drawn"
