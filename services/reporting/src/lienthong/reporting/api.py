"""The gRPC face of the reporting service."""

from __future__ import annotations

import asyncio
from typing import Any

from lienthong.errors import InvalidArgument
from lienthong.grpcserver import day_of
from lienthong.reporting.projections.activity import DocumentActivity
from lienthong.reporting.v1 import reporting_pb2 as pb
from lienthong.reporting.v1 import reporting_pb2_grpc
from lienthong.vietnamese.calendar import vietnam_today

Context = Any  # grpc.aio.ServicerContext; errors travel as DomainError


class ReportingServicer(reporting_pb2_grpc.ReportingServiceServicer):
    """Implements `lienthong.reporting.v1.ReportingService`."""

    def __init__(self, activity: DocumentActivity) -> None:
        self._activity = activity

    async def GetProcessingStats(
        self, request: pb.GetProcessingStatsRequest, context: Context
    ) -> pb.GetProcessingStatsResponse:
        if not request.agency_code:
            raise InvalidArgument("agency_code is required")
        from_day, to_day = day_of(request.from_day, "from_day"), day_of(request.to_day, "to_day")
        stats = await asyncio.to_thread(
            self._activity.processing_of, request.agency_code, from_day, to_day, vietnam_today()
        )
        return pb.GetProcessingStatsResponse(
            received=stats.received,
            done=stats.done,
            done_on_time=stats.done_on_time,
            done_late=stats.done_late,
            open=stats.open,
            open_overdue=stats.open_overdue,
            average_hours=stats.average_hours,
            p90_hours=stats.p90_hours,
        )

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
