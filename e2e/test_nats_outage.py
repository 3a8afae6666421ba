"""Killing NATS while documents are created loses nothing: once it is back, every stored event reaches
JetStream exactly once. The NATS server here is this test's own, never the machine's shared one."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from lienthong.documents.application.app import DocumentsApp
from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.eventstore import read_events, store_environment
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.launcher.demo import OPERATOR
from lienthong.launcher.platform import Platform
from lienthong.launcher.testing import fresh_database, isolated_platform_config, stream_messages, wait_for

CLERK = (("x-lienthong-actor", "clerk@000.00.03.H43"),)


@pytest.fixture
def platform_with_own_nats(tmp_path: Path) -> Iterator[tuple[Platform, str]]:
    with fresh_database(tmp_path / "unused.db") as database_url:
        running = Platform(isolated_platform_config(tmp_path / "platform", None, database_url))
        try:
            running.start()
            documents_url = (
                database_url if not database_url.startswith("sqlite") else f"sqlite:///{tmp_path}/platform/documents.db"
            )
            yield running, documents_url
        finally:
            running.stop()


def stream_message_ids(platform: Platform, stream: str) -> list[str]:
    return [message.message_id for message in stream_messages(platform.nats_url, stream, platform.nats_credentials())]


def test_documents_created_while_nats_is_killed_reach_jetstream_exactly_once(
    platform_with_own_nats: tuple[Platform, str],
) -> None:
    platform, documents_url = platform_with_own_nats
    assert platform.nats is not None
    with platform.callers.acting("identifiers") as id_channel:
        agencies = identifiers_pb2_grpc.IdentifiersServiceStub(id_channel)
        agencies.RegisterAgency(
            ids.RegisterAgencyRequest(code="000.00.00.H43", name="UBND", short_name="UBND"), metadata=OPERATOR
        )
        agencies.RegisterAgency(
            ids.RegisterAgencyRequest(code="000.00.03.H43", name="Sở Tư pháp", short_name="STP"), metadata=OPERATOR
        )

    created: list[str] = []
    stop = threading.Event()

    def create_documents() -> None:
        with platform.callers.acting("documents") as channel:
            stub = documents_pb2_grpc.DocumentsServiceStub(channel)
            while not stop.is_set():
                request = docs.CreateOutgoingRequest(
                    sender_code="000.00.03.H43", type=docs.DOCUMENT_TYPE_TO_TRINH, subject=f"Tờ trình số {len(created)}"
                )
                document = stub.CreateOutgoing(request, metadata=CLERK).document
                stub.RegisterOutgoing(docs.RegisterOutgoingRequest(document_id=document.id), metadata=CLERK)
                created.append(document.id)

    writer = threading.Thread(target=create_documents)
    writer.start()
    try:
        wait_for(lambda: len(created) >= 20, what="documents before the outage")
        platform.nats.kill()
        during = len(created)
        wait_for(lambda: len(created) >= during + 20, what="documents created while NATS is down")
        platform.nats.start()
        wait_for(lambda: len(created) >= during + 40, what="documents after NATS is back")
    finally:
        stop.set()
        writer.join(timeout=60)

    app = DocumentsApp(store_environment("documents", documents_url))
    stored = [f"{r.aggregate_id}:{r.version}" for r in read_events(app, 1, 1_000_000)]
    stream = f"{platform.config.instance}_DOCUMENTS".upper()

    def all_relayed() -> bool:
        return len(stream_message_ids(platform, stream)) >= len(stored)

    wait_for(all_relayed, timeout=60, what="the relay to catch up after the outage")
    published = stream_message_ids(platform, stream)
    duplicates = [msg_id for msg_id, count in Counter(published).items() if count > 1]
    print(f"documents created: {len(created)}, events stored: {len(stored)}, messages in JetStream: {len(published)}")
    assert duplicates == []
    assert sorted(published) == sorted(stored)
    assert len(created) >= 60
