"""Reorganising agencies: documents addressed to an old code follow merges, split codes are refused,
and the audit history of every agency shows the change."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.json_format import MessageToDict

from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.launcher.demo import OPERATOR

REGISTRAR = OPERATOR  # the ICT department keeps the registry
PROVINCE, SENDER = "000.00.00.H44", "000.00.02.H44"
CLERK = (("x-lienthong-actor", f"clerk@{SENDER}"),)
DISTRICT_A, DISTRICT_B, TOWN = "000.00.31.H44", "000.00.32.H44", "000.00.33.H44"


def fields(name: str, short: str) -> ids.AgencyFields:
    return ids.AgencyFields(name=name, short_name=short, email=f"vanthu.{short.lower()}@example.gov.vn")


@pytest.fixture(scope="module")
def agencies(channels: dict[str, grpc.Channel]) -> identifiers_pb2_grpc.IdentifiersServiceStub:
    stub = identifiers_pb2_grpc.IdentifiersServiceStub(channels["identifiers"])
    rows = [
        ids.ImportRow(code=PROVINCE, fields=fields("Ủy ban nhân dân tỉnh thử nghiệm", "UBND")),
        ids.ImportRow(code=SENDER, fields=fields("Sở Nội vụ", "SNV")),
        ids.ImportRow(code=DISTRICT_A, fields=fields("Ủy ban nhân dân huyện A", "UBNDA")),
        ids.ImportRow(code=DISTRICT_B, fields=fields("Ủy ban nhân dân huyện B", "UBNDB")),
    ]
    stub.ImportAgencies(ids.ImportAgenciesRequest(rows=rows), metadata=REGISTRAR)
    return stub


def send(documents: documents_pb2_grpc.DocumentsServiceStub, recipient: str) -> docs.OutgoingDocument:
    request = docs.CreateOutgoingRequest(
        sender_code=SENDER, type=docs.DOCUMENT_TYPE_CONG_VAN, subject="Về việc sắp xếp"
    )
    document_id = documents.CreateOutgoing(request, metadata=CLERK).document.id
    documents.RegisterOutgoing(docs.RegisterOutgoingRequest(document_id=document_id), metadata=CLERK)
    documents.SignOutgoing(docs.SignOutgoingRequest(document_id=document_id), metadata=CLERK)
    return documents.SendOutgoing(
        docs.SendOutgoingRequest(document_id=document_id, recipient_codes=[recipient]), metadata=CLERK
    ).document


def test_a_document_to_a_merged_district_reaches_the_new_town(
    channels: dict[str, grpc.Channel], agencies: identifiers_pb2_grpc.IdentifiersServiceStub
) -> None:
    documents = documents_pb2_grpc.DocumentsServiceStub(channels["documents"])
    before = send(documents, DISTRICT_A)  # documents now holds DISTRICT_A in its cache
    assert [r.recipient_code for r in before.recipients] == [DISTRICT_A]

    agencies.ReorganiseAgencies(
        ids.ReorganiseAgenciesRequest(
            kind=ids.REORGANISATION_MERGED,
            source_codes=[DISTRICT_A, DISTRICT_B],
            target_codes=[TOWN],
            new_fields=[fields("Ủy ban nhân dân thị xã AB", "UBNDAB")],
            reason="Nghị quyết sắp xếp đơn vị hành chính",
        ),
        metadata=REGISTRAR,
    )
    resolved = agencies.ResolveAgency(ids.ResolveAgencyRequest(code=DISTRICT_B))
    assert (resolved.agency.code, list(resolved.path)) == (TOWN, [DISTRICT_B, TOWN])

    after = send(documents, DISTRICT_A)  # the registry change on NATS dropped the cached answer
    assert [r.recipient_code for r in after.recipients] == [TOWN]
    incoming = documents.ListIncoming(
        docs.ListIncomingRequest(recipient_code=TOWN), metadata=(("x-lienthong-actor", f"clerk@{TOWN}"),)
    )
    assert [d.outgoing_id for d in incoming.documents] == [after.id]
    history = documents.GetHistory(docs.GetHistoryRequest(document_id=after.id), metadata=CLERK).events
    sent = MessageToDict(next(e for e in history if e.event == "Sent").data)
    assert sent["recipients"][0]["addressed_to"] == [DISTRICT_A]

    for code in (DISTRICT_A, DISTRICT_B):
        events = agencies.GetAgencyHistory(ids.GetAgencyHistoryRequest(code=code)).events
        assert [e.event for e in events] == ["Registered", "Dissolved"]
        assert events[-1].actor == "operator@000.00.12.H41"  # the ICT department that keeps the registry
        dissolved = MessageToDict(events[-1].data)
        assert (dissolved["ending"], dissolved["successors"]) == ("merged", [TOWN])
    town = agencies.GetAgencyHistory(ids.GetAgencyHistoryRequest(code=TOWN)).events
    assert [e.event for e in town] == ["Registered"]


def test_a_document_to_a_split_agency_is_refused_with_its_successors(
    channels: dict[str, grpc.Channel], agencies: identifiers_pb2_grpc.IdentifiersServiceStub
) -> None:
    source, left, right = "000.00.40.H44", "000.00.41.H44", "000.00.42.H44"
    agencies.RegisterAgency(
        ids.RegisterAgencyRequest(code=source, name="Sở Văn hóa, Thể thao và Du lịch", short_name="SVHTTDL"),
        metadata=REGISTRAR,
    )
    agencies.ReorganiseAgencies(
        ids.ReorganiseAgenciesRequest(
            kind=ids.REORGANISATION_SPLIT,
            source_codes=[source],
            target_codes=[left, right],
            new_fields=[fields("Sở Văn hóa và Thể thao", "SVHTT"), fields("Sở Du lịch", "SDL")],
            reason="chia tách",
        ),
        metadata=REGISTRAR,
    )
    documents = documents_pb2_grpc.DocumentsServiceStub(channels["documents"])
    with pytest.raises(grpc.RpcError) as caught:
        send(documents, source)
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert f"into {left}, {right}; address the document to one of them" in str(caught.value.details())
