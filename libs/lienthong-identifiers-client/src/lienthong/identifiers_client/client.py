"""Agencies as other services see them, read from the identifiers service over gRPC."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Protocol

import grpc
from nats.aio.msg import Msg

from lienthong.errors import from_grpc_status
from lienthong.identifiers.v1 import identifiers_pb2, identifiers_pb2_grpc
from lienthong.relay import NatsLink, StreamNames

TIMEOUT = 10.0  # seconds a lookup may take before the caller hears DEADLINE_EXCEEDED


@dataclass(frozen=True)
class AgencyInfo:
    """What another service needs to know of an agency."""

    code: str
    name: str
    short_name: str
    active: bool
    state: str
    parent_code: str = ""
    email: str = ""  # the official address, "" when it has none
    address: str = ""


class AgencyLookup(Protocol):
    """Agencies by identifier code, for code that runs in a worker thread (see BlockingAgencyRegistry)."""

    def get(self, code: str) -> AgencyInfo: ...


class AgencyRegistry:
    """Looks agencies up in the identifiers service, caching answers until the registry changes.

    `watch()` drops the cache whenever an identifiers event passes on NATS; entries also expire after
    `ttl` seconds, in case NATS is down when a change happens. `ttl=0` caches nothing.
    """

    def __init__(self, channel: grpc.aio.Channel, ttl: float = 60.0) -> None:
        self._stub = identifiers_pb2_grpc.IdentifiersServiceStub(channel)
        self._ttl = ttl
        self._agencies: dict[str, tuple[float, AgencyInfo]] = {}
        self._routes: dict[str, tuple[float, AgencyInfo, list[str]]] = {}

    async def get(self, code: str) -> AgencyInfo:
        """The agency registered at `code`, whatever its state; NOT_FOUND / INVALID_ARGUMENT as identifiers
        answers."""
        cached = self._agencies.get(code)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            response = await self._stub.GetAgency(identifiers_pb2.GetAgencyRequest(code=code), timeout=TIMEOUT)
        except grpc.aio.AioRpcError as error:
            raise from_grpc_status(error.code(), error.details() or "", "identifiers") from error
        agency = agency_info(response.agency)
        if self._ttl > 0:
            self._agencies[code] = (time.monotonic() + self._ttl, agency)
        return agency

    async def name_of(self, code: str) -> str:
        """The registered name of the agency at `code`."""
        return (await self.get(code)).name

    async def resolve(self, code: str) -> tuple[AgencyInfo, list[str]]:
        """The agency that now receives for `code` and the codes passed on the way (merges, moves);
        FAILED_PRECONDITION with the reason when nobody does (locked, dissolved, split)."""
        cached = self._routes.get(code)
        if cached and cached[0] > time.monotonic():
            return cached[1], cached[2]
        try:
            request = identifiers_pb2.ResolveAgencyRequest(code=code)
            response = await self._stub.ResolveAgency(request, timeout=TIMEOUT)
        except grpc.aio.AioRpcError as error:
            raise from_grpc_status(error.code(), error.details() or "", "identifiers") from error
        agency, path = agency_info(response.agency), list(response.path)
        if self._ttl > 0:
            self._routes[code] = (time.monotonic() + self._ttl, agency, path)
        return agency, path

    def forget(self) -> None:
        """Drop every cached answer."""
        self._agencies.clear()
        self._routes.clear()

    async def watch(self, link: NatsLink, names: StreamNames) -> None:
        """Forget the cache on every identifiers event published on NATS, until cancelled."""

        async def changed(_: Msg) -> None:
            self.forget()

        nc = await link.client()
        subscription = await nc.subscribe(names.subjects("identifiers"), cb=changed)
        try:
            await asyncio.Event().wait()
        finally:
            await subscription.unsubscribe()


class BlockingAgencyRegistry:
    """The same lookups over a blocking gRPC channel, for a caller in a worker thread (a NATS consumer's
    sink); nothing is cached. The caller owns `channel` and closes it."""

    def __init__(self, channel: grpc.Channel) -> None:
        self._stub = identifiers_pb2_grpc.IdentifiersServiceStub(channel)

    def get(self, code: str) -> AgencyInfo:
        """The agency registered at `code`, whatever its state; NOT_FOUND / INVALID_ARGUMENT as identifiers
        answers."""
        try:
            response = self._stub.GetAgency(identifiers_pb2.GetAgencyRequest(code=code), timeout=TIMEOUT)
        except grpc.RpcError as error:
            raise from_grpc_status(error.code(), error.details() or "", "identifiers") from error
        return agency_info(response.agency)


def agency_info(agency: identifiers_pb2.Agency) -> AgencyInfo:
    """The registry's protobuf Agency as AgencyInfo; `state` is the enum's name, e.g. "active", "locked"."""
    return AgencyInfo(
        code=agency.code,
        name=agency.name,
        short_name=agency.short_name,
        active=agency.state == identifiers_pb2.AGENCY_STATE_ACTIVE,
        state=identifiers_pb2.AgencyState.Name(agency.state).removeprefix("AGENCY_STATE_").lower(),
        parent_code=agency.parent_code,
        email=agency.email,
        address=agency.address,
    )
