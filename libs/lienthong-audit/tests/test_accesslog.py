"""The access log: every refused call is recorded in the refusing service's store, concurrent reads of one
document are all recorded, and auditors read the log through the audit API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from uuid import uuid4

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from lienthong.audit.accesslog import AccessLog, AccessLogBook, id_of_access_log
from lienthong.audit.service import audit_service
from lienthong.audit.v1 import audit_pb2 as pb
from lienthong.audit.v1 import audit_pb2_grpc
from lienthong.eventstore import StoredApplication, event_context, peer_context, store_environment
from lienthong.grpcserver.server import create_server

AUDITOR = (("x-lienthong-actor", "auditor@000.00.00.H41"),)


class Ledger(StoredApplication):
    name = "Ledger"


@pytest.fixture
def ledger(database_url: str) -> Ledger:
    return Ledger(store_environment("ledger", database_url))


@pytest.fixture
async def audit(ledger: Ledger) -> AsyncIterator[audit_pb2_grpc.AuditServiceStub]:
    server = create_server(AccessLogBook(ledger).denied)
    audit_service(ledger, "ledger").register(server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield audit_pb2_grpc.AuditServiceStub(channel)
    finally:
        await server.stop(None)


async def test_refusals_by_the_rule_and_by_the_service_are_both_in_the_access_log(
    ledger: Ledger, audit: audit_pb2_grpc.AuditServiceStub
) -> None:
    asked = str(uuid4())
    at = Timestamp(seconds=1_764_000_000)
    state_at = pb.GetStateAtRequest(aggregate_id=asked, at=at)
    diff = pb.DiffStatesRequest(aggregate_id=asked, to=at, **{"from": at})
    refusals = {}
    for actor, call in (
        ("clerk@000.00.12.H41", lambda m: audit.GetStateAt(state_at, metadata=m)),  # refused by auditors_only
        ("anonymous", lambda m: audit.GetStateAt(state_at, metadata=m)),  # by the rule: no known caller
        ("operator@000.00.12.H41", lambda m: audit.DiffStates(diff, metadata=m)),  # by the rule: not operators'
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call((("x-lienthong-actor", actor),))
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
        refusals[actor] = caught.value.details()

    log = [
        r.event
        async for r in audit.StreamHistory(
            pb.StreamHistoryRequest(aggregate_id=str(id_of_access_log(asked))), metadata=AUDITOR
        )
    ]

    assert [(e.event, e.actor) for e in log] == [
        ("Opened", "clerk@000.00.12.H41"),
        ("Denied", "clerk@000.00.12.H41"),
        ("Denied", "anonymous"),
        ("Denied", "operator@000.00.12.H41"),
    ]
    assert [e.data["reason"] for e in log[1:]] == list(refusals.values())
    assert log[3].data["method"] == "/lienthong.audit.v1.AuditService/DiffStates"
    assert all(str(e.data["peer"]).startswith("ipv") for e in log[1:])


def test_concurrent_reads_of_one_document_are_each_recorded(ledger: Ledger) -> None:
    document = str(uuid4())
    book = AccessLogBook(ledger)

    def read(n: int) -> None:
        with event_context(f"clerk@000.00.{n:02d}.H41"), peer_context(f"ipv4:10.0.0.{n}:5000"):
            for _ in range(5):
                book.read(document, "content")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(read, range(8)))

    log: AccessLog = ledger.repository.get(id_of_access_log(document))
    assert log.reads == 40
