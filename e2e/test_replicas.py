"""Two documents processes behind one address (issue #18), as `bench/exchange.py --documents-replicas 2`
runs them: a document sent through either is read back from both (their read models are brought up to
date from the shared store), only one of them holds the lease of the single-active work, and the relay
publishes every stored event exactly once. Killing them is the chaos tests' job (e2e/containers)."""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import grpc
import psycopg
import pytest
from sqlalchemy import make_url

from e2e.chaos.test_chaos import RECIPIENT, SENDERS, clerk_of
from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.launcher.callers import Callers
from lienthong.launcher.demo import OPERATOR
from lienthong.launcher.platform import Platform
from lienthong.launcher.testing import (
    TEST_DATABASE_URL,
    TEST_NATS_URL,
    delete_streams,
    fresh_database,
    isolated_platform_config,
    stream_messages,
    wait_for,
)

DOCUMENTS = 12

pytestmark = pytest.mark.skipif(
    not os.environ.get(TEST_DATABASE_URL),
    reason="two processes of one service need PostgreSQL's leases (SQLite: one process per service)",
)


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    nats_url = os.environ.get(TEST_NATS_URL) or None
    with fresh_database(tmp_path / "unused.db") as database_url:
        running = Platform(isolated_platform_config(tmp_path / "platform", nats_url, database_url))
        try:
            running.start()
            running.start_replica("documents")
            yield running
        finally:
            running.stop()
            if nats_url:
                asyncio.run(delete_streams(nats_url, running.config.instance))


def test_two_documents_replicas_read_each_others_writes_and_relay_each_event_once(platform: Platform) -> None:
    with platform.callers.acting("identifiers") as channel:
        agencies = identifiers_pb2_grpc.IdentifiersServiceStub(channel)
        agencies.RegisterAgency(
            ids.RegisterAgencyRequest(code=RECIPIENT, name="UBND tỉnh", short_name="UBND"), metadata=OPERATOR
        )
        agencies.RegisterAgency(
            ids.RegisterAgencyRequest(code=SENDERS[0], name="Sở 1", short_name="S1"), metadata=OPERATOR
        )

    addresses = platform.addresses("documents").removeprefix("ipv4:").split(",")
    assert len(addresses) == 2
    with platform.callers.acting("documents") as channel:  # round robin over both processes
        stub = documents_pb2_grpc.DocumentsServiceStub(channel)

        def send(n: int) -> str:
            draft = docs.CreateOutgoingRequest(
                sender_code=SENDERS[0], type=docs.DOCUMENT_TYPE_CONG_VAN, subject=f"Công văn số {n}"
            )
            answer = stub.SendDocument(
                docs.SendDocumentRequest(document=draft, recipient_codes=[RECIPIENT]), metadata=clerk_of(SENDERS[0])
            )
            return str(answer.document.id)

        # The recipient's integrator watches at each process; the document waiting before shows each is on.
        first = send(0)
        watches = [Watch(platform, address) for address in addresses]
        for watch in watches:
            wait_for(functools.partial(watch.heard, 1), timeout=30, what=f"the watch at {watch.address} to start")
        sent = {first} | {send(n) for n in range(1, DOCUMENTS)}

    for address in addresses:  # each process on its own
        with Callers(platform.tls, {"documents": address}).acting("documents") as channel:
            stub = documents_pb2_grpc.DocumentsServiceStub(channel)
            for document_id in sent:
                got = stub.GetOutgoing(docs.GetOutgoingRequest(document_id=document_id), metadata=clerk_of(SENDERS[0]))
                assert got.document.state == docs.OUTGOING_STATE_SENT, f"{document_id} at {address}"

            def listed(stub: documents_pb2_grpc.DocumentsServiceStub = stub) -> set[str] | None:
                incoming = stub.ListIncoming(
                    docs.ListIncomingRequest(recipient_code=RECIPIENT), metadata=clerk_of(RECIPIENT)
                )
                copies = {d.outgoing_id for d in incoming.documents}
                return copies if copies == sent else None

            wait_for(listed, timeout=30, what=f"the recipient's list at {address} to hold every document")

    # Each watch heard every arrival once, though the other process applied about half of them.
    for watch in watches:
        wait_for(functools.partial(watch.heard, DOCUMENTS), timeout=30, what=f"the watch at {watch.address}")
        watch.close()
        assert sorted(watch.received) == sorted(sent), f"the watch at {watch.address}"

    # One process holds the lease of the single-active work (relay, consumers), and it is one of the two.
    url = make_url(platform.config.database_url or "")
    with psycopg.connect(host=url.host, port=url.port, user=url.username, dbname=url.database) as db:
        holders = db.execute("SELECT holder FROM documents_leases").fetchall()
    pids = {str(platform.pid("documents")), str(platform.pid("documents-2"))}
    assert {holder.split(":")[1] for (holder,) in holders} <= pids
    assert len({holder for (holder,) in holders}) == 1

    # The relay: every stored event of the documents stream once, though two processes could publish.
    stream = f"{platform.config.instance}_DOCUMENTS".upper()

    def published() -> list[str] | None:
        found = [m.message_id for m in stream_messages(platform.nats_url, stream, platform.nats_credentials())]
        ids_of_sent = {message_id.split(":")[0] for message_id in found}
        return found if sent <= ids_of_sent else None

    messages = wait_for(published, timeout=30, what="the relay to publish the sent documents' events")
    assert [m for m, n in Counter(messages).items() if n > 1] == []


class Watch:
    """WatchIncoming of the recipient at one documents process, read in a thread: the outgoing ids heard."""

    def __init__(self, platform: Platform, address: str) -> None:
        self.address = address
        self._channel = Callers(platform.tls, {"documents": address}).channel("documents", f"clerk@{RECIPIENT}")
        stub = documents_pb2_grpc.DocumentsServiceStub(self._channel)
        self._stream = stub.WatchIncoming(docs.WatchIncomingRequest(recipient_code=RECIPIENT, include_waiting=True))
        self.received: list[str] = []
        self._reader = threading.Thread(target=self._read)
        self._reader.start()

    def _read(self) -> None:
        try:
            for message in self._stream:
                self.received.append(message.document.outgoing_id)
        except grpc.RpcError:
            pass  # cancelled by close()

    def heard(self, count: int) -> bool:
        return len(self.received) >= count

    def close(self) -> None:
        self._stream.cancel()  # type: ignore[no-untyped-call]
        self._reader.join(timeout=10)
        self._channel.close()
