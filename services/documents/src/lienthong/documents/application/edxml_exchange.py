"""edXML exchange with other systems: export a document or a status as a sealed envelope, import one after
checking it (conformance, the sender's signature, the registry), so that it lands exactly like a document
sent within the platform. A refused message gets its §3 result code and changes nothing."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from lienthong.access import DocumentParties, Identity, act_for, see_document
from lienthong.audit.accesslog import AccessLogBook
from lienthong.consumer import LocalFollower
from lienthong.documents.adapters.inbound.edxml.builder import envelope_xml, status_xml
from lienthong.documents.adapters.inbound.edxml.model import (
    KIND_DESCRIPTIONS,
    Attachment,
    Business,
    Envelope,
    Layout,
    Organ,
    StatusMessage,
    TraceHeader,
    document_id,
)
from lienthong.documents.adapters.inbound.edxml.parser import MAX_EDXML_BYTES, parse_message, split_document_id
from lienthong.documents.adapters.inbound.edxml.results import EdxmlRejected, ResultCode
from lienthong.documents.adapters.inbound.identity import caller_identity
from lienthong.documents.adapters.outbound.blobs import BlobStore
from lienthong.documents.adapters.outbound.gateways import Verdict
from lienthong.documents.application.app import DocumentsApp
from lienthong.documents.domain.attachments import AttachmentKind, AttachmentRecord, BusinessType, safe_file_name
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.incoming import IncomingDocument, id_of_imported
from lienthong.documents.domain.numbering import format_number
from lienthong.documents.domain.outgoing import Confidentiality, OutgoingDocument, OutgoingState, Urgency
from lienthong.documents.projections.registers import DocumentSearch, Registers
from lienthong.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from lienthong.identifiers_client import AgencyInfo
from lienthong.vietnamese.calendar import vietnam_date

CONTENT_ID = "content"  # the signed PDF of the document


class Directory(Protocol):
    """The agency registry as the exchange needs it (lienthong.identifiers_client.AgencyRegistry in the service)."""

    async def get(self, code: str) -> AgencyInfo: ...

    async def resolve(self, code: str) -> tuple[AgencyInfo, list[str]]: ...


class Sealer(Protocol):
    """XML signing as the exchange needs it (XmlSealer in the service)."""

    async def seal_xml(self, agency_code: str, xml: bytes, xades: bool = False) -> bytes: ...

    async def verify_xml(self, xml: bytes, agency_code: str) -> Verdict: ...


@dataclass(frozen=True)
class Imported:
    """What an import did: the incoming copies created, or the outgoing document whose status changed."""

    incoming_ids: list[str]
    outgoing_id: str = ""
    status: str = ""


def _now() -> datetime:
    return datetime.now(UTC)


class EdxmlExchange:
    """Export and import of edXML envelopes and status messages."""

    def __init__(
        self,
        app: DocumentsApp,
        registers: Registers,
        follower: LocalFollower,
        blobs: BlobStore,
        directory: Directory,
        sealer: Sealer,
        clock: Callable[[], datetime] = _now,
        identity: Callable[[], Identity] = caller_identity,
    ) -> None:
        self._identity = identity
        self._app = app
        self._registers = registers
        self._follower = follower
        self._blobs = blobs
        self._directory = directory
        self._sealer = sealer
        self._clock = clock
        self._access = AccessLogBook(app)

    async def export_document(
        self, document_id_: UUID, recipient_codes: list[str], *, xades: bool = False, layout: Layout = Layout.AXIS
    ) -> bytes:
        """The signed document as an envelope in `layout` sealed by its agency (XAdES-BES when asked) over the
        whole message, files included, addressed to its recipients (those it was sent to, else
        `recipient_codes`). Confidential documents are not exported in clear."""
        document = await asyncio.to_thread(self._app.outgoing, document_id_)
        act_for(self._identity(), document.sender_code, "export documents")
        if document.state not in (OutgoingState.SIGNED, OutgoingState.SENT):
            raise FailedPrecondition(
                f"document {document.code or document.id} is {document.state.value}; only a signed document is exported"
            )
        if document.confidentiality != Confidentiality.NORMAL.name:
            raise FailedPrecondition(
                f"document {document.code} is confidential ({document.confidentiality}); it is not exported in clear"
            )
        codes = sorted(document.recipients) or list(dict.fromkeys(recipient_codes))
        if not codes:
            raise InvalidArgument("the document was not sent: name the recipient identifier codes")
        sender = await self._organ(document.sender_code)
        recipients = tuple([await self._organ(code) for code in codes])
        envelope = Envelope(
            sender=sender,
            recipients=recipients,
            number=format_number(document.number),
            notation=document.notation,
            promulgation_date=vietnam_date(_issued(document)),
            doc_type=DocumentType[document.doc_type],
            subject=document.subject,
            traces=(TraceHeader(document.sender_code, self._clock().replace(microsecond=0)),),
            priority=Urgency[document.urgency],
            business=await self._business(document),
            attachments=await asyncio.to_thread(self._files, document),
        )
        sealed = await self._sealer.seal_xml(document.sender_code, envelope_xml(envelope, layout), xades)
        await asyncio.to_thread(self._access.read, str(document_id_), "content and files, exported as edXML")
        return sealed

    async def export_status(self, incoming_id: UUID, *, layout: Layout = Layout.AXIS) -> bytes:
        """The copy's current status as a status message in `layout` sealed by the recipient agency, for the
        sender."""
        copy = await asyncio.to_thread(self._app.incoming, incoming_id)
        act_for(self._identity(), copy.recipient_code, "export the status of documents received")
        answered = copy.edxml_document_id
        if not copy.imported:
            outgoing = await asyncio.to_thread(self._app.outgoing, copy.outgoing_id)
            answered = _document_id_of(outgoing)
        message = StatusMessage(
            sender=await self._organ(copy.recipient_code),
            recipient=await self._organ(copy.sender_code),
            document_id=answered,
            status=copy.status,
            timestamp=self._clock().replace(microsecond=0),
            description=f"{copy.code}: {copy.status.name.lower().replace('_', ' ')}",
        )
        return await self._sealer.seal_xml(copy.recipient_code, status_xml(message, layout))

    async def import_message(self, data: bytes, *, max_bytes: int = MAX_EDXML_BYTES) -> Imported:
        """Check and apply a received envelope or status message; the matching DomainError otherwise."""
        try:
            return await self._import(data, max_bytes)
        except EdxmlRejected as rejected:
            raise rejected.as_domain_error() from None

    async def _import(self, data: bytes, max_bytes: int) -> Imported:
        message = parse_message(data, max_bytes=max_bytes)
        sender = message.sender.organ_id
        verdict = await self._sealer.verify_xml(data, sender)
        if not verdict.passed:
            raise EdxmlRejected(
                ResultCode.AUTHENTICATION_FAILED, f"the signature of {sender} does not verify: {verdict.reason}"
            )
        try:
            await self._directory.get(sender)
        except NotFound:
            raise EdxmlRejected(
                ResultCode.SENDER_NOT_REGISTERED, f"sender {sender} is not in the agency registry"
            ) from None
        if isinstance(message, StatusMessage):
            return await self._import_status(message)
        return await self._import_document(message, data)

    async def _import_document(self, envelope: Envelope, data: bytes) -> Imported:
        recipients: list[str] = []
        for organ in envelope.recipients:
            try:
                agency, _ = await self._directory.resolve(organ.organ_id)
            except NotFound:
                continue  # a recipient in another system: its own copy goes there
            except FailedPrecondition as error:
                raise EdxmlRejected(ResultCode.RECIPIENT_LOCKED, error.reason) from None
            recipients.append(agency.code)
        if not recipients:
            listed = ", ".join(organ.organ_id for organ in envelope.recipients)
            raise EdxmlRejected(
                ResultCode.RECIPIENT_NOT_FOUND, f"no recipient of the message ({listed}) is registered here"
            )
        identity = self._identity()
        if identity.agency_code not in recipients:
            raise PermissionDenied(f"{identity} is not a recipient of this message and cannot receive it")
        act_for(identity, identity.agency_code, "receive documents")
        files = [await asyncio.to_thread(self._stored, attachment) for attachment in envelope.attachments]
        envelope_sha = await asyncio.to_thread(self._blobs.put, data)
        outgoing_id = id_of_imported(envelope.document_id)
        arrived_at = self._clock()
        copies = [
            IncomingDocument(
                outgoing_id=outgoing_id,
                sender_code=envelope.sender.organ_id,
                recipient_code=code,
                doc_type=envelope.doc_type.name,
                subject=envelope.subject,
                code=envelope.code,
                urgency=envelope.priority.name,
                arrived_at=arrived_at,
                business_type=envelope.business.doc_type.name,
                relates_to_code=_code_of(envelope.business.document_id),
                edxml_document_id=envelope.document_id,
                envelope_sha256=envelope_sha,
                attachments=[f.as_dict() for f in files],
                trace=[[t.organ_id, t.timestamp.isoformat()] for t in envelope.traces],
            )
            for code in dict.fromkeys(recipients)
        ]
        await asyncio.to_thread(self._app.import_incoming, copies)
        await self._follower.caught_up()
        return Imported(incoming_ids=[str(copy.id) for copy in copies])

    async def _import_status(self, message: StatusMessage) -> Imported:
        organ_id, _, code = split_document_id(message.document_id)
        hits, _ = await asyncio.to_thread(
            self._registers.search, DocumentSearch(agency_code=organ_id, code=code, outgoing=True, limit=500)
        )
        for hit in hits:
            outgoing = await asyncio.to_thread(self._app.outgoing, UUID(hit.id))
            if _document_id_of(outgoing) == message.document_id:
                act_for(self._identity(), outgoing.sender_code, "record the statuses of documents sent")
                await asyncio.to_thread(
                    self._app.record_recipient_status,
                    outgoing.id,
                    recipient_code=message.sender.organ_id,
                    status=message.status.value,
                    at=message.timestamp,
                )
                await self._follower.caught_up()
                return Imported(incoming_ids=[], outgoing_id=str(outgoing.id), status=message.status.value)
        raise NotFound(f"no outgoing document here has DocumentId {message.document_id}")

    async def imported_attachment(self, incoming_id: UUID, sha256: str) -> tuple[dict[str, Any], bytes] | None:
        """A file that came with an imported copy (its sender's outgoing document is not in this store);
        None when `incoming_id` is no imported copy or it carried no such file."""
        try:
            copy = await asyncio.to_thread(self._app.incoming, incoming_id)
        except NotFound:
            return None
        parties = DocumentParties.of(copy.sender_code, (copy.recipient_code,), "NORMAL")
        see_document(self._identity(), parties, f"the files of document {incoming_id}", as_auditor=True)
        for described in copy.attachments:
            if described["sha256"] == sha256:
                content = await asyncio.to_thread(self._blobs.get, sha256)
                await asyncio.to_thread(
                    self._access.read, str(incoming_id), f"attachment {described['name']} ({sha256})"
                )
                return described, content
        return None

    async def _organ(self, code: str) -> Organ:
        """The agency as the registry knows it; the agency above it is its OrganizationInCharge."""
        agency = await self._directory.get(code)
        in_charge = ""
        # A parent outside this registry leaves the field empty.
        with contextlib.suppress(NotFound):
            in_charge = (await self._directory.get(agency.parent_code)).name if agency.parent_code else ""
        return Organ(agency.code, agency.name, agency.address, agency.email, in_charge=in_charge)

    async def _business(self, document: OutgoingDocument) -> Business:
        if not document.relates_to:
            return Business()
        earlier = await asyncio.to_thread(self._app.outgoing, UUID(document.relates_to))
        return Business(BusinessType[document.business_type], "", _document_id_of(earlier))

    def _files(self, document: OutgoingDocument) -> tuple[Attachment, ...]:
        files = [
            Attachment(
                CONTENT_ID,
                safe_file_name(f"{document.code.replace('/', '-')}.pdf"),
                "application/pdf",
                KIND_DESCRIPTIONS[AttachmentKind.MAIN_TEXT],
                self._blobs.get(document.content_sha256),
            )
        ]
        for index, described in enumerate(document.attachments, start=1):
            files.append(
                Attachment(
                    f"file{index}",
                    described["name"],
                    described["content_type"],
                    KIND_DESCRIPTIONS[AttachmentKind(described["kind"])],
                    self._blobs.get(described["sha256"]),
                )
            )
        return tuple(files)

    def _stored(self, attachment: Attachment) -> AttachmentRecord:
        sha = self._blobs.put(attachment.content)
        return AttachmentRecord(
            safe_file_name(attachment.name),
            attachment.content_type or "application/octet-stream",
            attachment.kind,
            sha,
            len(attachment.content),
        )


def _issued(document: OutgoingDocument) -> datetime:
    assert document.issued_at is not None  # registered before it is signed
    return document.issued_at


def _document_id_of(document: OutgoingDocument) -> str:
    return document_id(
        document.sender_code, vietnam_date(_issued(document)), format_number(document.number), document.notation
    )


def _code_of(edxml_document_id: str) -> str:
    """The code (`05/BC-STTTT`) a DocumentId names; "" for none."""
    return split_document_id(edxml_document_id)[2] if edxml_document_id else ""
