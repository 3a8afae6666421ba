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
from PIL import Image
from sqlalchemy import create_engine

from lienthong.grpcserver.interceptors import DomainInterceptor
from lienthong.reporting.adapters.inbound.api import ReportingServicer
from lienthong.reporting.application.reports import Reports
from lienthong.reporting.projections.activity import DocumentActivity
from lienthong.reporting.projections.agencies import AgencyTree
from lienthong.reporting.projections.certificates import CertificateRegistry
from lienthong.reporting.projections.mail import MailActivity
from lienthong.reporting.v1 import reporting_pb2 as pb
from lienthong.reporting.v1 import reporting_pb2_grpc

if TYPE_CHECKING:  # the fixtures' types; pytest imports conftest itself
    from conftest import DocumentEvents, EmailEvents, SigningEvents


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
    reports = Reports(activity, tree, CertificateRegistry(activity.engine), MailActivity(activity.engine))
    servicer = ReportingServicer(activity, reports)
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


# Where the four charts of issue #8 are on their pages (fractions of the page: left, top, right, bottom).
CHARTS = {
    "documents per month": (1, (0.0, 0.05, 0.5, 0.5)),
    "signed share": (1, (0.5, 0.05, 1.0, 0.5)),
    "processing time distribution": (1, (0.0, 0.5, 0.5, 1.0)),
    "certificate states": (2, (0.0, 0.05, 0.34, 0.5)),
}


def coloured_share(page: Image.Image, box: tuple[float, float, float, float]) -> float:
    """The share of the pixels in `box` that are clearly coloured: the charts' bars and wedges, not the black
    and grey of text, axes and grid."""
    left, top, right, bottom = box
    region = page.crop(
        (int(left * page.width), int(top * page.height), int(right * page.width), int(bottom * page.height))
    )
    pixels = list(region.convert("RGB").get_flattened_data())
    return sum(1 for r, g, b in pixels if max(r, g, b) - min(r, g, b) > 60) / len(pixels)


async def test_the_pdf_report_opens_and_its_charts_are_drawn(
    reporting: reporting_pb2_grpc.ReportingServiceAsyncStub,
    province: str,
    activity: DocumentActivity,
    events: DocumentEvents,
    signing: SigningEvents,
    tmp_path: Path,
) -> None:
    # Something for every chart: one of the five documents sent is signed (20%), two copies were processed (in
    # under a day and in two days), certificates are active, revoked and suspended.
    feed = [
        events.drafted(6),
        events.signed(6),
        events.sent(6, "2026-11-25T04:00:00+00:00"),
        events.sent(7, "2026-11-25T05:00:00+00:00"),
        events.arrived(5, "2026-11-24T05:00:00+00:00", recipient=events.sender),
        events.completed(4, "2026-11-26T03:00:00+00:00"),
        events.completed(5, "2026-11-24T15:00:00+00:00"),
    ]
    activity.process_many("documents", list(enumerate(feed, start=5)))
    certificates = [
        signing.issued(1, events.sender, "2026-11-02T02:00:00+00:00", kind="individual"),
        signing.issued(2, events.sender, "2026-11-02T02:00:00+00:00"),
        signing.issued(3, province, "2026-11-03T02:00:00+00:00", kind="sim_pki"),
        signing.changed(3, 2, "Revoked", "2026-11-04T02:00:00+00:00"),
        signing.changed(2, 2, "Suspended", "2026-11-05T02:00:00+00:00"),
    ]
    CertificateRegistry(activity.engine).process_many("signing", list(enumerate(certificates, start=1)))

    exported = await reporting.ExportReport(pb.ExportReportRequest(scope_code=province, format=pb.REPORT_FORMAT_PDF))

    assert exported.content_type == "application/pdf"
    pdf = pypdfium2.PdfDocument(exported.content)
    assert len(pdf) == 3
    assert "UBND tỉnh Đắk Lắk" in pdf[0].get_textpage().get_text_range()
    text = " ".join(pdf[n].get_textpage().get_text_range() for n in (1, 2))
    for title in ("Văn bản theo tháng", "Tỷ lệ văn bản đi có ký số", "Thời gian từ khi đến tới khi xử lý xong"):
        assert title in text
    assert "Trạng thái chứng thư số cuối kỳ" in text
    assert "20.0%" in text  # the signed share, as the pie labels it
    assert "Thư thông báo trong kỳ" in text
    pages = {n: pdf[n].render(scale=1).to_pil() for n in (1, 2)}
    for n, page in pages.items():
        page.save(tmp_path / f"charts-{n + 1}.png")  # to look at: pytest --basetemp=<dir>
    for chart, (n, box) in CHARTS.items():
        assert coloured_share(pages[n], box) > 0.01, f"the {chart} chart (page {n + 1}) shows no data"


