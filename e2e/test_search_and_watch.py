"""Integrators watch documents arrive as a stream; clerks search their registers with or without diacritics."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import grpc
import pytest

from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.launcher.demo import OPERATOR
from lienthong.launcher.testing import wait_for

CLERK = (("x-lienthong-actor", "clerk@000.00.05.H47"),)
PROVINCE, SENDER, RECIPIENT = "000.00.00.H47", "000.00.05.H47", "000.00.06.H47"
RECEIVING_CLERK = (("x-lienthong-actor", f"clerk@{RECIPIENT}"),)
VIETNAM = timezone(timedelta(hours=7))


@pytest.fixture(scope="module")
def documents(channels: dict[str, grpc.Channel]) -> documents_pb2_grpc.DocumentsServiceStub:
    agencies = identifiers_pb2_grpc.IdentifiersServiceStub(channels["identifiers"])
    for code, name, short in (
        (PROVINCE, "UBND tỉnh", "UBND"),
        (SENDER, "Sở Tài chính", "STC"),
        (RECIPIENT, "Sở Công Thương", "SCT"),
    ):
        agencies.RegisterAgency(ids.RegisterAgencyRequest(code=code, name=name, short_name=short), metadata=OPERATOR)
    return documents_pb2_grpc.DocumentsServiceStub(channels["documents"])


def send(documents: documents_pb2_grpc.DocumentsServiceStub, subject: str, doc_type: int) -> docs.OutgoingDocument:
    request = docs.CreateOutgoingRequest(sender_code=SENDER, type=doc_type, subject=subject)  # type: ignore[arg-type]
    document_id = documents.CreateOutgoing(request, metadata=CLERK).document.id
    documents.RegisterOutgoing(docs.RegisterOutgoingRequest(document_id=document_id), metadata=CLERK)
    documents.SignOutgoing(docs.SignOutgoingRequest(document_id=document_id), metadata=CLERK)
    return documents.SendOutgoing(
        docs.SendOutgoingRequest(document_id=document_id, recipient_codes=[RECIPIENT]), metadata=CLERK
    ).document


def test_an_integrator_receives_documents_as_they_arrive(documents: documents_pb2_grpc.DocumentsServiceStub) -> None:
    waiting = send(documents, "Công văn gửi trước khi theo dõi", docs.DOCUMENT_TYPE_CONG_VAN)
    stream = documents.WatchIncoming(
        docs.WatchIncomingRequest(recipient_code=RECIPIENT, include_waiting=True), metadata=RECEIVING_CLERK
    )
    received: list[docs.IncomingDocument] = []

    def read() -> None:
        try:
            for message in stream:
                received.append(message.document)
        except grpc.RpcError:
            pass  # cancelled at the end of the test

    reader = threading.Thread(target=read)
    reader.start()
    try:
        wait_for(lambda: len(received) >= 1, what="the waiting document")
        first = send(documents, "Báo cáo quyết toán ngân sách", docs.DOCUMENT_TYPE_BAO_CAO)
        second = send(documents, "Quyết định phê duyệt dự toán", docs.DOCUMENT_TYPE_QUYET_DINH)
        wait_for(lambda: len(received) >= 3, what="two new documents on the stream")
    finally:
        stream.cancel()  # type: ignore[no-untyped-call]
        reader.join(timeout=10)
    assert [d.outgoing_id for d in received] == [waiting.id, first.id, second.id]
    assert all(d.status == docs.STATUS_CODE_ARRIVED for d in received)


def test_registers_are_searched_by_words_code_type_and_day(documents: documents_pb2_grpc.DocumentsServiceStub) -> None:
    report = send(documents, "Báo cáo tình hình giải ngân vốn đầu tư công", docs.DOCUMENT_TYPE_BAO_CAO)
    decision = send(documents, "Quyết Định giao dự toán bổ sung", docs.DOCUMENT_TYPE_QUYET_DINH)

    def search(**filters: object) -> list[str]:
        request = docs.SearchDocumentsRequest(agency_code=SENDER, **filters)  # type: ignore[arg-type]
        return [hit.id for hit in documents.SearchDocuments(request, metadata=CLERK).documents]

    assert decision.id in search(query="quyet dinh giao")
    assert decision.id in search(query="QUYẾT ĐỊNH giao")
    assert report.id not in search(query="quyet dinh giao")
    assert search(code=f"{report.number}/{report.notation}") == [report.id]
    assert report.id in search(type=docs.DOCUMENT_TYPE_BAO_CAO, outgoing=True)
    assert decision.id not in search(type=docs.DOCUMENT_TYPE_BAO_CAO)
    today = datetime.now(VIETNAM).date()
    assert report.id in search(from_day=today.isoformat(), to_day=today.isoformat())
    assert search(to_day=(today - timedelta(days=1)).isoformat()) == []

    recipient_side = documents.SearchDocuments(
        docs.SearchDocumentsRequest(agency_code=RECIPIENT, query="giai ngan", outgoing=False),
        metadata=RECEIVING_CLERK,
    ).documents
    assert [(hit.sender_code, hit.outgoing) for hit in recipient_side] == [(SENDER, False)]

    with pytest.raises(grpc.RpcError) as caught:
        documents.SearchDocuments(docs.SearchDocumentsRequest(agency_code=SENDER, from_day="24/11"), metadata=CLERK)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
