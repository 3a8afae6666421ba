"""Mutual TLS on the running platform: no certificate, no call; the certificate, not a header, says who acts."""

from __future__ import annotations

from collections.abc import Callable

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.launcher.platform import SERVICES, Platform

CODE = "000.00.09.H44"
CLERK = f"clerk@{CODE}"
Connect = Callable[[str, str], grpc.Channel]


@pytest.mark.parametrize("service", SERVICES)
def test_a_call_without_a_client_certificate_fails(platform: Platform, service: str) -> None:
    address = platform.config.address(service)
    without_certificate = grpc.ssl_channel_credentials(platform.tls.ca_file.read_bytes())
    with grpc.secure_channel(address, without_certificate) as channel, pytest.raises(grpc.RpcError) as refused:
        health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    with grpc.insecure_channel(address) as channel, pytest.raises(grpc.RpcError) as plaintext:
        health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
    assert plaintext.value.code() == grpc.StatusCode.UNAVAILABLE


def test_the_certificate_names_who_acts_and_a_header_cannot_name_someone_else(connect: Connect) -> None:
    agencies = identifiers_pb2_grpc.IdentifiersServiceStub(connect("identifiers", f"operator@{CODE}"))
    agencies.RegisterAgency(ids.RegisterAgencyRequest(code="000.00.00.H44", name="UBND tỉnh thử", short_name="UBND"))
    agencies.RegisterAgency(ids.RegisterAgencyRequest(code=CODE, name="Sở Tư pháp thử nghiệm", short_name="STP"))
    clerk = documents_pb2_grpc.DocumentsServiceStub(connect("documents", CLERK))
    request = docs.CreateOutgoingRequest(sender_code=CODE, type=docs.DOCUMENT_TYPE_BAO_CAO, subject="Báo cáo mTLS")
    created = clerk.CreateOutgoing(request, timeout=30).document
    submitted = docs.SubmitOutgoingRequest(document_id=created.id)
    clerk.SubmitOutgoing(submitted, timeout=30)

    approve = docs.ApproveOutgoingRequest(document_id=created.id, comment="Tự duyệt")
    with pytest.raises(grpc.RpcError) as refused:
        clerk.ApproveOutgoing(approve, metadata=(("x-lienthong-actor", f"leader@{CODE}"),), timeout=30)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "only platform services act on behalf of others" in (refused.value.details() or "")

    history = clerk.GetHistory(docs.GetHistoryRequest(document_id=created.id), timeout=30).events
    assert [(event.event, event.actor) for event in history] == [("Drafted", CLERK), ("Submitted", CLERK)]
