"""Signing through the real services: an agency whose signing policy allows it gets its seal on a document at
registration, the Signed event naming the policy; another agency's documents stay registered, and there a leader
signs with a personal certificate (issued through RequestCertificate) before the seal."""

from __future__ import annotations

import subprocess
import sys

import grpc
import pytest

from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.launcher.demo import OPERATOR
from lienthong.launcher.platform import Platform
from lienthong.signing.v1 import signing_pb2, signing_pb2_grpc

AUTOMATIC = ids.RegisterAgencyRequest(code="000.00.12.H43", name="Sở Thông tin và Truyền thông", short_name="STTTT")
MANUAL = ids.RegisterAgencyRequest(code="000.00.07.H43", name="Sở Nội vụ", short_name="SNV")
PROVINCE = ids.RegisterAgencyRequest(code="000.00.00.H43", name="Ủy ban nhân dân tỉnh", short_name="UBND")


def clerk(code: str) -> tuple[tuple[str, str], ...]:
    return (("x-lienthong-actor", f"clerk@{code}"),)


@pytest.fixture(scope="module")
def documents(channels: dict[str, grpc.Channel]) -> documents_pb2_grpc.DocumentsServiceStub:
    agencies = identifiers_pb2_grpc.IdentifiersServiceStub(channels["identifiers"])
    for agency in (PROVINCE, AUTOMATIC, MANUAL):
        agencies.RegisterAgency(agency, metadata=OPERATOR)
    return documents_pb2_grpc.DocumentsServiceStub(channels["documents"])


@pytest.fixture(scope="module")
def signing(channels: dict[str, grpc.Channel]) -> signing_pb2_grpc.SigningServiceStub:
    return signing_pb2_grpc.SigningServiceStub(channels["signing"])


def registered(documents: documents_pb2_grpc.DocumentsServiceStub, sender: str) -> docs.OutgoingDocument:
    created = documents.CreateOutgoing(
        docs.CreateOutgoingRequest(sender_code=sender, type=docs.DOCUMENT_TYPE_BAO_CAO, subject="Báo cáo quý IV"),
        metadata=clerk(sender),
    ).document
    request = docs.RegisterOutgoingRequest(document_id=created.id)
    return documents.RegisterOutgoing(request, metadata=clerk(sender)).document


def test_registration_under_the_policy_seals_at_once_and_names_the_policy(
    documents: documents_pb2_grpc.DocumentsServiceStub, signing: signing_pb2_grpc.SigningServiceStub
) -> None:
    policy = signing.SetSigningPolicy(
        signing_pb2.SetSigningPolicyRequest(
            agency_code=AUTOMATIC.code, automatic_seal=True, reason="Quyết định của Giám đốc Sở"
        ),
        metadata=(("x-lienthong-actor", f"leader@{AUTOMATIC.code}"),),  # the agency's leader decides
    ).policy

    document = registered(documents, AUTOMATIC.code)

    assert document.state == docs.OUTGOING_STATE_SIGNED
    assert (document.seal_policy, bool(document.signer_certificate_serial)) == (policy.name, True)
    history = documents.GetHistory(
        docs.GetHistoryRequest(document_id=document.id), metadata=clerk(AUTOMATIC.code)
    ).events
    signed = [e for e in history if e.event == "Signed"]
    assert [e.data["policy"] for e in signed] == [policy.name]
    content = documents.GetContent(docs.GetContentRequest(document_id=document.id), metadata=clerk(AUTOMATIC.code))
    verdict = signing.VerifyPdf(
        signing_pb2.VerifyPdfRequest(pdf=content.content_pdf, expected_agency_code=AUTOMATIC.code),
        metadata=clerk(AUTOMATIC.code),
    )
    assert verdict.indication == signing_pb2.INDICATION_TOTAL_PASSED
    with pytest.raises(grpc.RpcError) as refused:
        documents.SignOutgoing(docs.SignOutgoingRequest(document_id=document.id), metadata=clerk(AUTOMATIC.code))
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    sent = documents.SendOutgoing(
        docs.SendOutgoingRequest(document_id=document.id, recipient_codes=[PROVINCE.code]),
        metadata=clerk(AUTOMATIC.code),
    ).document
    assert sent.state == docs.OUTGOING_STATE_SENT


