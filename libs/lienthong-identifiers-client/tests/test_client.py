"""The identifiers client against a real gRPC server: agencies translated, answers cached until the registry
changes on NATS or the entry expires, the registry's refusals turned into domain errors."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import grpc
import nats
import pytest

from lienthong.errors import FailedPrecondition, InvalidArgument, NotFound
from lienthong.identifiers.v1 import identifiers_pb2 as pb
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.identifiers_client import AgencyInfo, AgencyRegistry, BlockingAgencyRegistry
from lienthong.relay import NatsLink, StreamNames

SO, UBND, MERGED, LOCKED = "000.00.12.H41", "000.00.00.H41", "000.00.31.H41", "000.00.07.H41"


class Registry(identifiers_pb2_grpc.IdentifiersServiceServicer):
    """A registry of four agencies that counts how often it is asked."""

    def __init__(self) -> None:
        self.asked: Counter[str] = Counter()
        self.names = {SO: "Sở Thông tin và Truyền thông", UBND: "Ủy ban nhân dân tỉnh Khánh Hòa"}

    def _agency(self, code: str) -> pb.Agency:
        if code == MERGED:
            return pb.Agency(code=MERGED, name="Sở Khoa học", short_name="SKH", state=pb.AGENCY_STATE_DISSOLVED)
        return pb.Agency(
            code=code,
            name=self.names[code],
            short_name="STTTT" if code == SO else "UBND",
            state=pb.AGENCY_STATE_ACTIVE,
            parent_code=UBND if code == SO else "",
            email="vanthu.stttt@khanhhoa.gov.vn" if code == SO else "",
            address="Nha Trang",
        )

    def GetAgency(self, request: pb.GetAgencyRequest, context: Any) -> pb.GetAgencyResponse:
        self.asked[f"get {request.code}"] += 1
        if request.code == "bad":
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "'bad' is not an identifier code")
        if request.code not in (*self.names, MERGED):
            context.abort(grpc.StatusCode.NOT_FOUND, f"no agency {request.code}")
        return pb.GetAgencyResponse(agency=self._agency(request.code))

    def ResolveAgency(self, request: pb.ResolveAgencyRequest, context: Any) -> pb.ResolveAgencyResponse:
        self.asked[f"resolve {request.code}"] += 1
        if request.code == LOCKED:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, f"agency {LOCKED} is locked")
        if request.code == MERGED:
            return pb.ResolveAgencyResponse(agency=self._agency(SO), path=[MERGED, SO])
        return pb.ResolveAgencyResponse(agency=self._agency(request.code), path=[request.code])


@pytest.fixture
def registry() -> Registry:
    return Registry()


@pytest.fixture
def address(registry: Registry) -> Iterator[str]:
    """A plain gRPC server answering as the registry, on a free port (blocking server: serves both clients)."""
    from concurrent.futures import ThreadPoolExecutor

    server = grpc.server(ThreadPoolExecutor(max_workers=4))
    identifiers_pb2_grpc.add_IdentifiersServiceServicer_to_server(registry, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{port}"
    server.stop(grace=None)


@pytest.fixture
async def channel(address: str) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(address) as channel:
        yield channel


async def test_an_agency_is_told_with_its_state_parent_and_mailbox(channel: grpc.aio.Channel) -> None:
    agencies = AgencyRegistry(channel)
    assert await agencies.get(SO) == AgencyInfo(
        code=SO,
        name="Sở Thông tin và Truyền thông",
        short_name="STTTT",
        active=True,
        state="active",
        parent_code=UBND,
        email="vanthu.stttt@khanhhoa.gov.vn",
        address="Nha Trang",
    )
    merged = await agencies.get(MERGED)
    assert (merged.active, merged.state) == (False, "dissolved")
    assert await agencies.name_of(UBND) == "Ủy ban nhân dân tỉnh Khánh Hòa"


async def test_answers_are_cached_until_forgotten(channel: grpc.aio.Channel, registry: Registry) -> None:
    agencies = AgencyRegistry(channel)
    await agencies.get(SO)
    registry.names[SO] = "Sở Thông tin và Truyền thông (renamed)"
    assert (await agencies.get(SO)).name == "Sở Thông tin và Truyền thông"
    assert registry.asked[f"get {SO}"] == 1
    agencies.forget()
    assert (await agencies.get(SO)).name == "Sở Thông tin và Truyền thông (renamed)"


async def test_with_no_ttl_every_lookup_asks_the_registry(channel: grpc.aio.Channel, registry: Registry) -> None:
    agencies = AgencyRegistry(channel, ttl=0)
    for _ in range(3):
        await agencies.name_of(SO)
        await agencies.resolve(MERGED)
    assert (registry.asked[f"get {SO}"], registry.asked[f"resolve {MERGED}"]) == (3, 3)


async def test_a_merged_code_resolves_to_its_successor_with_the_path(
    channel: grpc.aio.Channel, registry: Registry
) -> None:
    agencies = AgencyRegistry(channel)
    agency, path = await agencies.resolve(MERGED)
    assert (agency.code, path) == (SO, [MERGED, SO])
    assert await agencies.resolve(MERGED) == (agency, path)
    assert registry.asked[f"resolve {MERGED}"] == 1


async def test_the_registrys_refusals_are_domain_errors(channel: grpc.aio.Channel) -> None:
    agencies = AgencyRegistry(channel)
    with pytest.raises(NotFound, match=r"no agency 000\.00\.99\.H41"):
        await agencies.get("000.00.99.H41")
    with pytest.raises(InvalidArgument, match="not an identifier code"):
        await agencies.name_of("bad")
    with pytest.raises(FailedPrecondition, match="is locked"):
        await agencies.resolve(LOCKED)


async def test_an_identifiers_event_on_nats_empties_the_cache(
    channel: grpc.aio.Channel, registry: Registry, nats_url: str, instance: str
) -> None:
    agencies = AgencyRegistry(channel)
    names = StreamNames(instance)
    link = NatsLink(nats_url, name="test")
    watching = asyncio.create_task(agencies.watch(link, names))
    try:
        await agencies.get(SO)
        nc = await nats.connect(nats_url)
        try:
            await asyncio.sleep(0)  # let watch() subscribe before the event passes
            for _ in range(100):
                registry.names[SO] = "renamed"
                await nc.publish(names.subject("identifiers", "Agency", "Updated"), b"{}")
                await nc.flush()
                if (await agencies.get(SO)).name == "renamed":
                    break
                await asyncio.sleep(0.05)
        finally:
            await nc.close()
        assert (await agencies.get(SO)).name == "renamed"
    finally:
        watching.cancel()
        await link.close()


def test_the_blocking_client_answers_the_same_in_a_worker_thread(address: str) -> None:
    with grpc.insecure_channel(address) as channel:
        agencies = BlockingAgencyRegistry(channel)
        assert agencies.get(SO).email == "vanthu.stttt@khanhhoa.gov.vn"
        with pytest.raises(NotFound, match="no agency"):
            agencies.get("000.00.99.H41")
