"""The documents application: use cases on the event-sourced aggregates, with everything they need passed in."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from lienthong.documents.domain.attachments import AttachmentRecord, BusinessType
from lienthong.documents.domain.doctypes import DocumentType
from lienthong.documents.domain.incoming import IncomingDocument, id_of_incoming
from lienthong.documents.domain.numbering import document_code, notation, series_key
from lienthong.documents.domain.outgoing import SEAL_B_LT, Confidentiality, OutgoingDocument, Urgency
from lienthong.documents.domain.series import NumberSeries, id_of_series
from lienthong.documents.domain.status import StatusCode
from lienthong.errors import AlreadyExists, Conflict, InvalidArgument, NotFound
from lienthong.eventstore import EventRecord, StoredApplication, aggregate_histories, aggregate_history, reading
from lienthong.vietnamese.calendar import vietnam_date

T = TypeVar("T")
A = TypeVar("A")

# Clerks registering in the same agency at the same instant collide on the number series; the loser
# takes the next number. More collisions than this in a row means something is wrong.
_ATTEMPTS = 30


class DocumentsApp(StoredApplication):
    """Outgoing and incoming documents and their registers."""

    name = "Documents"
    # A year's series takes thousands of numbers; a snapshot every 100 keeps loading it cheap.
    snapshotting_intervals = {NumberSeries: 100}  # noqa: RUF012 - the eventsourcing library's class attribute
    # A document is read at each step of its first minutes (create, register, sign, send) and a series at
    # every number it gives: cached, each is read forward from the version held (only newer events, from
    # whichever replica) instead of from its snapshot or its first event.
    env = {"AGGREGATE_CACHE_MAXSIZE": "5000"}  # noqa: RUF012 - the eventsourcing library's class attribute

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        # Registrations in one series take turns inside a process; replicas still race, and the event
        # store's version check plus a retry settles that.
        self._series_locks: dict[str, threading.Lock] = {}
        self._series_locks_guard = threading.Lock()

    def _series_lock(self, key: str) -> threading.Lock:
        with self._series_locks_guard:
            return self._series_locks.setdefault(key, threading.Lock())

    def create_outgoing(
        self,
        *,
        sender_code: str,
        doc_type: DocumentType,
        subject: str,
        urgency: Urgency,
        confidentiality: Confidentiality,
        content_sha256: str,
        attachments: list[AttachmentRecord] | None = None,
        business_type: BusinessType = BusinessType.NEW,
        relates_to: UUID | None = None,
        sealed: dict[str, Any] | None = None,
        document_id: UUID | None = None,
    ) -> OutgoingDocument:
        document = OutgoingDocument.draft(
            sender_code=sender_code,
            doc_type=doc_type.name,
            subject=subject,
            urgency=urgency,
            confidentiality=confidentiality,
            content_sha256=content_sha256,
            attachments=attachments,
            business_type=business_type,
            relates_to=self.outgoing(relates_to) if relates_to else None,
            sealed=sealed,
            document_id=document_id,
        )
        self.save(document)
        return document

    def register_outgoing(
        self,
        document_id: UUID,
        *,
        agency_short_name: str,
        issued_at: datetime,
        content_for: Callable[[OutgoingDocument, str], str],
    ) -> OutgoingDocument:
        """Number the draft in its agency's series for the year; `content_for(document, code)` returns the
        SHA-256 of the PDF that carries the code (the draft's own, or one rendered for it)."""

        def attempt() -> OutgoingDocument:
            document = self.outgoing(document_id)
            doc_type = DocumentType[document.doc_type]
            key = series_key(document.sender_code, vietnam_date(issued_at).year, None)
            with self._series_lock(key):
                return numbered(document, doc_type, self._series(key))

        def numbered(document: OutgoingDocument, doc_type: DocumentType, series: NumberSeries) -> OutgoingDocument:
            document.check_registrable()
            number = series.take()
            note = notation(doc_type, agency_short_name)
            code = document_code(number, note)
            sha = content_for(document, code)
            document.register(number=number, notation=note, code=code, issued_at=issued_at, content_sha256=sha)
            self.save(document, series)
            return document

        return _retrying(attempt)

    def submit_outgoing(self, document_id: UUID, *, by: str, at: datetime) -> OutgoingDocument:
        return self._on_outgoing(document_id, lambda document: document.submit(by=by, at=at))

    def approve_outgoing(self, document_id: UUID, *, by: str, comment: str, at: datetime) -> OutgoingDocument:
        return self._on_outgoing(document_id, lambda document: document.approve(by=by, comment=comment, at=at))

    def return_outgoing(self, document_id: UUID, *, by: str, comments: str, at: datetime) -> OutgoingDocument:
        return self._on_outgoing(
            document_id, lambda document: document.return_with_comments(by=by, comments=comments, at=at)
        )

    def _on_outgoing(self, document_id: UUID, change: Callable[[OutgoingDocument], None]) -> OutgoingDocument:
        document = self.outgoing(document_id)
        change(document)
        self.save(document)
        return document

    def sign_outgoing(
        self,
        document_id: UUID,
        *,
        content_sha256: str,
        certificate_serial: str,
        signed_at: datetime,
        policy: str = "",
        level: str = SEAL_B_LT,
    ) -> OutgoingDocument:
        document = self.outgoing(document_id)
        document.sign(
            content_sha256=content_sha256,
            certificate_serial=certificate_serial,
            signed_at=signed_at,
            policy=policy,
            level=level,
        )
        self.save(document)
        return document

    def extend_outgoing_to_long_term(
        self, document_id: UUID, *, content_sha256: str, based_on: str, at: datetime
    ) -> OutgoingDocument:
        """Record the seal made long-term (B-LT); a concurrent change of the document (it was sent meanwhile,
        a recipient answered) is read again and the step applied on top."""

        def attempt() -> OutgoingDocument:
            return self._on_outgoing(
                document_id,
                lambda document: document.extend_to_long_term(content_sha256=content_sha256, based_on=based_on, at=at),
            )

        return _retrying(attempt)

    def sign_as_leader(
        self,
        document_id: UUID,
        *,
        content_sha256: str,
        certificate_serial: str,
        position: str,
        by: str,
        signed_at: datetime,
    ) -> OutgoingDocument:
        return self._on_outgoing(
            document_id,
            lambda document: document.sign_as_leader(
                content_sha256=content_sha256,
                certificate_serial=certificate_serial,
                position=position,
                by=by,
                signed_at=signed_at,
            ),
        )

    def send_outgoing(
        self,
        document_id: UUID,
        *,
        routes: dict[str, str],
        sent_at: datetime,
        wrapped_keys: dict[str, str] | None = None,
    ) -> OutgoingDocument:
        """Send to every recipient: the outgoing document and one arrived copy per recipient, in one transaction.

        `routes` maps each code the sender addressed to the code that receives for it (itself, or the
        successor of a reorganised agency); two addressed codes with one successor make one copy. A
        confidential document's copy carries its sealed text and the data key wrapped for its recipient.
        A concurrent change of the document (its seal made long-term meanwhile) is read again and sent on top.
        """
        return _retrying(lambda: self._send(document_id, routes, sent_at, wrapped_keys))

    def _send(
        self, document_id: UUID, routes: dict[str, str], sent_at: datetime, wrapped_keys: dict[str, str] | None
    ) -> OutgoingDocument:
        document = self.outgoing(document_id)
        codes = list(dict.fromkeys(routes.values()))
        document.send(
            recipients={code: str(id_of_incoming(document.id, code)) for code in codes},
            addressed={addressed: code for addressed, code in routes.items() if addressed != code},
            sent_at=sent_at,
            wrapped_keys=wrapped_keys,
        )
        copies = [
            IncomingDocument(
                outgoing_id=document.id,
                sender_code=document.sender_code,
                recipient_code=code,
                doc_type=document.doc_type,
                subject=document.subject,
                code=document.code,
                urgency=document.urgency,
                arrived_at=sent_at,
                business_type=document.business_type,
                relates_to_code=document.relates_to_code,
                sealed={**document.sealed, "keys": {code: document.sealed["keys"][code]}} if document.sealed else None,
            )
            for code in codes
        ]
        self.save(document, *copies)
        return document

    def accept_incoming(self, incoming_id: UUID, *, accepted_at: datetime) -> IncomingDocument:
        """Accept an arrived copy with the next arrival number of its recipient's year, and tell the sender."""

        def attempt() -> IncomingDocument:
            incoming = self.incoming(incoming_id)
            key = f"arrival:{incoming.recipient_code}:{vietnam_date(accepted_at).year}"
            with self._series_lock(key):
                return accepted(incoming, self._series(key))

        def accepted(incoming: IncomingDocument, series: NumberSeries) -> IncomingDocument:
            incoming.check_acceptable()
            incoming.accept(arrival_number=series.take(), accepted_at=accepted_at)
            self.save(incoming, series, *self._sender_told(incoming, incoming.status.value, accepted_at))
            return incoming

        return _retrying(attempt)

    def refuse_incoming(self, incoming_id: UUID, *, reason: str, at: datetime) -> IncomingDocument:
        """Return an arrived document to its sender with the reason (02)."""
        return self._on_incoming(incoming_id, lambda copy: copy.refuse(reason=reason, at=at), at)

    def assign_incoming(
        self, incoming_id: UUID, *, assignee: str, due_on: date | None, at: datetime
    ) -> IncomingDocument:
        """Hand an accepted document to a unit or officer with its deadline (04)."""
        return self._on_incoming(incoming_id, lambda copy: copy.assign(assignee=assignee, due_on=due_on, at=at), at)

    def start_incoming(self, incoming_id: UUID, *, at: datetime) -> IncomingDocument:
        """Processing has begun (05)."""
        return self._on_incoming(incoming_id, lambda copy: copy.start(at=at), at)

    def complete_incoming(self, incoming_id: UUID, *, at: datetime) -> IncomingDocument:
        """Processing is done (06)."""
        return self._on_incoming(incoming_id, lambda copy: copy.complete(at=at), at)

    def request_recall(self, document_id: UUID, *, recipient_codes: list[str], reason: str, at: datetime) -> None:
        """The sender asks its recipients (all when none are named) for their copies back (13); a
        concurrent change of the document (its seal made long-term, a recipient's answer) is read again."""

        def attempt() -> None:
            document = self.outgoing(document_id)
            document.check_recallable()
            codes = recipient_codes or sorted(document.recipients)
            copies = []
            for code in codes:
                if code not in document.recipients:
                    raise InvalidArgument(f"{code} is not a recipient of document {document.code}")
                copy = self.incoming(UUID(document.recipients[code]))
                copy.request_recall(reason=reason, at=at)
                document.record_status(recipient_code=code, status=copy.status.value, at=at)
                copies.append(copy)
            self.save(document, *copies)

        _retrying(attempt)

    def answer_recall(self, incoming_id: UUID, *, give_back: bool, at: datetime) -> IncomingDocument:
        """The recipient gives its copy back (15) or keeps it (16, shown to the sender)."""

        def answer(copy: IncomingDocument) -> str:
            copy.answer_recall(give_back=give_back, at=at)
            return StatusCode.RECALLED.value if give_back else StatusCode.RECALL_REFUSED.value

        return self._on_incoming(incoming_id, answer, at)

    def _on_incoming(
        self, incoming_id: UUID, change: Callable[[IncomingDocument], object], at: datetime
    ) -> IncomingDocument:
        """Apply `change` to a copy and tell the sender the status it returns (or the copy's new one); a
        concurrent change of the sender's document (its seal made long-term) is read again."""

        def attempt() -> IncomingDocument:
            copy = self.incoming(incoming_id)
            reported = change(copy)
            status = reported if isinstance(reported, str) else copy.status.value
            self.save(copy, *self._sender_told(copy, status, at))
            return copy

        return _retrying(attempt)

    def _sender_told(self, copy: IncomingDocument, status: str, at: datetime) -> list[OutgoingDocument]:
        """The outgoing document with the copy's new status; none for a copy imported from edXML, whose
        sender (in another system) learns it from an exported status message."""
        if copy.imported:
            return []
        outgoing = self.outgoing(copy.outgoing_id)
        outgoing.record_status(recipient_code=copy.recipient_code, status=status, at=at)
        return [outgoing]

    def import_incoming(self, copies: list[IncomingDocument]) -> None:
        """Save the copies of an imported edXML document in one transaction; ALREADY_EXISTS when it was."""
        try:
            self.save(*copies)
        except IntegrityError:
            raise AlreadyExists(
                f"document {copies[0].edxml_document_id} was imported already for {copies[0].recipient_code}"
            ) from None

    def record_recipient_status(self, document_id: UUID, *, recipient_code: str, status: str, at: datetime) -> None:
        """A status a recipient in another system reported by edXML, for the sender's tracking; the same
        message imported again (a gateway's redelivery) records nothing; a concurrent change of the document
        (its seal made long-term) is read again."""

        def attempt() -> None:
            document = self.outgoing(document_id)
            if document.recipient_status.get(recipient_code) == (status, at):
                return
            document.record_status(recipient_code=recipient_code, status=status, at=at)
            self.save(document)

        _retrying(attempt)

    def outgoing(self, document_id: UUID) -> OutgoingDocument:
        return self._get(document_id, OutgoingDocument, "outgoing document")

    def incoming(self, incoming_id: UUID) -> IncomingDocument:
        return self._get(incoming_id, IncomingDocument, "incoming document")

    def history(self, document_id: UUID) -> list[EventRecord]:
        """Every event of a document in order: an outgoing document with all its incoming copies, or one copy.

        Two SELECTs on one connection (two round trips): the document's events, then its copies' events
        (the copies its last `Sent` named).
        """
        with reading(self) as connection:
            records = aggregate_history(self, document_id, connection)
            if not records:
                raise NotFound(f"no document has id {document_id}")
            if records[0].aggregate == OutgoingDocument.__name__:
                sent = [record for record in records if record.event == "Sent"]
                copies = [UUID(r["incoming_id"]) for r in sent[-1].data["recipients"]] if sent else []
                for copy_history in aggregate_histories(self, copies, connection).values():
                    records += copy_history
            elif records[0].aggregate != IncomingDocument.__name__:
                raise NotFound(f"no document has id {document_id}")
        return sorted(records, key=lambda r: (r.occurred_at, r.aggregate_id, r.version))

    def _series(self, key: str) -> NumberSeries:
        try:
            series: NumberSeries = self.repository.get(id_of_series(key))
        except AggregateNotFoundError:
            series = NumberSeries(key)
        return series

    def _get(self, aggregate_id: UUID, kind: type[A], label: str) -> A:
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"no {label} has id {aggregate_id}") from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"no {label} has id {aggregate_id}")
        return aggregate


def _retrying(attempt: Callable[[], T]) -> T:
    """Run `attempt`, again after a short random pause each time a concurrent save won the race."""
    for round_ in range(_ATTEMPTS):
        try:
            return attempt()
        except IntegrityError as error:
            if round_ == _ATTEMPTS - 1:
                raise Conflict("the register changed concurrently too often; try again") from error
            time.sleep(random.uniform(0, 0.005 * (round_ + 1)))
    raise AssertionError("unreachable")
