"""Agency A cannot read, list, search, recall or watch agency B's documents by any API: each method of the
documents, records and audit services is called over gRPC, through the real server and its interceptors,
by A's clerk, officer and leader (and A's auditor for every method that is not an auditor's read); each is
PERMISSION_DENIED, nothing of B's documents changes, and each refusal is in the access log auditors read.
Reads of content are in the access log too: who, when, from where, trace id."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from lienthong.audit.accesslog import AccessLogBook, id_of_access_log
from lienthong.audit.service import audit_service
from lienthong.audit.v1 import audit_pb2, audit_pb2_grpc
from lienthong.consumer import LocalFollower
from lienthong.documents.adapters.inbound.api_records import RecordsServicer
from lienthong.documents.adapters.inbound.edxml_api import EdxmlDocumentsServicer
from lienthong.documents.adapters.outbound.blobs import LocalBlobStore
from lienthong.documents.application.app import DocumentsApp
from lienthong.documents.application.edxml_exchange import EdxmlExchange
from lienthong.documents.application.recordkeeping import RecordUseCases
from lienthong.documents.application.usecases import DocumentUseCases, NewAttachment
from lienthong.documents.domain.attachments import AttachmentKind
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.outgoing import Confidentiality, Urgency
from lienthong.documents.projections.records import RecordsRegister
from lienthong.documents.projections.registers import Registers
from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc, records_pb2_grpc
from lienthong.documents.v1 import records_pb2 as rec
from lienthong.eventstore import event_context, store_environment
from lienthong.grpcserver.server import create_server
from lienthong.telemetry.tracing import configure_tracing

from .conftest import FakeDirectory, FakeSigner, LocalSealer, MemoryDirectory

A = "000.00.07.H41"  # the stranger
B = "000.00.12.H41"  # whose documents and registers are asked for
C = "000.00.00.H41"  # B's correspondent


@dataclass
class Platform:
    """The documents server on a real store, with B's documents in it."""

    app: DocumentsApp
    documents: documents_pb2_grpc.DocumentsServiceStub
    records: records_pb2_grpc.RecordsServiceStub
    audit: audit_pb2_grpc.AuditServiceStub
    sent: str  # B's document, sent to C, with an attachment
    sha256: str  # its attachment
    copy: str  # C's copy of it
    draft: str  # B's draft
    arrived: str  # B's copy of a document C sent it
    record: str  # B's closed record, holding `sent`
    edxml: bytes  # `sent` as an edXML envelope, addressed to C


def as_(actor: str) -> tuple[tuple[str, str], ...]:
    return (("x-lienthong-actor", actor),)


async def _send(usecases: DocumentUseCases, sender: str, recipient: str, with_file: bool) -> tuple[str, str]:
    with event_context(f"clerk@{sender}"):
        draft = await usecases.create_outgoing(
            sender_code=sender,
            doc_type=DocumentType.CONG_VAN,
            subject="Về việc phối hợp",
            urgency=Urgency.NORMAL,
            confidentiality=Confidentiality.NORMAL,
            content_pdf=b"",
            attachments=[NewAttachment("phu-luc.txt", "text/plain", AttachmentKind.APPENDIX, b"phu luc")]
            if with_file
            else [],
        )
        await usecases.register_outgoing(UUID(draft.id))
        await usecases.sign_outgoing(UUID(draft.id))
        row = await usecases.send_outgoing(UUID(draft.id), [recipient])
    return row.id, row.recipients[0].incoming_id