async def test_a_report_counts_certificates_per_unit_and_rolls_them_up(
    reporting: reporting_pb2_grpc.ReportingServiceAsyncStub,
    province: str,
    activity: DocumentActivity,
    events: DocumentEvents,
    signing: SigningEvents,
) -> None:
    feed = [
        signing.issued(1, events.sender, "2026-11-02T02:00:00+00:00", kind="individual"),
        signing.issued(2, events.sender, "2026-11-02T02:00:00+00:00", not_after="2026-11-10T00:00:00+00:00"),
        signing.issued(3, province, "2026-11-03T02:00:00+00:00", kind="sim_pki"),
        signing.changed(3, 2, "Revoked", "2026-11-04T02:00:00+00:00"),
        signing.signature(1, 2, "2026-11-05T02:00:00+00:00"),
        signing.requested(4, events.sender, "2026-11-05T02:00:00+00:00"),
    ]
    CertificateRegistry(activity.engine).process_many("signing", list(enumerate(feed, start=1)))

    report = await reporting.GetReport(pb.GetReportRequest(scope_code=province, to_day="2026-11-30"))

    own, department = report.lines
    assert (own.certificates.revoked, own.certificates.sim_pki, own.certificates.revoked_in_period) == (1, 1, 1)
    assert (department.certificates.active, department.certificates.expired) == (1, 1)
    assert (department.certificates.requested, department.certificates.signatures_personal) == (1, 1)
    total = report.total.certificates
    assert (total.individual, total.organisation, total.sim_pki, total.issued) == (1, 1, 1, 3)
    exported = await reporting.ExportReport(
        pb.ExportReportRequest(scope_code=province, to_day="2026-11-30", format=pb.REPORT_FORMAT_CSV)
    )
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [(row["CTS hoạt động"], row["CTS hết hạn"], row["CTS thu hồi"]) for row in rows] == [
        ("0", "0", "1"),
        ("1", "1", "0"),
        ("1", "1", "1"),
    ]


