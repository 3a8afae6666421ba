"""The demo province that `make run` seeds: two agencies and one document exchanged between them."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.identifiers.v1 import identifiers_pb2_grpc

PROVINCE = ids.RegisterAgencyRequest(
    code="000.00.00.H41",
    name="Ủy ban nhân dân tỉnh Khánh Hòa",
    short_name="UBND",
    email="vanthu@khanhhoa.gov.vn",
)
DEPARTMENT = ids.RegisterAgencyRequest(
    code="000.00.12.H41",
    name="Sở Thông tin và Truyền thông tỉnh Khánh Hòa",
    short_name="STTTT",
    email="vanthu.stttt@khanhhoa.gov.vn",
)
DEMO_SUBJECT = "Báo cáo tình hình ứng dụng công nghệ thông tin trong cơ quan nhà nước quý IV năm 2026"
ACTOR = (("x-lienthong-actor", "demo-seed"),)


@dataclass(frozen=True)
class DemoResult:
    """What the seed did: the document's ids and code, or that the demo was there already."""

    seeded: bool
    outgoing_id: str
    incoming_id: str
    code: str


def seed_demo(identifiers_addr: str, documents_addr: str) -> DemoResult:
    """Register the two agencies and exchange one signed report, unless a previous run did so."""
    with grpc.insecure_channel(identifiers_addr) as id_channel, grpc.insecure_channel(documents_addr) as doc_channel:
        agencies = identifiers_pb2_grpc.IdentifiersServiceStub(id_channel)
        documents = documents_pb2_grpc.DocumentsServiceStub(doc_channel)
        existing = documents.ListOutgoing(docs.ListOutgoingRequest(sender_code=DEPARTMENT.code), metadata=ACTOR)
        for document in existing.documents:
            if document.subject == DEMO_SUBJECT and document.recipients:
                return DemoResult(
                    False, document.id, document.recipients[0].incoming_id, f"{document.number}/{document.notation}"
                )
        for request in (PROVINCE, DEPARTMENT):
            try:
                agencies.RegisterAgency(request, metadata=ACTOR)
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.ALREADY_EXISTS:
                    raise
        return exchange(documents, DEPARTMENT.code, PROVINCE.code, DEMO_SUBJECT)


def exchange(
    documents: documents_pb2_grpc.DocumentsServiceStub, sender: str, recipient: str, subject: str
) -> DemoResult:
    """Draft, register, seal-sign and send a report from `sender` to `recipient`, who accepts it."""
    created = documents.CreateOutgoing(
        docs.CreateOutgoingRequest(sender_code=sender, type=docs.DOCUMENT_TYPE_BAO_CAO, subject=subject),
        metadata=ACTOR,
    )
    document_id = created.document.id
    documents.RegisterOutgoing(docs.RegisterOutgoingRequest(document_id=document_id), metadata=ACTOR)
    documents.SignOutgoing(docs.SignOutgoingRequest(document_id=document_id), metadata=ACTOR)
    sent = documents.SendOutgoing(
        docs.SendOutgoingRequest(document_id=document_id, recipient_codes=[recipient]), metadata=ACTOR
    ).document
    incoming_id = sent.recipients[0].incoming_id
    documents.AcceptIncoming(docs.AcceptIncomingRequest(incoming_id=incoming_id), metadata=ACTOR)
    return DemoResult(True, document_id, incoming_id, f"{sent.number}/{sent.notation}")
