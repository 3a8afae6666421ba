"""The gRPC face of the identifiers service: protobuf in, use case, protobuf out."""

from __future__ import annotations

import asyncio
from typing import Any

from lienthong.consumer import LocalFollower
from lienthong.errors import NotFound
from lienthong.grpcserver import timestamp_of
from lienthong.identifiers.application import IdentifiersApp
from lienthong.identifiers.domain.codes import IdentifierCode
from lienthong.identifiers.projections.registry import AgencyRow, Registry
from lienthong.identifiers.v1 import identifiers_pb2 as pb
from lienthong.identifiers.v1 import identifiers_pb2_grpc

Context = Any  # grpc.aio.ServicerContext; errors travel as DomainError

_STATES = {
    "active": pb.AGENCY_STATE_ACTIVE,
    "locked": pb.AGENCY_STATE_LOCKED,
    "dissolved": pb.AGENCY_STATE_DISSOLVED,
}


class IdentifiersServicer(identifiers_pb2_grpc.IdentifiersServiceServicer):
    """Implements `lienthong.identifiers.v1.IdentifiersService`."""

    def __init__(self, app: IdentifiersApp, registry: Registry, follower: LocalFollower) -> None:
        self._app = app
        self._registry = registry
        self._follower = follower

    async def RegisterAgency(self, request: pb.RegisterAgencyRequest, context: Context) -> pb.RegisterAgencyResponse:
        code = IdentifierCode.parse(request.code)
        await asyncio.to_thread(
            self._app.register_agency,
            code=code,
            name=request.name,
            short_name=request.short_name,
            email=request.email,
        )
        await asyncio.to_thread(self._follower.catch_up)
        return pb.RegisterAgencyResponse(agency=await self._agency(code))

    async def GetAgency(self, request: pb.GetAgencyRequest, context: Context) -> pb.GetAgencyResponse:
        return pb.GetAgencyResponse(agency=await self._agency(IdentifierCode.parse(request.code)))

    async def ListAgencies(self, request: pb.ListAgenciesRequest, context: Context) -> pb.ListAgenciesResponse:
        rows = await asyncio.to_thread(self._registry.all)
        return pb.ListAgenciesResponse(agencies=[_agency(row) for row in rows])

    async def _agency(self, code: IdentifierCode) -> pb.Agency:
        row = await asyncio.to_thread(self._registry.get, str(code))
        if row is None:
            raise NotFound(f"agency {code} is not registered")
        return _agency(row)


def _agency(row: AgencyRow) -> pb.Agency:
    return pb.Agency(
        code=row.code,
        name=row.name,
        short_name=row.short_name,
        parent_code=row.parent_code,
        email=row.email,
        state=_STATES[row.state],
        level=row.level,
        registered_at=timestamp_of(row.registered_at),
    )
