"""The gRPC API answers the read model's counts and refuses malformed requests with INVALID_ARGUMENT."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import grpc
import pytest
from sqlalchemy import create_engine

from lienthong.grpcserver.interceptors import DomainInterceptor
from lienthong.reporting.api import ReportingServicer
from lienthong.reporting.projections.activity import DocumentActivity
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
    reporting_pb2_grpc.add_ReportingServiceServicer_to_server(ReportingServicer(activity), server)
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
