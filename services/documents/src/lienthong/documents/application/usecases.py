"""What clerks do with documents, across services: checks with the agency registry and the signer,
then the event-sourced change, then the register read model brought up to date for the caller."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

from lienthong.access import (
    DocumentParties,
    Identity,
    Role,
    act_for,
    approve_for,
    read_register,
    see_document,
)
from lienthong.audit.accesslog import AccessLogBook
from lienthong.consumer import LocalFollower
from lienthong.documents.adapters.inbound.identity import caller_identity
from lienthong.documents.adapters.outbound.blobs import BlobStore
from lienthong.documents.adapters.outbound.gateways import SealSigner
from lienthong.documents.adapters.outbound.rendering import render_document_pdf
from lienthong.documents.application.app import DocumentsApp
from lienthong.documents.application.confidential import Custodian, Vault
from lienthong.documents.application.envelope import OpenEnvelope, is_confidential, placeholder, placeholder_file_name
from lienthong.documents.domain.attachments import (
    AttachmentKind,
    AttachmentRecord,
    BusinessType,
    check_attachment,
    safe_file_name,
)
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.incoming import IncomingDocument
from lienthong.documents.domain.outgoing import (
    SEAL_B_LT,
    Confidentiality,
    OutgoingDocument,
    Urgency,
    checked_subject,
)
from lienthong.documents.projections.registers import (
    DocumentHitRow,
    DocumentSearch,
    IncomingRow,
    OutgoingRow,
    Registers,
)
from lienthong.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from lienthong.eventstore import EventRecord, current_actor
from lienthong.identifiers_client import AgencyInfo, AgencyRegistry
from lienthong.vietnamese.calendar import vietnam_date

PDF_MAGIC = b"%PDF-"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewAttachment:
    """A file given with a draft."""

    name: str
    content_type: str
    kind: AttachmentKind
    content: bytes


def _now() -> datetime:
    return datetime.now(UTC)


def parse_id(text: str, field: str) -> UUID:
    """A UUID from a request field, or INVALID_ARGUMENT naming the field."""
    try:
        return UUID(text)
    except ValueError:
        raise InvalidArgument(f"{field} must be a UUID, got {text!r}") from None


class DocumentUseCases:
    """The documents service's use cases; each returns what the caller reads back from the registers."""

    def __init__(
        self,
        app: DocumentsApp,
        registers: Registers,
        follower: LocalFollower,
        blobs: BlobStore,
        directory: AgencyRegistry,
        signer: SealSigner,
        clock: Callable[[], datetime] = _now,
        route_to_successor: bool = True,
        identity: Callable[[], Identity] = caller_identity,
        custodian: Custodian | None = None,
    ) -> None:
        self._identity = identity
        self._vault = Vault(custodian, blobs)
        self._app = app
        self._access = AccessLogBook(app)
        self._registers = registers
        self._follower = follower
        self._blobs = blobs
        self._directory = directory
        self._signer = signer
        self._clock = clock
        self._route_to_successor = route_to_successor

    async def create_outgoing(self, **draft: Any) -> OutgoingRow:
        """A new draft (arguments as `_create`), read back from the register."""
        return await self._outgoing_after_change(await self._create(**draft))

    async def send_new(self, recipient_codes: list[str], **draft: Any) -> OutgoingRow:
        """Draft, number, seal and send in one call (SendDocument), with the checks of each step; the
        register is read back once, at the end, instead of after every step."""
        self.authorise_sender(draft["sender_code"])
        await self.check_recipients(recipient_codes)
        document_id = await self._create(**draft)
        if not await self._register(document_id):  # not sealed automatically under the agency's policy
            await self._sign(document_id)
        await self._send(document_id, recipient_codes)
        return await self._outgoing_after_change(document_id)

    async def _create(
        self,
        *,
        sender_code: str,
        doc_type: DocumentType,
        subject: str,
        urgency: Urgency,
        confidentiality: Confidentiality,
        content_pdf: bytes,
        attachments: Sequence[NewAttachment] = (),
        business_type: BusinessType = BusinessType.NEW,
        relates_to: UUID | None = None,
    ) -> UUID:
        self.authorise_sender(sender_code)
        await self._active_agency(sender_code, role="sender")
        if content_pdf and not content_pdf.startswith(PDF_MAGIC):
            raise InvalidArgument("content_pdf is not a PDF (it does not start with %PDF-)")
        names = [safe_file_name(attachment.name) for attachment in attachments]
        confidential = is_confidential(confidentiality.name)
        for index, (name, attachment) in enumerate(zip(names, attachments, strict=True)):
            # A refusal's reason is logged: a confidential file is named there by its placeholder.
            check_attachment(
                placeholder_file_name(confidentiality.name, index) if confidential else name, attachment.content
            )
        # A confidential document is encrypted before anything of it is stored: a fresh data key, wrapped
        # for the sender; subject and file names sealed, placeholders in their stead.
        document_id, envelope, sealed = uuid4(), None, None
        if confidential:
            subject = checked_subject(subject)
            envelope, keys = await self._vault.new(document_id, sender_code)
            sealed = self._vault.sealed(keys, envelope, {"subject": subject, "attachments": names})
            subject = placeholder(confidentiality.name)
        records = []
        for index, (name, attachment) in enumerate(zip(names, attachments, strict=True)):
            sha = await self._vault.put(envelope, f"attachment/{index}", attachment.content)
            records.append(
                AttachmentRecord(
                    placeholder_file_name(confidentiality.name, index) if envelope else name,
                    attachment.content_type or "application/octet-stream",
                    attachment.kind,
                    sha,
                    len(attachment.content),
                )
            )
        sha = await self._vault.put(envelope, "content", content_pdf) if content_pdf else ""
        document = await asyncio.to_thread(
            self._app.create_outgoing,
            document_id=document_id,
            sealed=sealed,
            sender_code=sender_code,
            doc_type=doc_type,
            subject=subject,
            urgency=urgency,
            confidentiality=confidentiality,
            content_sha256=sha,
            attachments=records,
            business_type=business_type,
            relates_to=relates_to,
        )
        return document.id

    def authorise_sender(self, sender_code: str) -> None:
        """Refuse, before anything else, a caller that does not act for the sending agency."""
        act_for(self._identity(), sender_code, "issue documents")

    async def _sender_acting(self, document_id: UUID, action: str, *, leader: bool = False) -> OutgoingDocument:
        """The outgoing document, once the caller is found to act for its sender (as a leader if asked)."""
        document = await asyncio.to_thread(self._app.outgoing, document_id)
        (approve_for if leader else act_for)(self._identity(), document.sender_code, f"{action} documents")
        return document

    async def submit_outgoing(self, document_id: UUID) -> OutgoingRow:
        await self._sender_acting(document_id, "submit")
        await asyncio.to_thread(self._app.submit_outgoing, document_id, by=current_actor(), at=self._clock())
        return await self._outgoing_after_change(document_id)

    async def approve_outgoing(self, document_id: UUID, comment: str) -> OutgoingRow:
        document = await self._sender_acting(document_id, "approve", leader=True)
        comment = await self._sender_note(document, comment)
        await asyncio.to_thread(
            self._app.approve_outgoing, document_id, by=current_actor(), comment=comment, at=self._clock()
        )
        return await self._outgoing_after_change(document_id)

    async def return_outgoing(self, document_id: UUID, comments: str) -> OutgoingRow:
        document = await self._sender_acting(document_id, "return", leader=True)
        comments = await self._sender_note(document, comments)
        await asyncio.to_thread(
            self._app.return_outgoing, document_id, by=current_actor(), comments=comments, at=self._clock()
        )
        return await self._outgoing_after_change(document_id)

    async def register_outgoing(self, document_id: UUID) -> OutgoingRow:
        await self._register(document_id)
        return await self._outgoing_after_change(document_id)

    async def _register(self, document_id: UUID) -> bool:
        """Number the document, and seal it when the sender's policy allows an automatic seal; whether it
        was sealed."""
        document = await self._sender_acting(document_id, "register")
        document.check_registrable()
        agency = await self._active_agency(document.sender_code, role="sender")
        issued_at = self._clock()
        envelope = await self._sender_envelope(document)
        subject = envelope.open_text(document.sealed["text"])["subject"] if envelope else document.subject

        def content_for(draft: OutgoingDocument, code: str) -> str:
            if draft.content_sha256:
                return draft.content_sha256
            pdf = render_document_pdf(
                agency_name=agency.name,
                code=code,
                issued_on=vietnam_date(issued_at),
                type_name=DocumentType[draft.doc_type].vietnamese_name,
                subject=subject,
            )
            return self._vault.put_now(envelope, "content", pdf)

        registered = await asyncio.to_thread(
            self._app.register_outgoing,
            document_id,
            agency_short_name=agency.short_name,
            issued_at=issued_at,
            content_for=content_for,
        )
        if await self._signer.automatic_seal_policy(registered.sender_code):
            try:
                await self._seal(registered, automatic=True)
            except FailedPrecondition as refused:
                # The number is taken and kept: the policy changed meanwhile, or the seal cannot sign now.
                # The document stays registered for a person to have it signed with SignOutgoing.
                log.warning("document %s registered but not sealed automatically: %s", registered.code, refused)
            else:
                return True
        return False

    async def sign_outgoing(self, document_id: UUID) -> OutgoingRow:
        await self._sign(document_id)
        return await self._outgoing_after_change(document_id)

    async def _sign(self, document_id: UUID) -> None:
        document = await self._sender_acting(document_id, "sign")
        document.check_signable()
        await self._seal(document, automatic=False)

    async def sign_as_leader(self, document_id: UUID, signer_serial: str, position: str) -> OutgoingRow:
        """A leader of the sender signs the registered PDF with their personal certificate, before the seal."""
        document = await self._sender_acting(document_id, "sign", leader=True)
        if not signer_serial.strip():
            raise InvalidArgument("signer_serial (the leader's personal certificate) is required")
        if not position.strip():
            raise InvalidArgument("signer_position (chức vụ) is required: it is shown on the signature")
        document.check_leader_signable()
        envelope = await self._sender_envelope(document)
        pdf = await self._vault.get(envelope, "content", document.content_sha256)
        signature = await self._signer.sign_personally(
            document.sender_code,
            pdf,
            reason=f"Ký ban hành văn bản {document.code}",
            serial=signer_serial.strip(),
            position=position.strip(),
        )
        sha = await self._vault.put(envelope, "content", signature.signed_pdf)
        await asyncio.to_thread(
            self._app.sign_as_leader,
            document_id,
            content_sha256=sha,
            certificate_serial=signature.certificate_serial,
            position=position,
            by=current_actor(),
            signed_at=signature.signed_at,
        )
        return await self._outgoing_after_change(document_id)

    async def _seal(self, document: OutgoingDocument, *, automatic: bool) -> None:
        """Have the agency's seal sign the registered PDF and record it; an automatic signature is the one the
        sender's signing policy allows at registration, and its Signed event names that policy."""
        envelope = await self._sender_envelope(document)
        pdf = await self._vault.get(envelope, "content", document.content_sha256)
        reason = f"Ban hành văn bản {document.code}"
        # Sealed at B-T while the clerk waits; the validation data (B-LT) is added right after, as its own
        # step (longterm.py). A confidential document, whose PDF only its parties' keys open, is B-LT at once.
        seal = await self._signer.seal(
            document.sender_code, pdf, reason=reason, automatic=automatic, long_term_later=envelope is None
        )
        sha = await self._vault.put(envelope, "content", seal.signed_pdf)
        await asyncio.to_thread(
            self._app.sign_outgoing,
            document.id,
            content_sha256=sha,
            certificate_serial=seal.certificate_serial,
            signed_at=seal.signed_at,
            policy=seal.policy,
            level=seal.level or SEAL_B_LT,
        )

    async def send_outgoing(self, document_id: UUID, recipient_codes: list[str]) -> OutgoingRow:
        await self._send(document_id, recipient_codes)
        return await self._outgoing_after_change(document_id)

    async def _send(self, document_id: UUID, recipient_codes: list[str]) -> None:
        document = await self._sender_acting(document_id, "send")
        document.check_sendable()
        await self.check_recipients(recipient_codes)
        routes = {code: await self._recipient(code) for code in dict.fromkeys(recipient_codes)}
        envelope = await self._sender_envelope(document)
        # Signed once: a document is SIGNED only by the seal the signing service put on it in this platform
        # (sign_outgoing), and the content recorded then is what is sent, so it is not verified again here;
        # verification is for PDFs from outside (import) and on demand (VerifyPdf, `lienthong verify`).
        # Each recipient's copy carries the data key wrapped for that recipient's key, and for nobody else's.
        wrapped = await self._vault.wrap_for(envelope, dict.fromkeys(routes.values())) if envelope else None
        await asyncio.to_thread(
            self._app.send_outgoing, document_id, routes=routes, sent_at=self._clock(), wrapped_keys=wrapped
        )

    async def accept_incoming(self, incoming_id: UUID) -> IncomingRow:
        return await self._incoming_change("accept", self._app.accept_incoming, incoming_id, accepted_at=self._clock())

    async def refuse_incoming(self, incoming_id: UUID, reason: str) -> IncomingRow:
        copy: IncomingDocument = await asyncio.to_thread(self._app.incoming, incoming_id)
        if copy.sealed:
            act_for(self._identity(), copy.recipient_code, "refuse documents arriving")
            envelope = await self._vault.open(copy.sealed, copy.outgoing_id, copy.recipient_code, current_actor())
            reason = envelope.seal_note(reason)
        return await self._incoming_change(
            "refuse", self._app.refuse_incoming, incoming_id, reason=reason, at=self._clock()
        )

    async def assign_incoming(self, incoming_id: UUID, assignee: str, due_on: date | None) -> IncomingRow:
        return await self._incoming_change(
            "assign", self._app.assign_incoming, incoming_id, assignee=assignee, due_on=due_on, at=self._clock()
        )

    async def start_incoming(self, incoming_id: UUID) -> IncomingRow:
        return await self._incoming_change("start", self._app.start_incoming, incoming_id, at=self._clock())

    async def complete_incoming(self, incoming_id: UUID) -> IncomingRow:
        return await self._incoming_change("complete", self._app.complete_incoming, incoming_id, at=self._clock())

    async def answer_recall(self, incoming_id: UUID, give_back: bool) -> IncomingRow:
        return await self._incoming_change(
            "answer recalls of", self._app.answer_recall, incoming_id, give_back=give_back, at=self._clock()
        )

    async def recall_outgoing(self, document_id: UUID, recipient_codes: list[str], reason: str) -> OutgoingRow:
        document = await self._sender_acting(document_id, "recall")
        reason = await self._sender_note(document, reason)
        await asyncio.to_thread(
            self._app.request_recall, document_id, recipient_codes=recipient_codes, reason=reason, at=self._clock()
        )
        return await self._outgoing_after_change(document_id)

    async def search(self, search: DocumentSearch) -> tuple[list[DocumentHitRow], bool]:
        """A page of the caller's registers; the agency is the caller's when the search names none."""
        identity = self._identity()
        if not search.agency_code:
            search = replace(search, agency_code=identity.agency_code)
        read_register(identity, search.agency_code, "the registers")
        return await asyncio.to_thread(self._registers.search, search)

    async def watch_incoming(self, recipient_code: str, include_waiting: bool) -> AsyncIterator[IncomingRow]:
        """The copies arriving at an agency from now on (after those waiting, if asked), as they commit."""
        if not recipient_code:
            raise InvalidArgument("recipient_code is required")
        read_register(self._identity(), recipient_code, "the documents arriving")
        loop = asyncio.get_running_loop()
        arrived: asyncio.Queue[str] = asyncio.Queue()

        def notify(incoming_id: str) -> None:
            loop.call_soon_threadsafe(arrived.put_nowait, incoming_id)

        stop = self._registers.watch(recipient_code, notify)
        try:
            seen: set[str] = set()
            if include_waiting:
                for row in await asyncio.to_thread(self._registers.waiting, recipient_code):
                    seen.add(row.id)
                    yield await self._revealed_incoming(row)
            while True:
                incoming_id = await arrived.get()
                found = await asyncio.to_thread(self._registers.incoming_by_id, incoming_id)
                if found is not None and incoming_id not in seen:
                    seen.add(incoming_id)
                    yield await self._revealed_incoming(found)
        finally:
            stop()

    def today(self) -> date:
        """Today in Vietnam, for deadlines."""
        return vietnam_date(self._clock())

    async def _incoming_change(
        self, action: str, change: Callable[..., object], incoming_id: UUID, **arguments: Any
    ) -> IncomingRow:
        copy: IncomingDocument = await asyncio.to_thread(self._app.incoming, incoming_id)
        act_for(self._identity(), copy.recipient_code, f"{action} documents arriving")
        await asyncio.to_thread(change, incoming_id, **arguments)
        await self._follower.caught_up()
        row = await asyncio.to_thread(self._registers.incoming_by_id, str(incoming_id))
        if row is None:  # pragma: no cover - the follower has just applied it
            raise NotFound(f"no incoming document has id {incoming_id}")
        return await self._revealed_incoming(row)

    async def outgoing(self, document_id: UUID) -> OutgoingRow:
        """An outgoing document, for its sender, its recipients and auditors (a confidential one in clear
        for its parties only)."""
        row = await self._outgoing_row(document_id)
        see_document(self._identity(), _parties(row), f"document {document_id}", as_auditor=True)
        return await self._revealed_outgoing(row, await self._caller_envelope(row.sealed, row.id))

    async def _sender_note(self, document: OutgoingDocument, note: str) -> str:
        """A comment or reason on a confidential document, sealed; any other as it is."""
        envelope = await self._sender_envelope(document)
        return envelope.seal_note(note) if envelope else note

    async def _sender_envelope(self, document: OutgoingDocument) -> OpenEnvelope | None:
        """A confidential document's envelope opened with its sender's key (the caller acts for the sender)."""
        if not document.sealed:
            return None
        return await self._vault.open(document.sealed, document.id, document.sender_code, current_actor())

    async def _caller_envelope(self, sealed: str, document_id: str) -> OpenEnvelope | None:
        """A confidential document's envelope opened with the key wrapped for the caller's agency."""
        if not sealed:
            return None
        agency_code = self._identity().agency_code
        return await self._vault.open(json.loads(sealed), UUID(document_id), agency_code, current_actor())

    @staticmethod
    async def _revealed_outgoing(row: OutgoingRow, envelope: OpenEnvelope | None) -> OutgoingRow:
        """The row with the subject and file names in clear, when it is confidential and opened."""
        if envelope is None:
            return row
        text = envelope.open_text(json.loads(row.sealed)["text"])
        files = [
            {**described, "name": name}
            for described, name in zip(json.loads(row.attachments), text["attachments"], strict=True)
        ]
        return replace(row, subject=text["subject"], attachments=json.dumps(files, ensure_ascii=False))

    async def _revealed_incoming(self, row: IncomingRow) -> IncomingRow:
        """A copy with its subject in clear for its recipient, when it is confidential."""
        envelope = await self._caller_envelope(row.sealed, row.outgoing_id)
        if envelope is None:
            return row
        return replace(row, subject=envelope.open_text(json.loads(row.sealed)["text"])["subject"])

    async def _outgoing_row(self, document_id: UUID) -> OutgoingRow:
        row = await asyncio.to_thread(self._registers.outgoing_by_id, str(document_id))
        if row is None:
            raise NotFound(f"no outgoing document has id {document_id}")
        return row

    async def outgoing_of(self, sender_code: str) -> list[OutgoingRow]:
        read_register(self._identity(), sender_code, "the outgoing register")
        rows = await asyncio.to_thread(self._registers.outgoing_of, sender_code)
        return [await self._revealed_outgoing(row, await self._caller_envelope(row.sealed, row.id)) for row in rows]

    async def incoming_of(self, recipient_code: str) -> list[IncomingRow]:
        read_register(self._identity(), recipient_code, "the incoming register")
        rows = await asyncio.to_thread(self._registers.incoming_of, recipient_code)
        return [await self._revealed_incoming(row) for row in rows]

    async def attachment(self, document_id: UUID, sha256: str) -> tuple[dict[str, Any], bytes]:
        """A file of an outgoing document, or of the document an incoming copy is a copy of."""
        copy = await asyncio.to_thread(self._registers.incoming_by_id, str(document_id))
        row = await self._outgoing_row(UUID(copy.outgoing_id) if copy else document_id)
        see_document(self._identity(), _parties(row), f"document {row.id}", as_auditor=True)
        envelope = await self._caller_envelope(row.sealed, row.id)
        row = await self._revealed_outgoing(row, envelope)
        for index, attachment in enumerate(json.loads(row.attachments)):
            if attachment["sha256"] == sha256:
                content = await self._vault.get(envelope, f"attachment/{index}", sha256)
                # named by its hash alone: the name of a confidential document's attachment is sealed
                await self.log_read(document_id, f"attachment {sha256}")
                return attachment, content
        raise NotFound(f"document {document_id} has no attachment with SHA-256 {sha256}")

    async def content(self, document_id: UUID) -> tuple[bytes, str]:
        row = await self._outgoing_row(document_id)
        see_document(self._identity(), _parties(row), f"document {document_id}", as_auditor=True)
        if not row.content_sha256:
            raise FailedPrecondition(f"document {document_id} has no PDF yet: it is rendered at registration")
        envelope = await self._caller_envelope(row.sealed, row.id)
        content = await self._vault.get(envelope, "content", row.content_sha256)
        await self.log_read(document_id, f"content ({row.content_sha256})")
        return content, row.content_sha256

    async def log_read(self, document_id: UUID, what: str) -> None:
        """Record in the document's access log that the caller read `what` of it (under the id they named)."""
        await asyncio.to_thread(self._access.read, str(document_id), what)

    async def history(self, document_id: UUID) -> list[EventRecord]:
        """Every event of a document: an outgoing one (with its copies) for its sender, one copy for its
        recipient and the sender; auditors see any that is not confidential."""
        parties = await asyncio.to_thread(self._history_parties, document_id)
        see_document(self._identity(), parties, f"the history of document {document_id}", as_auditor=True)
        records = await asyncio.to_thread(self._app.history, document_id)
        sealed = next((r for r in records if r.event in ("Drafted", "Arrived") and r.data.get("sealed")), None)
        if sealed is None:
            return records
        # A party reads the comments and reasons of a confidential document's history in clear, with the key
        # wrapped for its agency (the register's record holds the sender's and every recipient's).
        row = await self._outgoing_row(
            UUID(sealed.aggregate_id if sealed.event == "Drafted" else sealed.data["outgoing_id"])
        )
        envelope = await self._caller_envelope(row.sealed, row.id)
        assert envelope is not None  # a sealed event belongs to a sealed document
        return [replace(r, data={k: envelope.open_note(v) for k, v in r.data.items()}) for r in records]

    def authorise_audit(self, aggregate_id: UUID) -> None:
        """Who reads an aggregate through the audit API: for a document, whoever may read its history (its
        parties; auditors unless it is confidential); for anything else (records, number series), auditors."""
        identity = self._identity()
        try:
            parties = self._history_parties(aggregate_id)
        except NotFound:
            if identity.role is not Role.AUDITOR:
                raise PermissionDenied(
                    f"{identity} may not read the audit log of {aggregate_id}; auditors do"
                ) from None
            return
        see_document(identity, parties, f"the history of document {aggregate_id}", as_auditor=True)

    def _history_parties(self, document_id: UUID) -> DocumentParties:
        """The document's parties from the registers (their sender, recipient and confidentiality never
        change), or from its aggregates when the registers have not caught up with it yet."""
        registered = self._registers.outgoing_by_id(str(document_id))
        if registered is not None:
            return DocumentParties.of(registered.sender_code, (), registered.confidentiality)
        arrived = self._registers.incoming_by_id(str(document_id))
        if arrived is not None and (origin := self._registers.outgoing_by_id(arrived.outgoing_id)) is not None:
            return DocumentParties.of(origin.sender_code, (arrived.recipient_code,), origin.confidentiality)
        try:
            document = self._app.outgoing(document_id)
            return DocumentParties.of(document.sender_code, (), document.confidentiality)
        except NotFound:
            copy = self._app.incoming(document_id)
            sent = self._app.outgoing(copy.outgoing_id)
            return DocumentParties.of(sent.sender_code, (copy.recipient_code,), sent.confidentiality)

    async def check_recipients(self, recipient_codes: list[str]) -> None:
        """Refuse, before anything is recorded, recipients that cannot receive (or none at all)."""
        if not recipient_codes:
            raise InvalidArgument("at least one recipient identifier code is required")
        for code in dict.fromkeys(recipient_codes):
            await self._recipient(code)

    async def _recipient(self, code: str) -> str:
        """The code that receives for `code`: itself, or the successor of a merged or moved agency when the
        routing policy allows; otherwise FAILED_PRECONDITION saying where documents now go."""
        if not code:
            raise InvalidArgument("a recipient identifier code is empty")
        agency, path = await self._directory.resolve(code)
        if len(path) > 1 and not self._route_to_successor:
            raise FailedPrecondition(
                f"agency {code} was reorganised: its documents now go to {agency.code} ({agency.name}); "
                f"address {agency.code}"
            )
        return agency.code

    async def _active_agency(self, code: str, *, role: str) -> AgencyInfo:
        if not code:
            raise InvalidArgument(f"the {role}'s identifier code is required")
        agency = await self._directory.get(code)
        if not agency.active:
            raise FailedPrecondition(f"{role} agency {code} is {agency.state} and cannot exchange documents")
        return agency

    async def _outgoing_after_change(self, document_id: UUID) -> OutgoingRow:
        await self._follower.caught_up()
        row = await self._outgoing_row(document_id)
        return await self._revealed_outgoing(row, await self._caller_envelope(row.sealed, row.id))


def _parties(row: OutgoingRow) -> DocumentParties:
    return DocumentParties.of(row.sender_code, [r.recipient_code for r in row.recipients], row.confidentiality)