def test_without_the_policy_registration_leaves_the_document_to_be_signed(
    documents: documents_pb2_grpc.DocumentsServiceStub,
) -> None:
    document = registered(documents, MANUAL.code)

    assert (document.state, document.seal_policy, document.signer_certificate_serial) == (
        docs.OUTGOING_STATE_REGISTERED,
        "",
        "",
    )
    signed = documents.SignOutgoing(docs.SignOutgoingRequest(document_id=document.id), metadata=clerk(MANUAL.code))
    assert (signed.document.state, signed.document.seal_policy) == (docs.OUTGOING_STATE_SIGNED, "")


def test_sending_in_one_call_and_from_the_cli_works_under_the_policy(
    platform: Platform, documents: documents_pb2_grpc.DocumentsServiceStub
) -> None:
    request = docs.SendDocumentRequest(
        document=docs.CreateOutgoingRequest(
            sender_code=AUTOMATIC.code, type=docs.DOCUMENT_TYPE_CONG_VAN, subject="Về việc triển khai"
        ),
        recipient_codes=[PROVINCE.code],
    )
    sent = documents.SendDocument(request, metadata=clerk(AUTOMATIC.code)).document
    assert (sent.state, bool(sent.seal_policy)) == (docs.OUTGOING_STATE_SENT, True)
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "lienthong.cli.main",
            "docs",
            "send",
            "--from",
            AUTOMATIC.code,
            "--to",
            PROVINCE.code,
            "--subject",
            "Về việc gửi bằng dòng lệnh",
        ],
        env=platform.env() | {"LIENTHONG_ACTOR": f"clerk@{AUTOMATIC.code}"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert cli.returncode == 0, cli.stderr
    assert "sent " in cli.stdout


def test_a_leader_signs_with_a_personal_certificate_then_the_seal_signs_the_same_pdf(
    documents: documents_pb2_grpc.DocumentsServiceStub, signing: signing_pb2_grpc.SigningServiceStub
) -> None:
    requested = signing.RequestCertificate(
        signing_pb2.RequestCertificateRequest(
            kind=signing_pb2.CERTIFICATE_KIND_INDIVIDUAL,
            agency_code=MANUAL.code,
            person_name="Nguyễn Văn An",
            person_id="CCCVN-001089012345",
            reason="Giám đốc Sở mới nhận nhiệm vụ",
        ),
        metadata=clerk(MANUAL.code),
    ).request
    serial = signing.IssueRequestedCertificate(
        signing_pb2.IssueRequestedCertificateRequest(request_id=requested.id), metadata=OPERATOR
    ).certificate.serial
    document = registered(documents, MANUAL.code)
    leader = (("x-lienthong-actor", f"leader@{MANUAL.code}"),)
    request = docs.SignAsLeaderRequest(document_id=document.id, signer_serial=serial, signer_position="Giám đốc")

    by_leader = documents.SignAsLeader(request, metadata=leader).document
    sealed = documents.SignOutgoing(docs.SignOutgoingRequest(document_id=document.id), metadata=clerk(MANUAL.code))

    assert (by_leader.state, by_leader.leader_certificate_serial, by_leader.leader_position) == (
        docs.OUTGOING_STATE_REGISTERED,
        serial,
        "Giám đốc",
    )
    assert (sealed.document.state, sealed.document.leader_certificate_serial) == (docs.OUTGOING_STATE_SIGNED, serial)
    content = documents.GetContent(docs.GetContentRequest(document_id=document.id), metadata=clerk(MANUAL.code))
    verdict = signing.VerifyPdf(
        signing_pb2.VerifyPdfRequest(pdf=content.content_pdf, expected_agency_code=MANUAL.code),
        metadata=clerk(MANUAL.code),
    )
    assert verdict.indication == signing_pb2.INDICATION_TOTAL_PASSED, verdict.reason
    assert [(s.certificate.serial, s.certificate.person) for s in verdict.signatures] == [
        (serial, "CCCVN-001089012345"),
        (sealed.document.signer_certificate_serial, ""),
    ]
    history = documents.GetHistory(docs.GetHistoryRequest(document_id=document.id), metadata=leader).events
    [event] = [e for e in history if e.event == "LeaderSigned"]
    assert (event.actor, event.data["certificate_serial"], event.data["position"]) == (
        f"leader@{MANUAL.code}",
        serial,
        "Giám đốc",
    )
    with pytest.raises(grpc.RpcError) as refused:
        documents.SignAsLeader(request, metadata=leader)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
