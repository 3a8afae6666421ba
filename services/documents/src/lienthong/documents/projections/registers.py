"""The registers (sổ văn bản đi / đến) as SQL tables, fed by the documents service's own events."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC as _UTC
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Index,
    MetaData,
    String,
    Table,
    Text,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from lienthong.consumer import SqlProjection, UtcDateTime, data_of, utc, utc_row
from lienthong.consumer.rows import RowCache
from lienthong.documents.domain.outgoing import SEAL_B_LT, SEAL_B_T
from lienthong.events.v1 import events_pb2
from lienthong.vietnamese import fold


@dataclass(frozen=True)
class RecipientRow:
    recipient_code: str
    incoming_id: str
    status: str
    updated_at: datetime


@dataclass(frozen=True)
class OutgoingRow:
    id: str
    sender_code: str
    doc_type: str
    subject: str
    code: str
    urgency: str
    confidentiality: str
    state: str
    number: int
    notation: str
    issued_at: datetime | None
    content_sha256: str
    certificate_serial: str
    created_at: datetime
    attachments: str  # JSON list of {name, content_type, kind, sha256, size}
    business_type: str
    relates_to: str
    recipients: tuple[RecipientRow, ...]
    approved_by: str = ""  # the leader who approved it, when it went through approval
    seal_policy: str = ""  # the signing policy that let the seal sign it unattended at registration
    leader_certificate_serial: str = ""  # the leader's personal certificate that signed before the seal
    leader_position: str = ""
    sealed: str = (
        ""  # a confidential document's sealed record (JSON; lienthong.documents.application.envelope), else ""
    )
    seal_level: str = ""  # the seal's PAdES level, B-T until made long-term, then B-LT; "" before the seal


@dataclass(frozen=True)
class IncomingRow:
    id: str
    recipient_code: str
    outgoing_id: str
    sender_code: str
    doc_type: str
    subject: str
    code: str
    urgency: str
    status: str
    arrival_number: int
    arrived_at: datetime
    accepted_at: datetime | None
    assignee: str
    due_on: str
    status_before_recall: str
    business_type: str
    relates_to_code: str
    sealed: str = ""  # a confidential copy's sealed record (JSON), with the key wrapped for its recipient

    def overdue(self, today: date) -> bool:
        """Past its deadline (a Vietnamese calendar day) and not done."""
        return bool(self.due_on) and today > date.fromisoformat(self.due_on) and self.status != "06"


@dataclass(frozen=True)
class DocumentSearch:
    """What a search asks: the agency, words of the subject, filters, and the page. Empty filters match all."""

    agency_code: str
    query: str = ""
    code: str = ""
    doc_type: str = ""
    outgoing: bool | None = None
    from_at: datetime | None = None  # inclusive, UTC
    to_at: datetime | None = None  # exclusive, UTC
    limit: int = 50
    offset: int = 0
    number: int = 0  # số, as registered by the sender
    notation: str = ""  # ký hiệu, e.g. "BC-STTTT"
    urgency: str = ""  # Urgency name, e.g. "HOA_TOC"
    status: str = ""  # edXML status: of an incoming copy, or of any recipient of an outgoing document
    state: str = ""  # OutgoingState value, e.g. "sent": outgoing documents only
    sender_code: str = ""  # incoming copies from this agency (outgoing ones when it is the agency itself)
    recipient_code: str = ""  # outgoing documents sent to this agency (incoming ones when it is the agency)
    signer: str = ""  # serial (hex) of the seal or leader certificate, or the leader who approved (`leader@<code>`)


@dataclass(frozen=True)
class DocumentHitRow:
    id: str
    outgoing: bool
    code: str
    doc_type: str
    subject: str
    sender_code: str
    at: datetime
    urgency: str = "NORMAL"
    status: str = ""  # an incoming copy's edXML status
    state: str = ""  # an outgoing document's state


log = logging.getLogger(__name__)

_NOT_REGISTERED = ("draft", "submitted", "returned", "approved")


class Registers(SqlProjection):
    """Outgoing documents with their recipients' statuses, and incoming documents per recipient."""

    name = "documents_registers"
    remembers = True  # the watchers of arrivals: told of the copies other replicas applied, too

    def __init__(self, engine: Engine) -> None:
        self._arrivals: list[tuple[str, str]] = []  # (recipient, incoming id) applied, not yet committed
        self._watchers: dict[str, list[Callable[[str], None]]] = {}
        self._watchers_lock = threading.Lock()
        super().__init__(engine)
        # Tables made before an index was declared get it too: a search by code must not scan the register.
        for table in (self.outgoing, self.incoming):
            for index in table.indexes:
                index.create(engine, checkfirst=True)
        with engine.begin() as connection:  # their prefixes, which the indexes above serve as well
            for superseded in ("documents_outgoing_sender_issued", "documents_incoming_recipient_arrived"):
                connection.execute(text(f"DROP INDEX IF EXISTS {superseded}"))
        _word_indexes(engine, {self.outgoing.name: "sender_code", self.incoming.name: "recipient_code"})

    def watch(self, recipient_code: str, callback: Callable[[str], None]) -> Callable[[], None]:
        """Call `callback(incoming_id)` (from a worker thread) for every copy that arrives at the agency
        from now on, once its row is committed; return the function that stops the watch."""
        with self._watchers_lock:
            self._watchers.setdefault(recipient_code, []).append(callback)

        def stop() -> None:
            with self._watchers_lock:
                self._watchers.get(recipient_code, []).remove(callback)

        return stop

    def applied_elsewhere(self, events: Sequence[tuple[int, events_pb2.EventEnvelope]]) -> None:
        self._arrivals.extend(
            (data_of(envelope)["recipient_code"], envelope.aggregate_id)
            for _, envelope in events
            if (envelope.aggregate, envelope.event) == ("IncomingDocument", "Arrived")
        )
        self.after_commit()

    def after_commit(self) -> None:
        arrivals, self._arrivals = self._arrivals, []
        for recipient_code, incoming_id in arrivals:
            with self._watchers_lock:
                callbacks = list(self._watchers.get(recipient_code, ()))
            for callback in callbacks:
                callback(incoming_id)

    def define_tables(self, metadata: MetaData) -> None:
        self.outgoing = Table(
            "documents_outgoing",
            metadata,
            Column("id", String(36), primary_key=True),
            Column("sender_code", String(13), nullable=False, index=True),
            Column("doc_type", String(40), nullable=False),
            Column("subject", Text, nullable=False),
            Column("subject_folded", Text, nullable=False),
            Column("code", String(42), nullable=False, default="", index=True),
            Column("urgency", String(20), nullable=False),
            Column("confidentiality", String(20), nullable=False),
            Column("state", String(20), nullable=False),
            Column("number", BigInteger, nullable=False, default=0),
            Column("notation", String(30), nullable=False, default=""),
            Column("issued_at", UtcDateTime()),
            Column("content_sha256", String(64), nullable=False),
            Column("certificate_serial", String(80), nullable=False, default=""),
            Column("created_at", UtcDateTime(), nullable=False),
            Column("attachments", Text, nullable=False, default="[]"),
            Column("business_type", String(10), nullable=False, default="NEW"),
            Column("relates_to", String(36), nullable=False, default=""),
            Column("approved_by", String(80), nullable=False, default=""),
            Column("seal_policy", String(200), nullable=False, default=""),
            # The seal's PAdES level: "B-T" while its validation data is still to be added (longterm.py).
            Column("seal_level", String(5), nullable=False, default=""),
            Column("leader_certificate_serial", String(80), nullable=False, default=""),
            Column("leader_position", String(200), nullable=False, default=""),
            Column("sealed", Text, nullable=False, default=""),
            # An agency's register newest first (ties by id, as pages are cut), a page at a time, without
            # sorting all of it; a search for common words stops at the page's end.
            Index("documents_outgoing_sender_issued_id", "sender_code", "issued_at", "id"),
            # The few seals waiting to be made long-term, found without scanning the register.
            Index("documents_outgoing_seal_level", "seal_level"),
        )
        self.recipients = Table(
            "documents_outgoing_recipients",
            metadata,
            Column("outgoing_id", String(36), primary_key=True),
            Column("recipient_code", String(13), primary_key=True),
            Column("incoming_id", String(36), nullable=False),
            Column("status", String(2), nullable=False),
            Column("updated_at", UtcDateTime(), nullable=False),
        )
        self.incoming = Table(
            "documents_incoming",
            metadata,
            Column("id", String(36), primary_key=True),
            Column("recipient_code", String(13), nullable=False, index=True),
            Column("outgoing_id", String(36), nullable=False),
            Column("sender_code", String(13), nullable=False),
            Column("doc_type", String(40), nullable=False),
            Column("subject", Text, nullable=False),
            Column("subject_folded", Text, nullable=False),
            Column("code", String(42), nullable=False, index=True),
            Column("urgency", String(20), nullable=False),
            Column("status", String(2), nullable=False),
            Column("arrival_number", BigInteger, nullable=False, default=0),
            Column("arrived_at", UtcDateTime(), nullable=False),
            Column("accepted_at", UtcDateTime()),
            Column("assignee", Text, nullable=False, default=""),
            Column("due_on", String(10), nullable=False, default=""),
            Column("status_before_recall", String(2), nullable=False, default=""),
            Column("business_type", String(10), nullable=False, default="NEW"),
            Column("relates_to_code", String(42), nullable=False, default=""),
            Column("sealed", Text, nullable=False, default=""),
            Index("documents_incoming_recipient_arrived_id", "recipient_code", "arrived_at", "id"),
        )

    def apply(self, connection: Connection, envelope: events_pb2.EventEnvelope) -> None:
        self.apply_batch(connection, [(0, envelope)])

    def apply_batch(self, connection: Connection, events: Sequence[tuple[int, events_pb2.EventEnvelope]]) -> None:
        """The batch's rows read in one SELECT per table, changed in memory, written back set-based."""
        batch = _RegisterRows(self, connection)
        batch.preload([envelope for _, envelope in events])
        arrivals = []
        for _, envelope in events:
            arrival = batch.apply(envelope)
            if arrival:
                arrivals.append(arrival)
        batch.flush()
        self._arrivals.extend(arrivals)

    def outgoing_of(self, sender_code: str) -> list[OutgoingRow]:
        """An agency's outgoing documents, newest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(*self._columns(self.outgoing))
                .where(self.outgoing.c.sender_code == sender_code)
                .order_by(self.outgoing.c.created_at.desc())
            ).all()
            return [self._outgoing_row(connection, row._mapping) for row in rows]

    def outgoing_by_id(self, document_id: str) -> OutgoingRow | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(*self._columns(self.outgoing)).where(self.outgoing.c.id == document_id)
            ).first()
            return self._outgoing_row(connection, row._mapping) if row else None

    def incoming_of(self, recipient_code: str) -> list[IncomingRow]:
        """The documents at an agency, hỏa tốc first, then by urgency, then newest first; recalled copies
        have left the register."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(*self._columns(self.incoming))
                .where(self.incoming.c.recipient_code == recipient_code)
                .where(self.incoming.c.status != "15")
                .order_by(self._urgency_rank().desc(), self.incoming.c.arrived_at.desc())
            ).all()
        return [IncomingRow(**utc_row(row._mapping)) for row in rows]

    def incoming_by_id(self, incoming_id: str) -> IncomingRow | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(*self._columns(self.incoming)).where(self.incoming.c.id == incoming_id)
            ).first()
        return IncomingRow(**utc_row(row._mapping)) if row else None

    def _urgency_rank(self) -> Any:
        """0 for a normal document up to 3 for hỏa tốc (the edXML Priority)."""
        urgency = self.incoming.c.urgency
        return case({"KHAN": 1, "THUONG_KHAN": 2, "HOA_TOC": 3}, value=urgency, else_=0)

    @staticmethod
    def _columns(table: Table) -> list[Any]:
        """The columns a row dataclass holds (the folded subject is for search only)."""
        return [column for column in table.c if column.name != "subject_folded"]

    def waiting_for_long_term(self, limit: int) -> list[tuple[str, str]]:
        """(id, content SHA-256) of documents whose seal is at B-T, its validation data not yet added: the
        oldest registered first."""
        table = self.outgoing
        query = (
            select(table.c.id, table.c.content_sha256)
            .where(table.c.seal_level == SEAL_B_T)
            .order_by(table.c.issued_at, table.c.id)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            return [(row.id, row.content_sha256) for row in connection.execute(query)]

    def waiting(self, recipient_code: str) -> list[IncomingRow]:
        """Copies that arrived and wait to be accepted or refused (01): the most urgent first."""
        return [row for row in self.incoming_of(recipient_code) if row.status == "01"]

    def search(self, search: DocumentSearch) -> tuple[list[DocumentHitRow], bool]:
        """A page of the agency's registered outgoing documents and incoming copies, newest first.

        Each register is filtered, ordered and cut to the page on its own, then the two are merged: so each
        can be read newest first along its (agency, time, id) index and stop at the page's end when the
        words are common, or through its trigram index when they are rare, whichever its plan finds cheaper.
        (Filtered after a UNION, the registers were read whole: PostgreSQL does not push a LIMIT into it.)"""
        wanted = search.offset + search.limit + 1
        parts = []
        if search.outgoing is not False:
            parts.append(self._newest(self._outgoing_hits(search), search, wanted))
        if search.outgoing is not True:
            parts.append(self._newest(self._incoming_hits(search), search, wanted))
        union = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
        query = (
            select(*(column for column in union.c if column.name != "subject_folded"))
            .order_by(union.c.at.desc(), union.c.id.desc())
            .offset(search.offset)
            .limit(search.limit + 1)
        )
        with self.reading() as connection:
            rows = connection.execute(query).all()
        hits = [
            DocumentHitRow(
                r.id,
                bool(r.outgoing),
                r.code,
                r.doc_type,
                r.subject,
                r.sender_code,
                utc(r.at),
                r.urgency,
                r.status,
                r.state,
            )
            for r in rows[: search.limit]
        ]
        return hits, len(rows) > search.limit

    def _contains(self, folded: Any, word: str) -> Any:
        """`folded` holds `word`. On PostgreSQL a word of fewer than three letters has no trigram the index
        could look up: asked as LIKE, the trigram index is read whole (hundreds of ms at a million rows), so
        such a word is asked with strpos, which no index serves, and filters the rows the other conditions
        found (the agency's, newest first)."""
        if self.engine.dialect.name == "postgresql" and len(word) < 3:
            return func.strpos(folded, word) > 0
        return folded.contains(word, autoescape=True)

    def _newest(self, hits: Any, search: DocumentSearch, wanted: int) -> Any:
        """`hits` (one register's rows, its columns named as the page's) that pass the filters both registers
        judge alike, the `wanted` newest of them."""
        columns = hits.selected_columns
        folded, code, at = columns.subject_folded, columns.code, columns.at
        conditions = [self._contains(folded, word) for word in fold(search.query).split()]
        if search.code:
            conditions.append(code == search.code)
        if search.number:
            conditions.append(code.startswith(f"{search.number:02d}/", autoescape=True))
        if search.notation:
            conditions.append(code.endswith(f"/{search.notation}", autoescape=True))
        if search.doc_type:
            conditions.append(columns.doc_type == search.doc_type)
        if search.urgency:
            conditions.append(columns.urgency == search.urgency)
        if search.from_at:  # UtcDateTime columns turn the bounds to UTC, as the stored values are
            conditions.append(at >= search.from_at)
        if search.to_at:
            conditions.append(at < search.to_at)
        newest = hits.where(*conditions).order_by(at.desc(), columns.id.desc()).limit(wanted).subquery()
        return select(*newest.c)

    def _outgoing_hits(self, search: DocumentSearch) -> Any:
        """The agency's registered outgoing documents that pass the filters only outgoing ones can judge."""
        out, sent_to = self.outgoing, self.recipients
        query = select(
            out.c.id,
            literal(True).label("outgoing"),
            out.c.code,
            out.c.doc_type,
            out.c.subject,
            literal("").label("sender_code"),
            out.c.issued_at.label("at"),
            out.c.subject_folded,
            out.c.urgency,
            literal("").label("status"),
            out.c.state,
        ).where(out.c.sender_code == search.agency_code, out.c.state.not_in(_NOT_REGISTERED))
        if search.sender_code and search.sender_code != search.agency_code:
            query = query.where(false())
        if search.recipient_code:
            query = query.where(
                exists().where(sent_to.c.outgoing_id == out.c.id, sent_to.c.recipient_code == search.recipient_code)
            )
        if search.status:
            query = query.where(exists().where(sent_to.c.outgoing_id == out.c.id, sent_to.c.status == search.status))
        if search.state:
            query = query.where(out.c.state == search.state)
        if search.signer:
            query = query.where(self._signed_by(out, search.signer))
        return query

    def _incoming_hits(self, search: DocumentSearch) -> Any:
        """The agency's incoming copies still on its register that pass the filters only they can judge."""
        inc = self.incoming
        query = select(
            inc.c.id,
            literal(False).label("outgoing"),
            inc.c.code,
            inc.c.doc_type,
            inc.c.subject,
            inc.c.sender_code,
            inc.c.arrived_at.label("at"),
            inc.c.subject_folded,
            inc.c.urgency,
            inc.c.status,
            literal("").label("state"),
        ).where(inc.c.recipient_code == search.agency_code, inc.c.status != "15")
        if search.sender_code:
            query = query.where(inc.c.sender_code == search.sender_code)
        if search.recipient_code and search.recipient_code != search.agency_code:
            query = query.where(false())
        if search.status:
            query = query.where(inc.c.status == search.status)
        if search.state:
            query = query.where(false())  # a state belongs to outgoing documents
        if search.signer:
            signed = select(self.outgoing.c.id).where(self._signed_by(self.outgoing, search.signer))
            query = query.where(inc.c.outgoing_id.in_(signed))
        return query

    @staticmethod
    def _signed_by(out: Table, signer: str) -> Any:
        return or_(
            out.c.certificate_serial == signer.lower(),
            out.c.leader_certificate_serial == signer.lower(),
            out.c.approved_by == signer,
        )

    def _outgoing_row(self, connection: Connection, mapping: Any) -> OutgoingRow:
        recipients = connection.execute(
            select(self.recipients)
            .where(self.recipients.c.outgoing_id == mapping["id"])
            .order_by(self.recipients.c.recipient_code)
        ).all()
        listed = tuple(
            RecipientRow(
                recipient_code=r.recipient_code,
                incoming_id=r.incoming_id,
                status=r.status,
                updated_at=utc(r.updated_at),
            )
            for r in recipients
        )
        return OutgoingRow(**utc_row(mapping), recipients=listed)


def _word_indexes(engine: Engine, agency_columns: dict[str, str]) -> None:
    """On PostgreSQL, an index per register (table: its agency's column) that finds an agency's rows holding
    a word: GIN over the agency code (btree_gin) and the folded subject's trigrams (pg_trgm), so a search
    for `subject_folded LIKE '%word%'` reads only that agency's matching entries, not every document of the
    province that holds the word. Without btree_gin, a trigram index on the subject alone (the index of
    earlier versions); without pg_trgm (not installed, or the user may not create it) searches still work,
    walking the agency's register newest first."""
    if engine.dialect.name != "postgresql":
        return
    if not _extension(engine, "pg_trgm"):
        log.warning("no pg_trgm: searches for words walk the agency's register")
        return
    by_agency = _extension(engine, "btree_gin")
    if not by_agency:
        log.warning("no btree_gin: searches for words use a trigram index over every agency's documents")
    try:
        with engine.begin() as connection:
            for table, agency in agency_columns.items():
                name, columns = (
                    (f"{table}_agency_words", f"{agency}, subject_folded gin_trgm_ops")
                    if by_agency
                    else (f"{table}_subject_trgm", "subject_folded gin_trgm_ops")
                )
                connection.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({columns})"))
                if by_agency:
                    connection.execute(text(f"DROP INDEX IF EXISTS {table}_subject_trgm"))  # superseded
    except (ProgrammingError, IntegrityError, OperationalError) as error:  # a replica beside us made it, or no right
        log.warning("no word index on the registers' subjects (searches for words walk them): %s", error.orig)


def _extension(engine: Engine, name: str) -> bool:
    """Whether the database has the extension `name`, creating it if it may (a replica may create it at the
    same moment: then it is there all the same)."""
    present = text("SELECT 1 FROM pg_extension WHERE extname = :name")
    with engine.connect() as connection:
        if connection.execute(present, {"name": name}).first() is not None:
            return True
    try:
        with engine.begin() as connection:
            connection.execute(text(f"CREATE EXTENSION IF NOT EXISTS {name}"))
        return True
    except (ProgrammingError, IntegrityError, OperationalError) as error:
        with engine.connect() as connection:
            if connection.execute(present, {"name": name}).first() is not None:
                return True
        log.warning("cannot create the extension %s: %s", name, error.orig)
        return False


def _json_or_empty(value: dict[str, Any] | None) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""


def _utc(iso: str) -> datetime:
    # SQLite keeps no offset: store every time as UTC.
    return datetime.fromisoformat(iso).astimezone(_UTC)


class _RegisterRows:
    """The registers' rows one batch of events changes, applied in memory (see `RowCache`)."""

    def __init__(self, registers: Registers, connection: Connection) -> None:
        self.outgoing = RowCache(connection, registers.outgoing)
        self.recipients = RowCache(connection, registers.recipients)
        self.incoming = RowCache(connection, registers.incoming)

    def preload(self, envelopes: Sequence[events_pb2.EventEnvelope]) -> None:
        """Read, in one SELECT per table, the rows that events other than creations will change."""
        outgoing, incoming, recipients = [], [], []
        for envelope in envelopes:
            if envelope.aggregate == "OutgoingDocument" and envelope.event != "Drafted":
                outgoing.append(envelope.aggregate_id)
                if envelope.event == "RecipientStatusChanged":
                    recipients.append((envelope.aggregate_id, envelope.data.fields["recipient_code"].string_value))
            elif envelope.aggregate == "IncomingDocument" and envelope.event != "Arrived":
                incoming.append(envelope.aggregate_id)
        self.outgoing.preload(outgoing)
        self.incoming.preload(incoming)
        self.recipients.preload(recipients)

    def flush(self) -> None:
        self.outgoing.flush()
        self.recipients.flush()
        self.incoming.flush()

    def apply(self, envelope: events_pb2.EventEnvelope) -> tuple[str, str] | None:
        """Change the rows for one event; return (recipient, incoming id) of a copy that arrived."""
        data: dict[str, Any] = data_of(envelope)
        key = envelope.aggregate_id
        at = envelope.occurred_at.ToDatetime(tzinfo=_UTC)
        outgoing, incoming = self.outgoing, self.incoming
        match envelope.aggregate, envelope.event:
            case "OutgoingDocument", "Drafted":
                outgoing.put(
                    {
                        "id": key,
                        "sender_code": data["sender_code"],
                        "doc_type": data["doc_type"],
                        "subject": data["subject"],
                        "subject_folded": fold(data["subject"]),
                        "urgency": data["urgency"],
                        "confidentiality": data["confidentiality"],
                        "state": "draft",
                        "content_sha256": data["content_sha256"],
                        "created_at": at,
                        "attachments": json.dumps(data.get("attachments", []), ensure_ascii=False),
                        "business_type": data.get("business_type", "NEW"),
                        "relates_to": data.get("relates_to", ""),
                        "sealed": _json_or_empty(data.get("sealed")),
                    }
                )
            case "OutgoingDocument", "Registered":
                outgoing.update(
                    key,
                    state="registered",
                    number=int(data["number"]),
                    notation=data["notation"],
                    code=data["code"],
                    issued_at=_utc(data["issued_at"]),
                    content_sha256=data["content_sha256"],
                )
            case "OutgoingDocument", "Approved":
                outgoing.update(key, state="approved", approved_by=data.get("by", ""))
            case "OutgoingDocument", "Submitted" | "Returned":
                outgoing.update(key, state=envelope.event.lower())
            case "OutgoingDocument", "Signed":
                outgoing.update(
                    key,
                    state="signed",
                    content_sha256=data["content_sha256"],
                    certificate_serial=data["certificate_serial"],
                    seal_policy=data.get("policy", ""),
                    seal_level=data.get("level") or SEAL_B_LT,
                )
            case "OutgoingDocument", "LongTermValidated":
                outgoing.update(key, content_sha256=data["content_sha256"], seal_level=SEAL_B_LT)
            case "OutgoingDocument", "LeaderSigned":
                outgoing.update(
                    key,
                    content_sha256=data["content_sha256"],
                    leader_certificate_serial=data["certificate_serial"],
                    leader_position=data["position"],
                )
            case "OutgoingDocument", "Sent":
                row = outgoing.update(key, state="sent")
                self._add_wrapped_keys(row, data["recipients"])
                for recipient in data["recipients"]:
                    self.recipients.put(
                        {
                            "outgoing_id": key,
                            "recipient_code": recipient["recipient_code"],
                            "incoming_id": recipient["incoming_id"],
                            "status": "01",
                            "updated_at": at,
                        }
                    )
            case "OutgoingDocument", "RecipientStatusChanged":
                self.recipients.update(
                    (key, data["recipient_code"]), status=data["status"], updated_at=_utc(data["at"])
                )
            case "IncomingDocument", "Arrived":
                incoming.put(
                    {
                        "id": key,
                        "recipient_code": data["recipient_code"],
                        "outgoing_id": data["outgoing_id"],
                        "sender_code": data["sender_code"],
                        "doc_type": data["doc_type"],
                        "subject": data["subject"],
                        "subject_folded": fold(data["subject"]),
                        "code": data["code"],
                        "urgency": data["urgency"],
                        "status": "01",
                        "arrived_at": _utc(data["arrived_at"]),
                        "business_type": data.get("business_type", "NEW"),
                        "relates_to_code": data.get("relates_to_code", ""),
                        "sealed": _json_or_empty(data.get("sealed")),
                    }
                )
                return data["recipient_code"], key
            case "IncomingDocument", "Accepted":
                incoming.update(
                    key,
                    status="03",
                    arrival_number=int(data["arrival_number"]),
                    accepted_at=_utc(data["accepted_at"]),
                )
            case "IncomingDocument", "Refused":
                incoming.update(key, status="02")
            case "IncomingDocument", "Assigned":
                incoming.update(key, status="04", assignee=data["assignee"], due_on=data["due_on"])
            case "IncomingDocument", "Started":
                incoming.update(key, status="05")
            case "IncomingDocument", "Completed":
                incoming.update(key, status="06")
            case "IncomingDocument", "RecallRequested":
                if (row := incoming.get(key)) is not None:
                    incoming.update(key, status_before_recall=row["status"], status="13")
            case "IncomingDocument", "Recalled":
                incoming.update(key, status="15")
            case "IncomingDocument", "RecallRefused":
                if (row := incoming.get(key)) is not None:
                    incoming.update(key, status=row["status_before_recall"])
            case _:
                pass  # number series and events without a register column
        return None

    def _add_wrapped_keys(self, row: dict[str, Any] | None, recipients: list[dict[str, Any]]) -> None:
        """A sent confidential document's data key, wrapped for each recipient, joins its sealed record."""
        wrapped = {r["recipient_code"]: r["wrapped_key"] for r in recipients if r.get("wrapped_key")}
        if not wrapped or row is None:
            return
        sealed = json.loads(row["sealed"])
        sealed["keys"] = {**sealed["keys"], **wrapped}
        row["sealed"] = _json_or_empty(sealed)
