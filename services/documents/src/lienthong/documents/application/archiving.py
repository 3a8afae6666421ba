"""The archive package of a closed record assembled from the event store and the stored files."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from lienthong.archive import ArchivedDocument, ArchivedFile, RecordArchive, write_archive
from lienthong.documents.adapters.outbound.blobs import BlobStore
from lienthong.documents.application.app import DocumentsApp
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.incoming import IncomingDocument
from lienthong.documents.domain.outgoing import OutgoingDocument
from lienthong.documents.domain.records import Direction, Record, retention_text
from lienthong.errors import FailedPrecondition
from lienthong.eventstore import EventRecord, aggregate_history
from lienthong.vietnamese.calendar import VIETNAM


def record_archive(app: DocumentsApp, blobs: BlobStore, record: Record) -> bytes:
    """The zip of a closed record (see lienthong.archive.package for its layout)."""
    record.check_exportable()
    documents = [_document(app, blobs, record, filed) for filed in record.documents]
    return write_archive(
        RecordArchive(
            record={
                "id": str(record.id),
                "agency_code": record.agency_code,
                "code": record.code,
                "title": record.title,
                "retention_years": record.retention_years,
                "retention": retention_text(record.retention_years),
                "opened_at": _vietnam(record.opened_at),
                "closed_at": _vietnam(record.closed_at),
                "document_count": len(documents),
            },
            history=[_event(e) for e in aggregate_history(app, record.id)],
            documents=documents,
        )
    )


def _document(app: DocumentsApp, blobs: BlobStore, record: Record, filed: dict[str, Any]) -> ArchivedDocument:
    document_id = UUID(filed["document_id"])
    copy: IncomingDocument | None = None
    if filed["direction"] == Direction.INCOMING.value:
        copy = app.incoming(document_id)
        outgoing = app.outgoing(copy.outgoing_id)
        # The copy's own events, and the sender's up to sending: the document as it was received.
        sender_events = aggregate_history(app, outgoing.id)
        sent_at = next(i for i, e in enumerate(sender_events) if e.event == "Sent")
        history = aggregate_history(app, document_id) + sender_events[: sent_at + 1]
    else:
        outgoing = app.outgoing(document_id)
        history = app.history(document_id)
    if outgoing.sealed:
        # The package is read offline, by whoever holds it: a confidential document has no place in it in
        # clear, and encrypted it would be unreadable there.
        raise FailedPrecondition(
            f"document {outgoing.code} of record {record.code} is {outgoing.confidentiality}: confidential documents "
            f"are not packaged for the archive; take it out of the record or hand it over by the secret-records procedure"
        )
    metadata = _metadata(outgoing, copy) | {
        "document_id": str(document_id),
        "record_code": record.code,
        "ordinal": filed["ordinal"],
    }
    return ArchivedDocument(
        ordinal=filed["ordinal"],
        document_id=str(document_id),
        direction=filed["direction"],
        metadata=metadata,
        history=[_event(e) for e in history],
        pdf=blobs.get(outgoing.content_sha256),
        attachments=[ArchivedFile(a["name"], blobs.get(a["sha256"])) for a in outgoing.attachments],
    )


def _metadata(outgoing: OutgoingDocument, copy: IncomingDocument | None) -> dict[str, Any]:
    """The metadata of Phụ lục VI that lienthong holds (no page count, copies issued or signer's name yet)."""
    doc_type = DocumentType[outgoing.doc_type]
    metadata: dict[str, Any] = {
        "type": doc_type.name,
        "type_name": doc_type.vietnamese_name,
        "number": f"{outgoing.number:02d}" if outgoing.number else "",
        "notation": outgoing.notation,
        "code": outgoing.code,
        "issued_at": _vietnam(outgoing.issued_at),
        "issuing_agency_code": outgoing.sender_code,
        "subject": outgoing.subject,
        "language": "vi",
        "signer": {"certificate_serial": outgoing.certificate_serial},
        "recipients": sorted(outgoing.recipients),
        "urgency": outgoing.urgency,
        "confidentiality": outgoing.confidentiality,
        "attachments": outgoing.attachments,
        "content_sha256": outgoing.content_sha256,
        "business_type": outgoing.business_type,
        "relates_to_code": outgoing.relates_to_code,
    }
    if copy is not None:
        metadata |= {
            "arrival_number": copy.arrival_number,
            "arrived_at": _vietnam(copy.arrived_at),
            "accepted_at": _vietnam(copy.accepted_at),
            "receiving_agency_code": copy.recipient_code,
            "receiving_unit": copy.assignee,
            "processing_deadline": copy.due_on.isoformat() if copy.due_on else "",
            "status": copy.status.value,
            "trace": [outgoing.sender_code, copy.recipient_code],
        }
    return metadata


def _event(record: EventRecord) -> dict[str, Any]:
    return {
        "aggregate": record.aggregate,
        "aggregate_id": record.aggregate_id,
        "version": record.version,
        "event": record.event,
        "occurred_at": record.occurred_at.isoformat(),
        "actor": record.actor,
        "data": record.data,
    }


def _vietnam(moment: Any) -> str:
    return moment.astimezone(VIETNAM).isoformat() if moment is not None else ""
