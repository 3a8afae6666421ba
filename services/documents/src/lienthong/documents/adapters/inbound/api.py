"""The gRPC face of the documents service: protobuf in, use case, protobuf out. No business rule here."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

from google.protobuf import struct_pb2

from lienthong.documents.application.usecases import DocumentUseCases, NewAttachment, parse_id
from lienthong.documents.domain.attachments import AttachmentKind, BusinessType
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.outgoing import Confidentiality, Urgency
from lienthong.documents.projections.registers import DocumentSearch, IncomingRow, OutgoingRow
from lienthong.documents.v1 import documents_pb2 as pb
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.errors import InvalidArgument
from lienthong.eventstore import EventRecord
from lienthong.grpcserver import day_of, timestamp_of
from lienthong.grpcserver.paging import Page
from lienthong.telemetry.propagation import trace_id_of
from lienthong.vietnamese.calendar import start_of_vietnam_day

Context = Any  # grpc.aio.ServicerContext; unused by the handlers, errors travel as DomainError


class DocumentsServicer(documents_pb2_grpc.DocumentsServiceServicer):
    """Implements `lienthong.documents.v1.DocumentsService`."""

    def __init__(self, usecases: DocumentUseCases) -> None:
        self._documents = usecases

    def _incoming(self, row: IncomingRow) -> pb.IncomingDocument:
        return _incoming(row, self._documents.today())

    async def SendDocument(self, request: pb.SendDocumentRequest, context: Context) -> pb.SendDocumentResponse:
        row = await self._documents.send_new(list(request.recipient_codes), **_draft(request.document))
        return pb.SendDocumentResponse(document=_outgoing(row))

    async def CreateOutgoing(self, request: pb.CreateOutgoingRequest, context: Context) -> pb.CreateOutgoingResponse:
        return pb.CreateOutgoingResponse(document=_outgoing(await self._documents.create_outgoing(**_draft(request))))

    async def SubmitOutgoing(self, request: pb.SubmitOutgoingRequest, context: Context) -> pb.SubmitOutgoingResponse:
        row = await self._documents.submit_outgoing(parse_id(request.document_id, "document_id"))
        return pb.SubmitOutgoingResponse(document=_outgoing(row))

    async def ApproveOutgoing(self, request: pb.ApproveOutgoingRequest, context: Context) -> pb.ApproveOutgoingResponse:
        row = await self._documents.approve_outgoing(parse_id(request.document_id, "document_id"), request.comment)
        return pb.ApproveOutgoingResponse(document=_outgoing(row))

    async def ReturnOutgoing(self, request: pb.ReturnOutgoingRequest, context: Context) -> pb.ReturnOutgoingResponse:
        row = await self._documents.return_outgoing(parse_id(request.document_id, "document_id"), request.comments)
        return pb.ReturnOutgoingResponse(document=_outgoing(row))

    async def RegisterOutgoing(
        self, request: pb.RegisterOutgoingRequest, context: Context
    ) -> pb.RegisterOutgoingResponse:
        row = await self._documents.register_outgoing(parse_id(request.document_id, "document_id"))
        return pb.RegisterOutgoingResponse(document=_outgoing(row))

    async def SignOutgoing(self, request: pb.SignOutgoingRequest, context: Context) -> pb.SignOutgoingResponse:
        row = await self._documents.sign_outgoing(parse_id(request.document_id, "document_id"))
        return pb.SignOutgoingResponse(document=_outgoing(row))

    async def SignAsLeader(self, request: pb.SignAsLeaderRequest, context: Context) -> pb.SignAsLeaderResponse:
        row = await self._documents.sign_as_leader(
            parse_id(request.document_id, "document_id"), request.signer_serial, request.signer_position
        )
        return pb.SignAsLeaderResponse(document=_outgoing(row))

    async def SendOutgoing(self, request: pb.SendOutgoingRequest, context: Context) -> pb.SendOutgoingResponse:
        row = await self._documents.send_outgoing(
            parse_id(request.document_id, "document_id"), list(request.recipient_codes)
        )
        return pb.SendOutgoingResponse(document=_outgoing(row))

    async def GetOutgoing(self, request: pb.GetOutgoingRequest, context: Context) -> pb.GetOutgoingResponse:
        row = await self._documents.outgoing(parse_id(request.document_id, "document_id"))
        return pb.GetOutgoingResponse(document=_outgoing(row))

    async def ListOutgoing(self, request: pb.ListOutgoingRequest, context: Context) -> pb.ListOutgoingResponse:
        rows = await self._documents.outgoing_of(request.sender_code)
        return pb.ListOutgoingResponse(documents=[_outgoing(row) for row in rows])

    async def ListIncoming(self, request: pb.ListIncomingRequest, context: Context) -> pb.ListIncomingResponse:
        rows = await self._documents.incoming_of(request.recipient_code)
        return pb.ListIncomingResponse(documents=[self._incoming(row) for row in rows])

    async def AcceptIncoming(self, request: pb.AcceptIncomingRequest, context: Context) -> pb.AcceptIncomingResponse:
        row = await self._documents.accept_incoming(parse_id(request.incoming_id, "incoming_id"))
        return pb.AcceptIncomingResponse(document=self._incoming(row))

    async def RefuseIncoming(self, request: pb.RefuseIncomingRequest, context: Context) -> pb.RefuseIncomingResponse:
        row = await self._documents.refuse_incoming(parse_id(request.incoming_id, "incoming_id"), request.reason)
        return pb.RefuseIncomingResponse(document=self._incoming(row))

    async def AssignIncoming(self, request: pb.AssignIncomingRequest, context: Context) -> pb.AssignIncomingResponse:
        row = await self._documents.assign_incoming(
            parse_id(request.incoming_id, "incoming_id"), request.assignee, day_of(request.due_on, "due_on")
        )
        return pb.AssignIncomingResponse(document=self._incoming(row))

    async def StartIncoming(self, request: pb.StartIncomingRequest, context: Context) -> pb.StartIncomingResponse:
        row = await self._documents.start_incoming(parse_id(request.incoming_id, "incoming_id"))
        return pb.StartIncomingResponse(document=self._incoming(row))

    async def CompleteIncoming(
        self, request: pb.CompleteIncomingRequest, context: Context
    ) -> pb.CompleteIncomingResponse:
        row = await self._documents.complete_incoming(parse_id(request.incoming_id, "incoming_id"))
        return pb.CompleteIncomingResponse(document=self._incoming(row))

    async def RecallOutgoing(self, request: pb.RecallOutgoingRequest, context: Context) -> pb.RecallOutgoingResponse:
        row = await self._documents.recall_outgoing(
            parse_id(request.document_id, "document_id"), list(request.recipient_codes), request.reason
        )
        return pb.RecallOutgoingResponse(document=_outgoing(row))

    async def AnswerRecall(self, request: pb.AnswerRecallRequest, context: Context) -> pb.AnswerRecallResponse:
        row = await self._documents.answer_recall(parse_id(request.incoming_id, "incoming_id"), request.give_back)
        return pb.AnswerRecallResponse(document=self._incoming(row))

    async def WatchIncoming(
        self, request: pb.WatchIncomingRequest, context: Context
    ) -> AsyncIterator[pb.WatchIncomingResponse]:
        async for row in self._documents.watch_incoming(request.recipient_code, request.include_waiting):
            yield pb.WatchIncomingResponse(document=self._incoming(row))

    async def SearchDocuments(self, request: pb.SearchDocumentsRequest, context: Context) -> pb.SearchDocumentsResponse:
        page = Page.of(request.page_size, request.page_token)
        from_day, to_day = day_of(request.from_day, "from_day"), day_of(request.to_day, "to_day")
        search = DocumentSearch(
            agency_code=request.agency_code,
            query=request.query,
            code=request.code,
            doc_type="" if request.type == pb.DOCUMENT_TYPE_UNSPECIFIED else _doc_type(request.type).name,
            outgoing=request.outgoing if request.HasField("outgoing") else None,
            from_at=start_of_vietnam_day(from_day) if from_day else None,
            to_at=start_of_vietnam_day(to_day + timedelta(days=1)) if to_day else None,
            limit=page.size,
            offset=page.offset,
            number=_number(request.number),
            notation=request.notation,
            urgency="" if request.urgency == pb.URGENCY_UNSPECIFIED else _urgency(request.urgency).name,
            status=_status_filter(request.status),
            state=_state(request.state),
            sender_code=request.sender_code,
            recipient_code=request.recipient_code,
            signer=request.signer,
        )
        hits, more = await self._documents.search(search)
        return pb.SearchDocumentsResponse(
            documents=[
                pb.DocumentHit(
                    id=hit.id,
                    outgoing=hit.outgoing,
                    code=hit.code,
                    type=pb.DocumentType.Value(f"DOCUMENT_TYPE_{hit.doc_type}"),
                    subject=hit.subject,
                    sender_code=hit.sender_code,
                    at=timestamp_of(hit.at),
                    urgency=pb.Urgency.Value(f"URGENCY_{hit.urgency}"),
                    status=_status(hit.status),
                    state=pb.OutgoingState.Value(f"OUTGOING_STATE_{hit.state.upper()}")
                    if hit.state
                    else pb.OUTGOING_STATE_UNSPECIFIED,
                )
                for hit in hits
            ],
            next_page_token=page.next_token(more),
        )

    async def GetAttachment(self, request: pb.GetAttachmentRequest, context: Context) -> pb.GetAttachmentResponse:
        described, content = await self._documents.attachment(
            parse_id(request.document_id, "document_id"), request.sha256
        )
        return pb.GetAttachmentResponse(attachment=_attachment(described), content=content)

    async def GetContent(self, request: pb.GetContentRequest, context: Context) -> pb.GetContentResponse:
        content, sha = await self._documents.content(parse_id(request.document_id, "document_id"))
        return pb.GetContentResponse(content_pdf=content, sha256=sha)

    async def GetHistory(self, request: pb.GetHistoryRequest, context: Context) -> pb.GetHistoryResponse:
        records = await self._documents.history(parse_id(request.document_id, "document_id"))
        return pb.GetHistoryResponse(events=[_history_event(r) for r in records])


def _doc_type(value: pb.DocumentType.ValueType) -> DocumentType:
    if value == pb.DOCUMENT_TYPE_UNSPECIFIED or value not in pb.DocumentType.values():
        raise InvalidArgument("type is required: one of the 29 document types of NĐ 30/2020")
    return DocumentType[pb.DocumentType.Name(value).removeprefix("DOCUMENT_TYPE_")]


def _urgency(value: pb.Urgency.ValueType) -> Urgency:
    if value == pb.URGENCY_UNSPECIFIED:
        return Urgency.NORMAL
    if value not in pb.Urgency.values():
        raise InvalidArgument(f"urgency {value} is not one of normal, khẩn, thượng khẩn, hỏa tốc")
    return Urgency[pb.Urgency.Name(value).removeprefix("URGENCY_")]


def _confidentiality(value: pb.Confidentiality.ValueType) -> Confidentiality:
    if value == pb.CONFIDENTIALITY_UNSPECIFIED:
        return Confidentiality.NORMAL
    if value not in pb.Confidentiality.values():
        raise InvalidArgument(f"confidentiality {value} is not one of normal, mật, tối mật, tuyệt mật")
    return Confidentiality[pb.Confidentiality.Name(value).removeprefix("CONFIDENTIALITY_")]


_STATUSES = {
    "01": pb.STATUS_CODE_ARRIVED,
    "02": pb.STATUS_CODE_REFUSED,
    "03": pb.STATUS_CODE_ACCEPTED,
    "04": pb.STATUS_CODE_ASSIGNED,
    "05": pb.STATUS_CODE_IN_PROGRESS,
    "06": pb.STATUS_CODE_DONE,
    "13": pb.STATUS_CODE_RECALL_REQUESTED,
    "15": pb.STATUS_CODE_RECALLED,
    "16": pb.STATUS_CODE_RECALL_REFUSED,
}
_STATUS_CODES = {value: code for code, value in _STATUSES.items()}


def _status(code: str) -> pb.StatusCode.ValueType:
    return _STATUSES.get(code, pb.STATUS_CODE_UNSPECIFIED)


def _status_filter(value: pb.StatusCode.ValueType) -> str:
    if value != pb.STATUS_CODE_UNSPECIFIED and value not in _STATUS_CODES:
        raise InvalidArgument(f"status {value} is not an edXML status code")
    return _STATUS_CODES.get(value, "")


def _state(value: pb.OutgoingState.ValueType) -> str:
    if value == pb.OUTGOING_STATE_UNSPECIFIED:
        return ""
    if value not in pb.OutgoingState.values():
        raise InvalidArgument(f"state {value} is not a state of an outgoing document")
    return pb.OutgoingState.Name(value).removeprefix("OUTGOING_STATE_").lower()


def _number(text: str) -> int:
    """A number filter ("05", "5") as an integer, 0 for none."""
    if not text:
        return 0
    if not text.isdigit() or int(text) < 1:
        raise InvalidArgument(f"number {text!r} must be the digits of a document number, e.g. 05")
    return int(text)


def _outgoing(row: OutgoingRow) -> pb.OutgoingDocument:
    return pb.OutgoingDocument(
        id=row.id,
        sender_code=row.sender_code,
        type=pb.DocumentType.Value(f"DOCUMENT_TYPE_{row.doc_type}"),
        subject=row.subject,
        urgency=pb.Urgency.Value(f"URGENCY_{row.urgency}"),
        confidentiality=pb.Confidentiality.Value(f"CONFIDENTIALITY_{row.confidentiality}"),
        state=pb.OutgoingState.Value(f"OUTGOING_STATE_{row.state.upper()}"),
        number=f"{row.number:02d}" if row.number else "",
        notation=row.notation,
        issued_at=timestamp_of(row.issued_at),
        content_sha256=row.content_sha256,
        signer_certificate_serial=row.certificate_serial,
        recipients=[
            pb.RecipientStatus(
                recipient_code=r.recipient_code,
                incoming_id=r.incoming_id,
                status=_status(r.status),
                updated_at=timestamp_of(r.updated_at),
            )
            for r in row.recipients
        ],
        created_at=timestamp_of(row.created_at),
        attachments=[_attachment(a) for a in json.loads(row.attachments)],
        business_type=BusinessType[row.business_type].value,  # type: ignore[arg-type]
        relates_to=row.relates_to,
        seal_policy=row.seal_policy,
        leader_certificate_serial=row.leader_certificate_serial,
        leader_position=row.leader_position,
    )


_KINDS = {
    pb.ATTACHMENT_KIND_MAIN_TEXT: AttachmentKind.MAIN_TEXT,
    pb.ATTACHMENT_KIND_APPENDIX: AttachmentKind.APPENDIX,
    pb.ATTACHMENT_KIND_ATTACHMENT: AttachmentKind.ATTACHMENT,
}
_KIND_VALUES = {kind.value: value for value, kind in _KINDS.items()}


def _business_type(value: pb.BusinessType.ValueType) -> BusinessType:
    if value not in pb.BusinessType.values():
        raise InvalidArgument(f"business_type {value} is not new, revoke, update or replace")
    return BusinessType(int(value))


def _attachment(described: dict[str, Any]) -> pb.Attachment:
    return pb.Attachment(
        name=described["name"],
        content_type=described["content_type"],
        kind=_KIND_VALUES[described["kind"]],
        sha256=described["sha256"],
        size=int(described["size"]),
    )


def _incoming(row: IncomingRow, today: date) -> pb.IncomingDocument:
    return pb.IncomingDocument(
        id=row.id,
        recipient_code=row.recipient_code,
        outgoing_id=row.outgoing_id,
        sender_code=row.sender_code,
        type=pb.DocumentType.Value(f"DOCUMENT_TYPE_{row.doc_type}"),
        subject=row.subject,
        code=row.code,
        urgency=pb.Urgency.Value(f"URGENCY_{row.urgency}"),
        status=_status(row.status),
        arrival_number=row.arrival_number,
        arrived_at=timestamp_of(row.arrived_at),
        accepted_at=timestamp_of(row.accepted_at),
        assignee=row.assignee,
        due_on=row.due_on,
        overdue=row.overdue(today),
        business_type=BusinessType[row.business_type].value,  # type: ignore[arg-type]
        relates_to_code=row.relates_to_code,
    )


def _history_event(record: EventRecord) -> pb.HistoryEvent:
    data = struct_pb2.Struct()
    data.update(record.data)
    return pb.HistoryEvent(
        version=record.version,
        event=record.event,
        occurred_at=timestamp_of(record.occurred_at),
        actor=record.actor,
        trace_id=trace_id_of(record.traceparent),
        data=data,
        aggregate_id=record.aggregate_id,
        aggregate=record.aggregate,
    )


def _draft(request: pb.CreateOutgoingRequest) -> dict[str, Any]:
    """The arguments of a new draft (`DocumentUseCases.create_outgoing`) from its request."""
    return {
        "sender_code": request.sender_code,
        "doc_type": _doc_type(request.type),
        "subject": request.subject,
        "urgency": _urgency(request.urgency),
        "confidentiality": _confidentiality(request.confidentiality),
        "content_pdf": request.content_pdf,
        "attachments": [
            NewAttachment(a.name, a.content_type, _KINDS.get(a.kind, AttachmentKind.ATTACHMENT), a.content)
            for a in request.attachments
        ],
        "business_type": _business_type(request.business_type),
        "relates_to": parse_id(request.relates_to, "relates_to") if request.relates_to else None,
    }