async def test_a_report_counts_mailboxes_and_mail_per_unit_and_rolls_them_up(
    reporting: reporting_pb2_grpc.ReportingServiceAsyncStub,
    province: str,
    activity: DocumentActivity,
    events: DocumentEvents,
    email: EmailEvents,
) -> None:
    feed = [
        email.provisioned(1, events.sender, "2026-10-20T02:00:00+00:00"),
        email.provisioned(2, events.sender, "2026-11-02T02:00:00+00:00"),
        email.mailbox(2, 2, "Deleted", "2026-11-03T02:00:00+00:00"),
        email.provisioned(3, province, "2026-11-02T02:00:00+00:00"),
        email.queued(1, events.sender, "2026-11-04T02:00:00+00:00"),
        email.outcome(1, 2, "Sent", "2026-11-04T02:00:00+00:00"),
        email.queued(2, province, "2026-11-04T02:00:00+00:00"),
        email.outcome(2, 2, "Deferred", "2026-11-04T02:00:00+00:00"),
        email.outcome(2, 3, "Bounced", "2026-11-05T02:00:00+00:00"),
    ]
    MailActivity(activity.engine).process_many("email", list(enumerate(feed, start=1)))

    report = await reporting.GetReport(pb.GetReportRequest(scope_code=province, from_day="2026-11-01"))

    own, department = report.lines
    assert (department.mail.provisioned, department.mail.active, department.mail.sent) == (1, 1, 1)
    assert (own.mail.provisioned, own.mail.active, own.mail.deferred, own.mail.bounced) == (1, 1, 1, 1)
    total = report.total.mail
    assert (total.provisioned, total.active, total.sent, total.deferred, total.bounced) == (2, 2, 1, 1, 1)
    exported = await reporting.ExportReport(
        pb.ExportReportRequest(scope_code=province, from_day="2026-11-01", format=pb.REPORT_FORMAT_XLSX)
    )
    sheet = openpyxl.load_workbook(io.BytesIO(exported.content))["Báo cáo"]
    header = [cell.value for cell in sheet[4]]
    total_row = [cell.value for cell in sheet[sheet.max_row]]
    assert total_row[header.index("Hộp thư hoạt động")] == 2
    assert total_row[header.index("Thư bị trả lại")] == 1


async def test_certificates_are_listed_by_state_expiring_first_a_page_at_a_time(
    reporting: reporting_pb2_grpc.ReportingServiceAsyncStub,
    province: str,
    activity: DocumentActivity,
    events: DocumentEvents,
    signing: SigningEvents,
) -> None:
    # Today is after 2026-11 (the clock of the test machine): cert 4 expired, cert 3 revoked, 1 and 2 active.
    feed = [
        signing.issued(1, events.sender, "2026-11-02T02:00:00+00:00", not_after="2030-01-01T00:00:00+00:00"),
        signing.issued(2, province, "2026-11-02T02:00:00+00:00", not_after="2029-01-01T00:00:00+00:00"),
        signing.issued(3, province, "2026-11-03T02:00:00+00:00", not_after="2028-01-01T00:00:00+00:00"),
        signing.changed(3, 2, "Revoked", "2026-11-04T02:00:00+00:00"),
        signing.issued(4, events.sender, "2026-01-02T02:00:00+00:00", not_after="2026-02-01T00:00:00+00:00"),
    ]
    CertificateRegistry(activity.engine).process_many("signing", list(enumerate(feed, start=1)))

    everything = await reporting.ListCertificates(pb.ListCertificatesRequest(agency_code=province))
    assert [(c.serial, c.state) for c in everything.certificates] == [
        ("4", "expired"),
        ("3", "revoked"),
        ("2", "active"),
        ("1", "active"),
    ]
    assert dict(everything.counts) == {"expired": 1, "revoked": 1, "active": 2}
    assert everything.certificates[1].HasField("revoked_at")
    assert not everything.certificates[0].HasField("revoked_at")

    first = await reporting.ListCertificates(
        pb.ListCertificatesRequest(agency_code=province, state="active", page_size=1)
    )
    second = await reporting.ListCertificates(
        pb.ListCertificatesRequest(agency_code=province, state="active", page_size=1, page_token=first.next_page_token)
    )
    assert ([c.serial for c in first.certificates], [c.serial for c in second.certificates]) == (["2"], ["1"])
    assert second.next_page_token == ""
    own = await reporting.ListCertificates(pb.ListCertificatesRequest(agency_code=events.sender))
    assert [c.serial for c in own.certificates] == ["4", "1"]  # the department's only, not the province's

    for bad, reason in [
        (pb.ListCertificatesRequest(), "agency_code is required"),
        (pb.ListCertificatesRequest(agency_code=province, state="lost"), "state 'lost' is not one of"),
        (pb.ListCertificatesRequest(agency_code=province, page_token="x"), "page_token 'x'"),
    ]:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await reporting.ListCertificates(bad)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert reason in (refused.value.details() or "")
