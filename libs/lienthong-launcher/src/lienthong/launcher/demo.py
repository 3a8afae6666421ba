"""What `make run` seeds: the demo province's agencies and one document exchanged between two of them."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.launcher.province import PROVINCE_CODE, demo_province
from lienthong.signing.v1 import signing_pb2 as sig
from lienthong.signing.v1 import signing_pb2_grpc

SENDER = "000.00.12.H41"  # Sở Thông tin và Truyền thông
RECIPIENT = PROVINCE_CODE  # Ủy ban nhân dân tỉnh
SEAL_POLICY_REASON = "Văn bản đã được lãnh đạo duyệt được đóng dấu số ngay khi đăng ký (demo)"
DEMO_SUBJECT = "Báo cáo tình hình ứng dụng công nghệ thông tin trong cơ quan nhà nước quý IV năm 2026"


def acting(role: str, agency_code: str) -> tuple[tuple[str, str], ...]:
    """The metadata naming who acts: every call acts for one agency, in a role (`clerk@<code>`)."""
    return (("x-lienthong-actor", f"{role}@{agency_code}"),)


# The province's ICT department (Sở Thông tin và Truyền thông) runs the platform: it loads the registry and
# sets signing policies.
OPERATOR = acting("operator", SENDER)


@dataclass(frozen=True)
class DemoResult:
    """What the seed did: the document's ids and code, or that the demo was there already."""

    seeded: bool
    outgoing_id: str
    incoming_id: str
    code: str


def seed_demo(identifiers_addr: str, documents_addr: str, signing_addr: str | None = None) -> DemoResult:
    """Import the demo province and exchange one signed report, unless a previous run did so. Given the
    signing service, the sending department's policy lets its seal sign at registration (automatic seal)."""
    with grpc.insecure_channel(identifiers_addr) as id_channel, grpc.insecure_channel(documents_addr) as doc_channel:
        agencies = identifiers_pb2_grpc.IdentifiersServiceStub(id_channel)
        documents = documents_pb2_grpc.DocumentsServiceStub(doc_channel)
        rows = demo_province()
        for start in range(0, len(rows), 200):
            agencies.ImportAgencies(ids.ImportAgenciesRequest(rows=rows[start : start + 200]), metadata=OPERATOR)
        if signing_addr:
            allow_automatic_seal(signing_addr, SENDER)
        existing = documents.ListOutgoing(
            docs.ListOutgoingRequest(sender_code=SENDER), metadata=acting("clerk", SENDER)
        )
        for document in existing.documents:
            if document.subject == DEMO_SUBJECT and document.recipients:
                return DemoResult(
                    False, document.id, document.recipients[0].incoming_id, f"{document.number}/{document.notation}"
                )
        return exchange(documents, SENDER, RECIPIENT, DEMO_SUBJECT)


def allow_automatic_seal(signing_addr: str, agency_code: str) -> None:
    """Set the agency's signing policy to let its seal sign documents at registration, unless it does."""
    with grpc.insecure_channel(signing_addr) as channel:
        signing = signing_pb2_grpc.SigningServiceStub(channel)
        try:
            current = signing.GetSigningPolicy(sig.GetSigningPolicyRequest(agency_code=agency_code), metadata=OPERATOR)
            if current.policy.automatic_seal:
                return
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.NOT_FOUND:
                raise
        signing.SetSigningPolicy(
            sig.SetSigningPolicyRequest(agency_code=agency_code, automatic_seal=True, reason=SEAL_POLICY_REASON),
            metadata=OPERATOR,
        )


def exchange(
    documents: documents_pb2_grpc.DocumentsServiceStub, sender: str, recipient: str, subject: str
) -> DemoResult:
    """Draft, submit, approve, register, seal-sign and send a report from `sender` to `recipient`, who
    accepts it; the seal signs at registration when the sender's policy allows it, else on SignOutgoing."""
    clerk, leader = acting("clerk", sender), acting("leader", sender)
    created = documents.CreateOutgoing(
        docs.CreateOutgoingRequest(sender_code=sender, type=docs.DOCUMENT_TYPE_BAO_CAO, subject=subject),
        metadata=clerk,
    )
    document_id = created.document.id
    documents.SubmitOutgoing(docs.SubmitOutgoingRequest(document_id=document_id), metadata=clerk)
    documents.ApproveOutgoing(docs.ApproveOutgoingRequest(document_id=document_id, comment="Đồng ý"), metadata=leader)
    registered = documents.RegisterOutgoing(docs.RegisterOutgoingRequest(document_id=document_id), metadata=clerk)
    if registered.document.state == docs.OUTGOING_STATE_REGISTERED:
        documents.SignOutgoing(docs.SignOutgoingRequest(document_id=document_id), metadata=clerk)
    sent = documents.SendOutgoing(
        docs.SendOutgoingRequest(document_id=document_id, recipient_codes=[recipient]), metadata=clerk
    ).document
    incoming_id = sent.recipients[0].incoming_id
    documents.AcceptIncoming(docs.AcceptIncomingRequest(incoming_id=incoming_id), metadata=acting("clerk", recipient))
    return DemoResult(True, document_id, incoming_id, f"{sent.number}/{sent.notation}")
