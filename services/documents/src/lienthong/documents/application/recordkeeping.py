"""What an agency does with its records (hồ sơ): open, file documents, close, export for the archive, list."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from lienthong.access import Identity, act_for, read_register
from lienthong.audit.accesslog import AccessLogBook
from lienthong.consumer import LocalFollower
from lienthong.documents.adapters.inbound.identity import caller_identity
from lienthong.documents.adapters.outbound.blobs import BlobStore
from lienthong.documents.application.app import DocumentsApp
from lienthong.documents.application.archiving import record_archive
from lienthong.documents.domain.incoming import IncomingDocument
from lienthong.documents.domain.outgoing import OutgoingDocument, OutgoingState
from lienthong.documents.domain.records import Direction, Record
from lienthong.documents.domain.status import StatusCode
from lienthong.documents.projections.records import RecordRow, RecordsRegister
from lienthong.errors import AlreadyExists, FailedPrecondition, NotFound

_NOT_YET_REGISTERED = {OutgoingState.DRAFT, OutgoingState.SUBMITTED, OutgoingState.RETURNED, OutgoingState.APPROVED}
_NOT_ON_REGISTER = {StatusCode.ARRIVED, StatusCode.REFUSED, StatusCode.RECALLED}


def _now() -> datetime:
    return datetime.now(UTC)


class RecordUseCases:
    """Records of the caller's agency, read back from the records register after each change."""

    def __init__(
        self,
        app: DocumentsApp,
        register: RecordsRegister,
        follower: LocalFollower,
        blobs: BlobStore,
        clock: Callable[[], datetime] = _now,
        identity: Callable[[], Identity] = caller_identity,
    ) -> None:
        self._app = app
        self._register = register
        self._follower = follower
        self._blobs = blobs
        self._clock = clock
        self._identity = identity
        self._access = AccessLogBook(app)

    async def open_record(self, agency_code: str, code: str, title: str, retention_years: int) -> RecordRow:
        identity = self._identity()
        agency_code = agency_code or identity.agency_code
        act_for(identity, agency_code, "open records")
        record = Record.open(
            agency_code=agency_code, code=code, title=title, retention_years=retention_years, opened_at=self._clock()
        )
        try:
            await asyncio.to_thread(self._app.save, record)
        except IntegrityError:
            raise AlreadyExists(f"agency {agency_code} already has a record with code {record.code}") from None
        return await self._after_change(record.id)

    async def file_document(self, record_id: UUID, document_id: UUID) -> RecordRow:
        record = await self._acting_on(record_id, "file documents in records")
        direction, code = await asyncio.to_thread(self._fileable, record.agency_code, document_id)
        record.file(document_id=str(document_id), direction=direction, document_code=code, at=self._clock())
        await asyncio.to_thread(self._app.save, record)
        return await self._after_change(record_id)

    async def close_record(self, record_id: UUID) -> RecordRow:
        record = await self._acting_on(record_id, "close records")
        record.close(at=self._clock())
        await asyncio.to_thread(self._app.save, record)
        return await self._after_change(record_id)

    async def export_record(self, record_id: UUID) -> tuple[bytes, str]:
        """The archive package of a closed record, and a file name for it."""
        record = await asyncio.to_thread(self._record, record_id)
        read_register(self._identity(), record.agency_code, "the records")
        archive = await asyncio.to_thread(record_archive, self._app, self._blobs, record)
        for filed in record.documents:
            await asyncio.to_thread(
                self._access.read, filed["document_id"], f"content and files, in the archive of record {record_id}"
            )
        return archive, f"{record.agency_code}_{record.code}.zip"

    async def list_records(self, agency_code: str, state: str, limit: int, offset: int) -> tuple[list[RecordRow], bool]:
        identity = self._identity()
        agency_code = agency_code or identity.agency_code
        read_register(identity, agency_code, "the records")
        return await asyncio.to_thread(self._register.of_agency, agency_code, state, limit, offset)

    def _fileable(self, agency_code: str, document_id: UUID) -> tuple[Direction, str]:
        """A registered outgoing document of the agency, or a copy it accepted and still holds."""
        found: Any = self._load(document_id, "document")
        if isinstance(found, OutgoingDocument):
            if found.sender_code != agency_code:
                raise FailedPrecondition(f"document {document_id} was issued by {found.sender_code}, not {agency_code}")
            if found.state in _NOT_YET_REGISTERED:
                raise FailedPrecondition(
                    f"document {document_id} is not registered yet; only registered ones are filed"
                )
            return Direction.OUTGOING, found.code
        if isinstance(found, IncomingDocument):
            if found.recipient_code != agency_code:
                raise FailedPrecondition(f"document {document_id} arrived at {found.recipient_code}, not {agency_code}")
            if found.status in _NOT_ON_REGISTER:
                raise FailedPrecondition(
                    f"incoming document {found.code} has status {found.status.value}; only accepted copies are filed"
                )
            return Direction.INCOMING, found.code
        raise NotFound(f"no document has id {document_id}")

    async def _acting_on(self, record_id: UUID, action: str) -> Record:
        record = await asyncio.to_thread(self._record, record_id)
        act_for(self._identity(), record.agency_code, action)
        return record

    def _record(self, record_id: UUID) -> Record:
        found = self._load(record_id, "record")
        if not isinstance(found, Record):
            raise NotFound(f"no record has id {record_id}")
        return found

    def _load(self, aggregate_id: UUID, label: str) -> Any:
        try:
            return self._app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"no {label} has id {aggregate_id}") from None

    async def _after_change(self, record_id: UUID) -> RecordRow:
        await self._follower.caught_up()
        row = await asyncio.to_thread(self._register.by_id, str(record_id))
        if row is None:  # pragma: no cover - the follower has just applied it
            raise NotFound(f"no record has id {record_id}")
        return row
