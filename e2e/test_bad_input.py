"""Bad input gets a precise gRPC status with a reason, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable

import grpc
import pytest

from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.launcher.demo import OPERATOR

CLERK = (("x-lienthong-actor", "clerk@000.00.07.H42"),)  # the department's văn thư
PROVINCE_CLERK = (("x-lienthong-actor", "clerk@000.00.00.H42"),)
PROVINCE = ids.RegisterAgencyRequest(code="000.00.00.H42", name="UBND tỉnh thử nghiệm", short_name="UBND")
DEPARTMENT = ids.RegisterAgencyRequest(code="000.00.07.H42", name="Sở Nội vụ", short_name="SNV")


@pytest.fixture(scope="module")
def agencies(channels: dict[str, grpc.Channel]) -> identifiers_pb2_grpc.IdentifiersServiceStub:
    stub = identifiers_pb2_grpc.IdentifiersServiceStub(channels["identifiers"])
    stub.RegisterAgency(PROVINCE, metadata=OPERATOR)
    stub.RegisterAgency(DEPARTMENT, metadata=OPERATOR)
    return stub


@pytest.fixture(scope="module")
def documents(
    channels: dict[str, grpc.Channel], agencies: identifiers_pb2_grpc.IdentifiersServiceStub
) -> documents_pb2_grpc.DocumentsServiceStub:
    return documents_pb2_grpc.DocumentsServiceStub(channels["documents"])


def refused(
    call: Callable[..., object], request: object, actor: tuple[tuple[str, str], ...] = CLERK
) -> tuple[grpc.StatusCode, str]:
    """The status code and reason of a call that must fail."""
    with pytest.raises(grpc.RpcError) as caught:
        call(request, metadata=actor)
    error = caught.value
    return error.code(), str(error.details())


def new_draft(documents: documents_pb2_grpc.DocumentsServiceStub) -> str:
    request = docs.CreateOutgoingRequest(
        sender_code=DEPARTMENT.code, type=docs.DOCUMENT_TYPE_CONG_VAN, subject="Về việc thử"
    )
    return str(documents.CreateOutgoing(request, metadata=CLERK).document.id)


def history_of(documents: documents_pb2_grpc.DocumentsServiceStub, document_id: str) -> list[str]:
    """The document's events but for LongTermValidated, the platform's own step after a seal (B-T to B-LT),
    which a refused request neither makes nor prevents."""
    events = documents.GetHistory(docs.GetHistoryRequest(document_id=document_id), metadata=CLERK).events
    return [e.event for e in events if e.event != "LongTermValidated"]


def all_agencies(agencies: identifiers_pb2_grpc.IdentifiersServiceStub) -> list[str]:
    return [a.code for a in agencies.ListAgencies(ids.ListAgenciesRequest()).agencies]


def test_a_malformed_identifier_code_is_invalid_argument_and_registers_nothing(
    agencies: identifiers_pb2_grpc.IdentifiersServiceStub,
) -> None:
    before = all_agencies(agencies)
    error_code, error_reason = refused(
        agencies.RegisterAgency, ids.RegisterAgencyRequest(code="000.00.7.H42", name="X", short_name="X"), OPERATOR
    )
    assert error_code == grpc.StatusCode.INVALID_ARGUMENT
    assert "000.00.7.H42" in error_reason
    assert all_agencies(agencies) == before


def test_a_code_registered_twice_is_already_exists(agencies: identifiers_pb2_grpc.IdentifiersServiceStub) -> None:
    error_code, error_reason = refused(agencies.RegisterAgency, DEPARTMENT, OPERATOR)
    assert error_code == grpc.StatusCode.ALREADY_EXISTS
    assert error_reason == "identifier code 000.00.07.H42 is already registered"


def test_an_unknown_sender_is_not_found_and_drafts_nothing(documents: documents_pb2_grpc.DocumentsServiceStub) -> None:
    unknown = (("x-lienthong-actor", "clerk@000.00.99.H42"),)
    request = docs.CreateOutgoingRequest(sender_code="000.00.99.H42", type=docs.DOCUMENT_TYPE_CONG_VAN, subject="x")
    error_code, error_reason = refused(documents.CreateOutgoing, request, unknown)
    assert error_code == grpc.StatusCode.NOT_FOUND
    assert error_reason == "agency 000.00.99.H42 is not registered"
    listed = documents.ListOutgoing(docs.ListOutgoingRequest(sender_code="000.00.99.H42"), metadata=unknown)
    assert list(listed.documents) == []


def test_sending_an_unregistered_document_is_failed_precondition(
    documents: documents_pb2_grpc.DocumentsServiceStub,
) -> None:
    document_id = new_draft(documents)
    error_code, error_reason = refused(
        documents.SendOutgoing, docs.SendOutgoingRequest(document_id=document_id, recipient_codes=[PROVINCE.code])
    )
    assert error_code == grpc.StatusCode.FAILED_PRECONDITION
    assert "is not registered" in error_reason
    assert history_of(documents, document_id) == ["Drafted"]


def test_sending_an_unsigned_document_is_failed_precondition(
    documents: documents_pb2_grpc.DocumentsServiceStub,
) -> None:
    document_id = new_draft(documents)
    documents.RegisterOutgoing(docs.RegisterOutgoingRequest(document_id=document_id), metadata=CLERK)
    error_code, error_reason = refused(
        documents.SendOutgoing, docs.SendOutgoingRequest(document_id=document_id, recipient_codes=[PROVINCE.code])
    )
    assert error_code == grpc.StatusCode.FAILED_PRECONDITION
    assert "is not signed" in error_reason
    assert history_of(documents, document_id) == ["Drafted", "Registered"]


def test_sending_to_an_unknown_or_malformed_recipient_changes_nothing(
    documents: documents_pb2_grpc.DocumentsServiceStub,
) -> None:
    document_id = new_draft(documents)
    documents.RegisterOutgoing(docs.RegisterOutgoingRequest(document_id=document_id), metadata=CLERK)
    documents.SignOutgoing(docs.SignOutgoingRequest(document_id=document_id), metadata=CLERK)

    unknown_code, unknown_reason = refused(
        documents.SendOutgoing, docs.SendOutgoingRequest(document_id=document_id, recipient_codes=["000.00.98.H42"])
    )
    assert unknown_code == grpc.StatusCode.NOT_FOUND
    assert unknown_reason == "agency 000.00.98.H42 is not registered"
    malformed_code, malformed_reason = refused(
        documents.SendOutgoing, docs.SendOutgoingRequest(document_id=document_id, recipient_codes=["H42"])
    )
    assert malformed_code == grpc.StatusCode.INVALID_ARGUMENT
    assert "H42" in malformed_reason
    assert history_of(documents, document_id) == ["Drafted", "Registered", "Signed"]


def test_a_document_id_that_is_not_a_uuid_is_invalid_argument(
    documents: documents_pb2_grpc.DocumentsServiceStub,
) -> None:
    error_code, error_reason = refused(documents.GetOutgoing, docs.GetOutgoingRequest(document_id="not-a-uuid"))
    assert error_code == grpc.StatusCode.INVALID_ARGUMENT
    assert error_reason == "document_id must be a UUID, got 'not-a-uuid'"


def test_accepting_twice_is_failed_precondition(documents: documents_pb2_grpc.DocumentsServiceStub) -> None:
    document_id = new_draft(documents)
    documents.RegisterOutgoing(docs.RegisterOutgoingRequest(document_id=document_id), metadata=CLERK)
    documents.SignOutgoing(docs.SignOutgoingRequest(document_id=document_id), metadata=CLERK)
    sent = documents.SendOutgoing(
        docs.SendOutgoingRequest(document_id=document_id, recipient_codes=[PROVINCE.code]), metadata=CLERK
    ).document
    incoming_id = sent.recipients[0].incoming_id
    documents.AcceptIncoming(docs.AcceptIncomingRequest(incoming_id=incoming_id), metadata=PROVINCE_CLERK)
    error_code, error_reason = refused(
        documents.AcceptIncoming, docs.AcceptIncomingRequest(incoming_id=incoming_id), PROVINCE_CLERK
    )
    assert error_code == grpc.StatusCode.FAILED_PRECONDITION
    assert "only a document with status 01 (arrived) can be accepted" in error_reason


def test_send_document_does_it_all_or_records_nothing_for_a_bad_recipient(
    documents: documents_pb2_grpc.DocumentsServiceStub,
) -> None:
    draft = docs.CreateOutgoingRequest(
        sender_code=DEPARTMENT.code, type=docs.DOCUMENT_TYPE_THONG_BAO, subject="Thông báo"
    )
    before = len(
        documents.ListOutgoing(docs.ListOutgoingRequest(sender_code=DEPARTMENT.code), metadata=CLERK).documents
    )
    code, reason = refused(
        documents.SendDocument, docs.SendDocumentRequest(document=draft, recipient_codes=["000.00.97.H42"])
    )
    assert (code, reason) == (grpc.StatusCode.NOT_FOUND, "agency 000.00.97.H42 is not registered")
    after = len(documents.ListOutgoing(docs.ListOutgoingRequest(sender_code=DEPARTMENT.code), metadata=CLERK).documents)
    assert after == before

    sent = documents.SendDocument(
        docs.SendDocumentRequest(document=draft, recipient_codes=[PROVINCE.code]), metadata=CLERK
    ).document
    assert (sent.state, sent.notation, [r.recipient_code for r in sent.recipients]) == (
        docs.OUTGOING_STATE_SENT,
        "TB-SNV",
        [PROVINCE.code],
    )


def test_another_agency_is_permission_denied_with_a_reason_and_changes_nothing(
    documents: documents_pb2_grpc.DocumentsServiceStub,
) -> None:
    document_id = new_draft(documents)
    for call, request in (
        (documents.GetOutgoing, docs.GetOutgoingRequest(document_id=document_id)),
        (documents.GetHistory, docs.GetHistoryRequest(document_id=document_id)),
        (documents.RegisterOutgoing, docs.RegisterOutgoingRequest(document_id=document_id)),
        (documents.ListOutgoing, docs.ListOutgoingRequest(sender_code=DEPARTMENT.code)),
        (documents.SearchDocuments, docs.SearchDocumentsRequest(agency_code=DEPARTMENT.code)),
    ):
        code, reason = refused(call, request, PROVINCE_CLERK)
        assert code == grpc.StatusCode.PERMISSION_DENIED
        assert reason.startswith("clerk@000.00.00.H42 ")
    # A certificate that names no agency (here the test harness's own, service:e2e) is refused too.
    code, reason = refused(documents.GetOutgoing, docs.GetOutgoingRequest(document_id=document_id), ())
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert reason.startswith("service:e2e may not call GetOutgoing")
    assert history_of(documents, document_id) == ["Drafted"]
