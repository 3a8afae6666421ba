"""Auditors replay an aggregate's history, see its state at any instant, and diff two instants, over gRPC."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import grpc
import pytest
from eventsourcing.domain import Aggregate, event
from google.protobuf import timestamp_pb2
from google.protobuf.json_format import MessageToDict
from sqlalchemy import text

from lienthong.audit.service import audit_service
from lienthong.audit.v1 import audit_pb2 as pb
from lienthong.audit.v1 import audit_pb2_grpc
from lienthong.eventstore import StoredApplication, event_context, store_environment
from lienthong.eventstore.chain import ChainSealer
from lienthong.grpcserver.interceptors import DomainInterceptor


class Parcel(Aggregate):
    @event("Posted")
    def __init__(self, label: str) -> None:
        self.label = label
        self.offices: list[str] = []

    @event("Stamped")
    def stamp(self, office: str) -> None:
        self.offices.append(office)

    @event("Relabelled")
    def relabel(self, label: str) -> None:
        self.label = label


class Parcels(StoredApplication):
    name = "Parcels"


def stamp_of(moment: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


@pytest.fixture
def parcels(database_url: str) -> Parcels:
    return Parcels(store_environment("parcels", database_url))


class ActingAs(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    """Names the caller on every unary call, as the CLI does."""

    def __init__(self, actor: str) -> None:
        self._metadata = (("x-lienthong-actor", actor),)

    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(details._replace(metadata=self._metadata), request)


class StreamingActingAs(grpc.aio.UnaryStreamClientInterceptor):  # type: ignore[misc]
    """The same for server-streaming calls (a channel takes one interceptor object per kind of call)."""

    def __init__(self, actor: str) -> None:
        self._metadata = (("x-lienthong-actor", actor),)

    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(details._replace(metadata=self._metadata), request)


def acting_as(actor: str) -> list[Any]:
    return [ActingAs(actor), StreamingActingAs(actor)]


@pytest.fixture
async def server_port(parcels: Parcels) -> AsyncIterator[int]:
    server = grpc.aio.server(interceptors=[DomainInterceptor()])
    audit_service(parcels, "parcels").register(server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield port
    await server.stop(None)


@pytest.fixture
async def audit(server_port: int) -> AsyncIterator[audit_pb2_grpc.AuditServiceStub]:
    """A client acting as an auditor."""
    interceptors = acting_as("auditor@000.00.00.H41")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server_port}", interceptors=interceptors) as channel:
        yield audit_pb2_grpc.AuditServiceStub(channel)


def moments(parcels: Parcels) -> tuple[Parcel, list[datetime]]:
    """A parcel posted, stamped twice and relabelled, with an instant between each step."""
    marks = []
    with event_context("clerk@A"):
        parcel = Parcel("letter")
        parcels.save(parcel)
        for change in (lambda: parcel.stamp("Hà Nội"), lambda: parcel.stamp("Đắk Lắk"), lambda: parcel.relabel("box")):
            time.sleep(0.01)
            marks.append(datetime.now(UTC))
            time.sleep(0.01)
            change()
            parcels.save(parcel)
    return parcel, marks


async def test_history_is_streamed_in_order_with_who_did_it(
    parcels: Parcels, audit: audit_pb2_grpc.AuditServiceStub
) -> None:
    parcel, _ = moments(parcels)
    events = [r.event async for r in audit.StreamHistory(pb.StreamHistoryRequest(aggregate_id=str(parcel.id)))]
    assert [(e.version, e.event, e.actor, e.service) for e in events] == [
        (1, "Posted", "clerk@A", "parcels"),
        (2, "Stamped", "clerk@A", "parcels"),
        (3, "Stamped", "clerk@A", "parcels"),
        (4, "Relabelled", "clerk@A", "parcels"),
    ]
    assert MessageToDict(events[1].data) == {"office": "Hà Nội"}


async def test_state_at_an_instant_replays_only_the_events_before_it(
    parcels: Parcels, audit: audit_pb2_grpc.AuditServiceStub
) -> None:
    parcel, marks = moments(parcels)
    before_posting = datetime(2020, 1, 1, tzinfo=UTC)
    nothing = await audit.GetStateAt(pb.GetStateAtRequest(aggregate_id=str(parcel.id), at=stamp_of(before_posting)))
    assert (nothing.aggregate, nothing.version, dict(nothing.state)) == ("Parcel", 0, {})
    after_first_stamp = await audit.GetStateAt(pb.GetStateAtRequest(aggregate_id=str(parcel.id), at=stamp_of(marks[1])))
    assert after_first_stamp.version == 2
    assert MessageToDict(after_first_stamp.state) == {"label": "letter", "offices": ["Hà Nội"]}
    now = await audit.GetStateAt(pb.GetStateAtRequest(aggregate_id=str(parcel.id), at=stamp_of(datetime.now(UTC))))
    assert MessageToDict(now.state) == {"label": "box", "offices": ["Hà Nội", "Đắk Lắk"]}


async def test_a_diff_names_each_changed_field_and_the_events_between(
    parcels: Parcels, audit: audit_pb2_grpc.AuditServiceStub
) -> None:
    parcel, marks = moments(parcels)
    request = pb.DiffStatesRequest(aggregate_id=str(parcel.id), to=stamp_of(datetime.now(UTC)))
    getattr(request, "from").CopyFrom(stamp_of(marks[1]))
    diff = await audit.DiffStates(request)
    assert (diff.from_version, diff.to_version) == (2, 4)
    assert [(c.field, MessageToDict(c.before), MessageToDict(c.after)) for c in diff.changes] == [
        ("label", "letter", "box"),
        ("offices", ["Hà Nội"], ["Hà Nội", "Đắk Lắk"]),
    ]
    assert [e.event for e in diff.events] == ["Stamped", "Relabelled"]


async def test_bad_requests_get_precise_statuses(parcels: Parcels, audit: audit_pb2_grpc.AuditServiceStub) -> None:
    parcel, _ = moments(parcels)
    cases = [
        (
            audit.GetStateAt(pb.GetStateAtRequest(aggregate_id="nope", at=stamp_of(datetime.now(UTC)))),
            "INVALID_ARGUMENT",
        ),
        (audit.GetStateAt(pb.GetStateAtRequest(aggregate_id=str(parcel.id))), "INVALID_ARGUMENT"),
        (
            audit.GetStateAt(
                pb.GetStateAtRequest(
                    aggregate_id="00000000-0000-0000-0000-000000000001", at=stamp_of(datetime.now(UTC))
                )
            ),
            "NOT_FOUND",
        ),
    ]
    for call, status in cases:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await call
        assert refused.value.code().name == status
        assert refused.value.details()
    stream = audit.StreamHistory(pb.StreamHistoryRequest(aggregate_id="00000000-0000-0000-0000-000000000001"))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        [r async for r in stream]
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    assert "no aggregate with id" in (refused.value.details() or "")


async def test_only_auditors_read_the_audit_log(parcels: Parcels, server_port: int) -> None:
    parcel, _ = moments(parcels)
    for actor in ("clerk@000.00.00.H41", "anonymous"):
        interceptors = acting_as(actor)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server_port}", interceptors=interceptors) as channel:
            stub = audit_pb2_grpc.AuditServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                [r async for r in stub.StreamHistory(pb.StreamHistoryRequest(aggregate_id=str(parcel.id)))]
            assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
            assert "auditor@<identifier code>" in (refused.value.details() or "")


async def test_many_aggregates_stream_in_the_order_named_each_in_version_order(
    parcels: Parcels, audit: audit_pb2_grpc.AuditServiceStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lienthong.audit import replay

    monkeypatch.setattr(replay, "HISTORIES_PER_PAGE", 2)  # pages of two aggregates: three pages here
    with event_context("clerk@A"):
        boxes = [Parcel(f"box {n}") for n in range(5)]
        for n, box in enumerate(boxes):
            for office in range(n):
                box.stamp(f"office {office}")
        parcels.save(*boxes)
    named = [boxes[3], boxes[0], boxes[4], boxes[1], boxes[2]]
    request = pb.StreamHistoryRequest(aggregate_id=str(named[0].id), aggregate_ids=[str(b.id) for b in named[1:]])
    events = [r.event async for r in audit.StreamHistory(request)]
    expected = [(str(box.id), version) for box in named for version in range(1, len(box.offices) + 2)]
    assert [(e.aggregate_id, e.version) for e in events] == expected

    missing = "00000000-0000-0000-0000-000000000001"
    stream = audit.StreamHistory(pb.StreamHistoryRequest(aggregate_ids=[str(boxes[0].id), missing]))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        [r async for r in stream]
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    assert missing in (refused.value.details() or "")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        [r async for r in audit.StreamHistory(pb.StreamHistoryRequest(aggregate_ids=[str(boxes[0].id), "nope"]))]
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_verify_chain_names_the_first_broken_link(
    parcels: Parcels, audit: audit_pb2_grpc.AuditServiceStub
) -> None:
    moments(parcels)
    assert ChainSealer(parcels).seal() == 4

    intact = await audit.VerifyChain(pb.VerifyChainRequest())
    assert (intact.service, intact.events_checked, intact.chain_intact) == ("parcels", 4, True)
    assert intact.checkpoints_intact, intact.checkpoint_reason  # none signed yet: nothing contradicts the chain

    forged = '{"office": "forged"}'
    with parcels.engine.begin() as connection:
        connection.execute(
            text(
                f"UPDATE parcels_events SET state = CAST('{forged}' AS BLOB) WHERE id = 3"
                if parcels.engine.dialect.name == "sqlite"
                else f"UPDATE parcels_events SET state = convert_to('{forged}', 'UTF8') WHERE id = 3"
            )
        )
    broken = await audit.VerifyChain(pb.VerifyChainRequest())
    assert (broken.chain_intact, broken.broken_at) == (False, 3)
    assert "event 3 (aggregate" in broken.chain_reason, broken.chain_reason
