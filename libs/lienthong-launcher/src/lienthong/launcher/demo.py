"""What `make run` seeds: the demo province's agencies and one document exchanged between two of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import grpc

from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.launcher.callers import Callers
from lienthong.launcher.province import PROVINCE_CODE, demo_province
from lienthong.signing.v1 import signing_pb2 as sig
from lienthong.signing.v1 import signing_pb2_grpc

SENDER = "000.00.12.H41"  # Sở Thông tin và Truyền thông
RECIPIENT = PROVINCE_CODE  # Ủy ban nhân dân tỉnh
SEAL_POLICY_REASON = "Văn bản đã được lãnh đạo duyệt được đóng dấu số ngay khi đăng ký (demo)"
DEMO_SUBJECT = "Báo cáo tình hình ứng dụng công nghệ thông tin trong cơ quan nhà nước quý IV năm 2026"
# Who acts on documents: a person of one agency in a role, as the principal of their client certificate.
Documents = Callable[[str], documents_pb2_grpc.DocumentsServiceStub]


def acting(role: str, agency_code: str) -> tuple[tuple[str, str], ...]:
    """The metadata naming who acts (`clerk@<code>`): on a channel of `Callers.acting`, the call presents that
    principal's certificate."""
    return (("x-lienthong-actor", f"{role}@{agency_code}"),)


# The province's ICT department (Sở Thông tin và Truyền thông) runs the platform: it loads the registry and
# sets signing policies.
OPERATOR_PRINCIPAL = f"operator@{SENDER}"
OPERATOR = acting("operator", SENDER)


@dataclass(frozen=True)
class DemoResult:
    """What the seed did: the document's ids and code, or that the demo was there already."""

    seeded: bool
    outgoing_id: str
    incoming_id: str
    code: str


def seed_demo(callers: Callers, *, automatic_seal: bool = True) -> DemoResult:
    """Import the demo province and exchange one signed report, unless a previous run did so. With
    `automatic_seal`, the sending department's policy lets its seal sign at registration."""
    with callers.opened("identifiers", OPERATOR_PRINCIPAL) as id_channel, DocumentChannels(callers) as documents:
        agencies = identifiers_pb2_grpc.IdentifiersServiceStub(id_channel)
        rows = demo_province()
        for start in range(0, len(rows), 200):
            agencies.ImportAgencies(ids.ImportAgenciesRequest(rows=rows[start : start + 200]))
        if automatic_seal:
            allow_automatic_seal(callers, SENDER)
        existing = documents(f"clerk@{SENDER}").ListOutgoing(docs.ListOutgoingRequest(sender_code=SENDER))
        for document in existing.documents:
            if document.subject == DEMO_SUBJECT and document.recipients:
                return DemoResult(
                    False, document.id, document.recipients[0].incoming_id, f"{document.number}/{document.notation}"
                )
        return exchange(documents, SENDER, RECIPIENT, DEMO_SUBJECT)


class DocumentChannels:
    """Documents stubs, one channel per principal, opened on first use and closed at the end of the block."""

    def __init__(self, callers: Callers) -> None:
        self._callers = callers
        self._channels: dict[str, grpc.Channel] = {}

    def __call__(self, principal: str) -> documents_pb2_grpc.DocumentsServiceStub:
        if principal not in self._channels:
            self._channels[principal] = self._callers.channel("documents", principal)
        return documents_pb2_grpc.DocumentsServiceStub(self._channels[principal])

    def __enter__(self) -> DocumentChannels:
        return self

    def __exit__(self, *exc: object) -> None:
        for channel in self._channels.values():
            channel.close()


def allow_automatic_seal(callers: Callers, agency_code: str) -> None:
    """Set the agency's signing policy to let its seal sign documents at registration, unless it does."""
    with callers.opened("signing", OPERATOR_PRINCIPAL) as channel:
        signing = signing_pb2_grpc.SigningServiceStub(channel)
        try:
            current = signing.GetSigningPolicy(sig.GetSigningPolicyRequest(agency_code=agency_code))
            if current.policy.automatic_seal:
                return
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.NOT_FOUND:
                raise
        signing.SetSigningPolicy(
            sig.SetSigningPolicyRequest(agency_code=agency_code, automatic_seal=True, reason=SEAL_POLICY_REASON)
        )


def exchange(documents: Documents, sender: str, recipient: str, subject: str) -> DemoResult:
    """Draft, submit, approve, register, seal-sign and send a report from `sender` to `recipient`, who
    accepts it; the seal signs at registration when the sender's policy allows it, else on SignOutgoing."""
    clerk, leader = documents(f"clerk@{sender}"), documents(f"leader@{sender}")
    created = clerk.CreateOutgoing(
        docs.CreateOutgoingRequest(sender_code=sender, type=docs.DOCUMENT_TYPE_BAO_CAO, subject=subject)
    )
    document_id = created.document.id
    clerk.SubmitOutgoing(docs.SubmitOutgoingRequest(document_id=document_id))
    leader.ApproveOutgoing(docs.ApproveOutgoingRequest(document_id=document_id, comment="Đồng ý"))
    registered = clerk.RegisterOutgoing(docs.RegisterOutgoingRequest(document_id=document_id))
    if registered.document.state == docs.OUTGOING_STATE_REGISTERED:
        clerk.SignOutgoing(docs.SignOutgoingRequest(document_id=document_id))
    sent = clerk.SendOutgoing(docs.SendOutgoingRequest(document_id=document_id, recipient_codes=[recipient])).document
    incoming_id = sent.recipients[0].incoming_id
    documents(f"clerk@{recipient}").AcceptIncoming(docs.AcceptIncomingRequest(incoming_id=incoming_id))
    return DemoResult(True, document_id, incoming_id, f"{sent.number}/{sent.notation}")