@pytest.fixture
async def platform(database_url: str, tmp_path: Path) -> AsyncIterator[Platform]:
    configure_tracing("documents-test")  # so that calls carry a trace id, as in a running service
    app = DocumentsApp(store_environment("documents", database_url))
    registers = Registers(app.engine)
    follower = LocalFollower(app, registers, service="documents")
    blobs = LocalBlobStore(tmp_path / "blobs")
    usecases = DocumentUseCases(app, registers, follower, blobs, FakeDirectory(), FakeSigner())  # type: ignore[arg-type]
    exchange = EdxmlExchange(app, registers, follower, blobs, MemoryDirectory(), LocalSealer(tmp_path / "signing"))
    records_register = RecordsRegister(app.engine)
    records = RecordUseCases(app, records_register, LocalFollower(app, records_register, service="documents"), blobs)

    sent, copy = await _send(usecases, B, C, with_file=True)
    _, arrived = await _send(usecases, C, B, with_file=False)
    with event_context(f"clerk@{B}"):
        draft = await usecases.create_outgoing(
            sender_code=B,
            doc_type=DocumentType.TO_TRINH,
            subject="Dự thảo",
            urgency=Urgency.NORMAL,
            confidentiality=Confidentiality.NORMAL,
            content_pdf=b"",
        )
        record = await records.open_record(B, "HS-2026-01", "Phối hợp", 10)
        await records.file_document(UUID(record.id), UUID(sent))
        await records.close_record(UUID(record.id))
        edxml = await exchange.export_document(UUID(sent), [])
    row = registers.outgoing_by_id(sent)
    assert row is not None
    [attachment] = json.loads(row.attachments)

    server = create_server(AccessLogBook(app).denied)
    documents_pb2_grpc.add_DocumentsServiceServicer_to_server(EdxmlDocumentsServicer(usecases, exchange), server)
    records_pb2_grpc.add_RecordsServiceServicer_to_server(RecordsServicer(records), server)
    audit_service(app, "documents", usecases.authorise_audit).register(server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield Platform(
                app,
                documents_pb2_grpc.DocumentsServiceStub(channel),
                records_pb2_grpc.RecordsServiceStub(channel),
                audit_pb2_grpc.AuditServiceStub(channel),
                sent,
                attachment["sha256"],
                copy,
                draft.id,
                arrived,
                record.id,
                edxml,
            )
    finally:
        await server.stop(None)


Call = Callable[[tuple[tuple[str, str], ...]], Awaitable[object]]


def every_call(p: Platform) -> dict[str, Call]:
    """Every method of the documents, records and audit APIs, aimed at B's documents and registers."""
    d, r, a = p.documents, p.records, p.audit
    now = Timestamp()
    now.GetCurrentTime()

    async def watch(metadata: tuple[tuple[str, str], ...]) -> object:
        async for response in d.WatchIncoming(
            docs.WatchIncomingRequest(recipient_code=B, include_waiting=True), metadata=metadata
        ):
            return response
        return None

    async def stream_history(metadata: tuple[tuple[str, str], ...]) -> object:
        return [
            e async for e in a.StreamHistory(audit_pb2.StreamHistoryRequest(aggregate_id=p.sent), metadata=metadata)
        ]

    new = docs.CreateOutgoingRequest(sender_code=B, type=docs.DOCUMENT_TYPE_CONG_VAN, subject="Giả mạo")
    return {
        "SendDocument": lambda m: d.SendDocument(
            docs.SendDocumentRequest(document=new, recipient_codes=[C]), metadata=m
        ),
        "CreateOutgoing": lambda m: d.CreateOutgoing(new, metadata=m),
        "SubmitOutgoing": lambda m: d.SubmitOutgoing(docs.SubmitOutgoingRequest(document_id=p.draft), metadata=m),
        "ApproveOutgoing": lambda m: d.ApproveOutgoing(docs.ApproveOutgoingRequest(document_id=p.draft), metadata=m),
        "ReturnOutgoing": lambda m: d.ReturnOutgoing(docs.ReturnOutgoingRequest(document_id=p.draft), metadata=m),
        "RegisterOutgoing": lambda m: d.RegisterOutgoing(docs.RegisterOutgoingRequest(document_id=p.draft), metadata=m),
        "SignOutgoing": lambda m: d.SignOutgoing(docs.SignOutgoingRequest(document_id=p.draft), metadata=m),
        "SignAsLeader": lambda m: d.SignAsLeader(
            docs.SignAsLeaderRequest(document_id=p.draft, signer_serial="01", signer_position="Giám đốc"), metadata=m
        ),
        "SendOutgoing": lambda m: d.SendOutgoing(
            docs.SendOutgoingRequest(document_id=p.draft, recipient_codes=[C]), metadata=m
        ),
        "GetOutgoing": lambda m: d.GetOutgoing(docs.GetOutgoingRequest(document_id=p.sent), metadata=m),
        "ListOutgoing": lambda m: d.ListOutgoing(docs.ListOutgoingRequest(sender_code=B), metadata=m),
        "ListIncoming": lambda m: d.ListIncoming(docs.ListIncomingRequest(recipient_code=B), metadata=m),
        "AcceptIncoming": lambda m: d.AcceptIncoming(docs.AcceptIncomingRequest(incoming_id=p.arrived), metadata=m),
        "RefuseIncoming": lambda m: d.RefuseIncoming(
            docs.RefuseIncomingRequest(incoming_id=p.arrived, reason="không"), metadata=m
        ),
        "AssignIncoming": lambda m: d.AssignIncoming(
            docs.AssignIncomingRequest(incoming_id=p.arrived, assignee="x"), metadata=m
        ),
        "StartIncoming": lambda m: d.StartIncoming(docs.StartIncomingRequest(incoming_id=p.arrived), metadata=m),
        "CompleteIncoming": lambda m: d.CompleteIncoming(
            docs.CompleteIncomingRequest(incoming_id=p.arrived), metadata=m
        ),
        "RecallOutgoing": lambda m: d.RecallOutgoing(
            docs.RecallOutgoingRequest(document_id=p.sent, reason="nhầm"), metadata=m
        ),
        "AnswerRecall": lambda m: d.AnswerRecall(
            docs.AnswerRecallRequest(incoming_id=p.arrived, give_back=True), metadata=m
        ),
        "WatchIncoming": watch,
        "SearchDocuments": lambda m: d.SearchDocuments(docs.SearchDocumentsRequest(agency_code=B), metadata=m),
        "GetAttachment": lambda m: d.GetAttachment(
            docs.GetAttachmentRequest(document_id=p.sent, sha256=p.sha256), metadata=m
        ),
        "GetAttachment of a copy": lambda m: d.GetAttachment(
            docs.GetAttachmentRequest(document_id=p.copy, sha256=p.sha256), metadata=m
        ),
        "GetContent": lambda m: d.GetContent(docs.GetContentRequest(document_id=p.sent), metadata=m),
        "GetHistory": lambda m: d.GetHistory(docs.GetHistoryRequest(document_id=p.sent), metadata=m),
        "ExportEdxml": lambda m: d.ExportEdxml(docs.ExportEdxmlRequest(document_id=p.sent), metadata=m),
        "ExportStatusEdxml": lambda m: d.ExportStatusEdxml(
            docs.ExportStatusEdxmlRequest(incoming_id=p.arrived), metadata=m
        ),
        "ImportEdxml": lambda m: d.ImportEdxml(docs.ImportEdxmlRequest(edxml=p.edxml), metadata=m),
        "OpenRecord": lambda m: r.OpenRecord(
            rec.OpenRecordRequest(agency_code=B, code="HS-X", title="x", retention_years=5), metadata=m
        ),
        "FileDocument": lambda m: r.FileDocument(
            rec.FileDocumentRequest(record_id=p.record, document_id=p.sent), metadata=m
        ),
        "CloseRecord": lambda m: r.CloseRecord(rec.CloseRecordRequest(record_id=p.record), metadata=m),
        "ExportRecord": lambda m: r.ExportRecord(rec.ExportRecordRequest(record_id=p.record), metadata=m),
        "ListRecords": lambda m: r.ListRecords(rec.ListRecordsRequest(agency_code=B), metadata=m),
        "StreamHistory": stream_history,
        "GetStateAt": lambda m: a.GetStateAt(audit_pb2.GetStateAtRequest(aggregate_id=p.sent, at=now), metadata=m),
        "DiffStates": lambda m: a.DiffStates(
            audit_pb2.DiffStatesRequest(aggregate_id=p.sent, to=now, **{"from": now}), metadata=m
        ),
    }


# What an auditor may read of any agency's document that is not confidential (and is logged when it does).
AUDITORS_READS = {
    "GetOutgoing",
    "GetAttachment",
    "GetAttachment of a copy",
    "GetContent",
    "GetHistory",
    "StreamHistory",
    "GetStateAt",
    "DiffStates",
}


def denials_and_others(app: DocumentsApp, after: int) -> tuple[list[str], list[str]]:
    """The topics of the events stored since notification `after`: access-log refusals, and anything else."""
    topics = [n.topic for n in app.recorder.select_notifications(after + 1, 10_000)]
    denied = [t for t in topics if t.endswith("AccessLog.Denied")]
    return denied, [t for t in topics if not t.endswith(("AccessLog.Denied", "AccessLog.Opened"))]


@pytest.mark.parametrize("role", ["clerk", "officer", "leader", "auditor"])
async def test_agency_a_can_neither_read_list_search_recall_nor_watch_agency_bs_documents(
    platform: Platform, role: str
) -> None:
    calls = every_call(platform)
    assert {name.split(" ")[0] for name in calls} >= _documents_methods()  # every method is tried
    tried = {name: call for name, call in calls.items() if role != "auditor" or name not in AUDITORS_READS}
    before = platform.app.recorder.max_notification_id() or 0

    refused = {}
    for name, call in tried.items():
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call(as_(f"{role}@{A}"))
        refused[name] = caught.value.code()

    assert refused == dict.fromkeys(tried, grpc.StatusCode.PERMISSION_DENIED)
    denied, others = denials_and_others(platform.app, before)
    assert others == []  # nothing of B's documents, copies or records changed
    assert len(denied) == len(tried)  # and every refusal is in the access log


def _documents_methods() -> set[str]:
    services = [docs.DESCRIPTOR.services_by_name["DocumentsService"], rec.DESCRIPTOR.services_by_name["RecordsService"]]
    return {method.name for service in services for method in service.methods}


async def test_a_refusal_is_in_the_access_log_auditors_read_with_who_from_where_and_trace(platform: Platform) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await platform.documents.GetContent(
            docs.GetContentRequest(document_id=platform.sent), metadata=as_(f"clerk@{A}")
        )
    log = str(id_of_access_log(platform.sent))

    events = [
        r.event
        async for r in platform.audit.StreamHistory(
            audit_pb2.StreamHistoryRequest(aggregate_id=log), metadata=as_(f"auditor@{C}")
        )
    ]

    denied = events[-1]
    assert (denied.event, denied.actor) == ("Denied", f"clerk@{A}")
    assert denied.data["method"] == "/lienthong.documents.v1.DocumentsService/GetContent"
    assert denied.data["reason"] == caught.value.details()
    assert str(denied.data["peer"]).startswith("ipv")
    assert len(denied.trace_id) == 32
    with pytest.raises(grpc.aio.AioRpcError, match="auditors do"):  # the access log is the auditors' to read
        await platform.audit.GetStateAt(
            audit_pb2.GetStateAtRequest(aggregate_id=log, at=denied.occurred_at), metadata=as_(f"clerk@{B}")
        )


async def test_every_read_of_content_or_files_is_in_the_documents_access_log(platform: Platform) -> None:
    reader = as_(f"officer@{C}")
    await platform.documents.GetContent(docs.GetContentRequest(document_id=platform.sent), metadata=reader)
    await platform.documents.GetAttachment(
        docs.GetAttachmentRequest(document_id=platform.sent, sha256=platform.sha256), metadata=reader
    )
    await platform.documents.ExportEdxml(docs.ExportEdxmlRequest(document_id=platform.sent), metadata=as_(f"clerk@{B}"))
    await platform.records.ExportRecord(rec.ExportRecordRequest(record_id=platform.record), metadata=as_(f"clerk@{B}"))

    reads = [
        r.event
        async for r in platform.audit.StreamHistory(
            audit_pb2.StreamHistoryRequest(aggregate_id=str(id_of_access_log(platform.sent))),
            metadata=as_(f"auditor@{A}"),
        )
        if r.event.event == "Read"
    ]

    assert [(e.actor, str(e.data["what"]).split(" ")[0]) for e in reads[-4:]] == [
        (f"officer@{C}", "content"),
        (f"officer@{C}", "attachment"),
        (f"clerk@{B}", "content"),
        (f"clerk@{B}", "content"),
    ]
    assert all(str(e.data["peer"]).startswith("ipv") and len(e.trace_id) == 32 for e in reads[-4:])
