"""When a service the documents service depends on is down, calls fail fast with UNAVAILABLE and a reason,
change nothing, and work again by themselves once it is back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.launcher.demo import OPERATOR
from lienthong.launcher.platform import Platform
from lienthong.launcher.testing import fresh_database, isolated_platform_config, wait_for

CLERK = (("x-lienthong-actor", "clerk@000.00.02.H49"),)


@pytest.fixture
def own_platform(tmp_path: Path, nats_url: str) -> Iterator[Platform]:
    with fresh_database(tmp_path / "unused.db") as database_url:
        running = Platform(isolated_platform_config(tmp_path / "platform", nats_url, database_url))
        try:
            running.start()
            yield running
        finally:
            running.stop()


def test_a_dead_registry_makes_drafting_unavailable_quickly_then_it_recovers(own_platform: Platform) -> None:
    with own_platform.callers.acting("identifiers") as channel:
        agencies = identifiers_pb2_grpc.IdentifiersServiceStub(channel)
        agencies.RegisterAgency(
            ids.RegisterAgencyRequest(code="000.00.00.H49", name="UBND", short_name="UBND"), metadata=OPERATOR
        )
        agencies.RegisterAgency(
            ids.RegisterAgencyRequest(code="000.00.02.H49", name="Sở Nội vụ", short_name="SNV"), metadata=OPERATOR
        )
    request = docs.CreateOutgoingRequest(
        sender_code="000.00.02.H49", type=docs.DOCUMENT_TYPE_CONG_VAN, subject="Về việc"
    )

    own_platform.kill_service("identifiers")
    with own_platform.callers.acting("documents") as channel:
        documents = documents_pb2_grpc.DocumentsServiceStub(channel)
        began = time.monotonic()
        with pytest.raises(grpc.RpcError) as caught:
            documents.CreateOutgoing(request, metadata=CLERK, timeout=30)
        waited = time.monotonic() - began
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "identifiers service" in str(caught.value.details())
        print(f"UNAVAILABLE after {waited:.2f}s")
        assert waited < 12, f"the call hung {waited:.1f}s"
        listed = documents.ListOutgoing(docs.ListOutgoingRequest(sender_code="000.00.02.H49"), metadata=CLERK)
        assert list(listed.documents) == []

        own_platform.start_service("identifiers")

        def drafted() -> docs.OutgoingDocument | None:
            try:
                return documents.CreateOutgoing(request, metadata=CLERK, timeout=30).document
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.UNAVAILABLE:
                    raise
                return None  # the documents service reconnects with back-off

        assert wait_for(drafted, timeout=30, what="drafting to work again").state == docs.OUTGOING_STATE_DRAFT
