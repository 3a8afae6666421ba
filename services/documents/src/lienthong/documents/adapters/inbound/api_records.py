"""The gRPC face of records (hồ sơ): protobuf in, use case, protobuf out. No business rule here."""

from __future__ import annotations

import hashlib
from typing import Any

from lienthong.documents.application.recordkeeping import RecordUseCases
from lienthong.documents.application.usecases import parse_id
from lienthong.documents.domain.records import PERMANENT
from lienthong.documents.projections.records import RecordRow
from lienthong.documents.v1 import records_pb2 as pb
from lienthong.documents.v1 import records_pb2_grpc
from lienthong.errors import InvalidArgument
from lienthong.grpcserver import timestamp_of
from lienthong.grpcserver.paging import Page

Context = Any  # grpc.aio.ServicerContext; errors travel as DomainError

_STATES = {pb.RECORD_STATE_OPEN: "open", pb.RECORD_STATE_CLOSED: "closed", pb.RECORD_STATE_UNSPECIFIED: ""}


class RecordsServicer(records_pb2_grpc.RecordsServiceServicer):
    """Implements `lienthong.documents.v1.RecordsService`."""

    def __init__(self, usecases: RecordUseCases) -> None:
        self._records = usecases

    async def OpenRecord(self, request: pb.OpenRecordRequest, context: Context) -> pb.OpenRecordResponse:
        if request.permanent == bool(request.retention_years):
            raise InvalidArgument("set either permanent or retention_years (1 to 100), not both and not neither")
        retention = PERMANENT if request.permanent else request.retention_years
        row = await self._records.open_record(request.agency_code, request.code, request.title, retention)
        return pb.OpenRecordResponse(record=_record(row))

    async def FileDocument(self, request: pb.FileDocumentRequest, context: Context) -> pb.FileDocumentResponse:
        row = await self._records.file_document(
            parse_id(request.record_id, "record_id"), parse_id(request.document_id, "document_id")
        )
        return pb.FileDocumentResponse(record=_record(row))

    async def CloseRecord(self, request: pb.CloseRecordRequest, context: Context) -> pb.CloseRecordResponse:
        row = await self._records.close_record(parse_id(request.record_id, "record_id"))
        return pb.CloseRecordResponse(record=_record(row))

    async def ExportRecord(self, request: pb.ExportRecordRequest, context: Context) -> pb.ExportRecordResponse:
        archive, name = await self._records.export_record(parse_id(request.record_id, "record_id"))
        return pb.ExportRecordResponse(archive=archive, sha256=hashlib.sha256(archive).hexdigest(), file_name=name)

    async def ListRecords(self, request: pb.ListRecordsRequest, context: Context) -> pb.ListRecordsResponse:
        if request.state not in _STATES:
            raise InvalidArgument(f"state {request.state} is not open or closed")
        page = Page.of(request.page_size, request.page_token)
        rows, more = await self._records.list_records(
            request.agency_code, _STATES[request.state], page.size, page.offset
        )
        return pb.ListRecordsResponse(records=[_record(r) for r in rows], next_page_token=page.next_token(more))


def _record(row: RecordRow) -> pb.Record:
    return pb.Record(
        id=row.id,
        agency_code=row.agency_code,
        code=row.code,
        title=row.title,
        permanent=row.retention_years == PERMANENT,
        retention_years=row.retention_years,
        state=pb.RECORD_STATE_OPEN if row.state == "open" else pb.RECORD_STATE_CLOSED,
        opened_at=timestamp_of(row.opened_at),
        closed_at=timestamp_of(row.closed_at),
        documents=[
            pb.FiledDocument(
                ordinal=d.ordinal,
                document_id=d.document_id,
                outgoing=d.direction == "outgoing",
                code=d.code,
                filed_at=timestamp_of(d.filed_at),
            )
            for d in row.documents
        ],
    )
