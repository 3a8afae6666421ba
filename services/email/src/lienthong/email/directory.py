"""Agency names and mailboxes from the identifiers service, for a consumer running in a worker thread."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import grpc

from lienthong.email.channels import BlockingChannel
from lienthong.errors import from_grpc_status
from lienthong.identifiers.v1 import identifiers_pb2, identifiers_pb2_grpc


@dataclass(frozen=True)
class Mailbox:
    """An agency's name and official e-mail address ("" when it has none)."""

    code: str
    name: str
    email: str


class AgencyDirectory(Protocol):
    """Names and official addresses of agencies by identifier code."""

    def get(self, code: str) -> Mailbox: ...


class AgencyMailboxes:
    """Looks up agencies over a traced, blocking gRPC channel (the caller is a worker thread)."""

    def __init__(self, address: str) -> None:
        self._channel = BlockingChannel(address)
        self._stub = identifiers_pb2_grpc.IdentifiersServiceStub(self._channel.channel)

    def get(self, code: str) -> Mailbox:
        try:
            agency = self._stub.GetAgency(identifiers_pb2.GetAgencyRequest(code=code), timeout=10).agency
        except grpc.RpcError as error:
            raise from_grpc_status(error.code(), error.details() or "", "identifiers") from error
        return Mailbox(code=agency.code, name=agency.name, email=agency.email)

    def close(self) -> None:
        self._channel.close()
