"""Agency names from the identifiers service: a seal certificate is only issued to a registered agency."""

from __future__ import annotations

import grpc

from lienthong.errors import from_grpc_status
from lienthong.identifiers.v1 import identifiers_pb2, identifiers_pb2_grpc


class AgencyNames:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = identifiers_pb2_grpc.IdentifiersServiceStub(channel)

    async def name_of(self, code: str) -> str:
        """The registered name of the agency; NOT_FOUND / INVALID_ARGUMENT as identifiers answers."""
        try:
            response = await self._stub.GetAgency(identifiers_pb2.GetAgencyRequest(code=code), timeout=10)
        except grpc.aio.AioRpcError as error:
            raise from_grpc_status(error.code(), error.details() or "", "identifiers") from error
        return response.agency.name
