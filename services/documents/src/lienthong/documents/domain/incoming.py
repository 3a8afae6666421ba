"""The incoming document (văn bản đến): one copy per recipient.

arrived (01) → accepted with an arrival number (03) or refused with a reason (02); accepted → assigned to a
unit/officer with a due date (04) → in progress (05) → done (06). The sender may ask for the copy back
(13): the recipient gives it (15, the copy leaves the registers, its history stays) or refuses (16, the
copy goes back to where it was). A done document cannot be recalled.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from lienthong.documents.domain.status import StatusCode
from lienthong.errors import FailedPrecondition, InvalidArgument

_EDXML_NAMESPACE = uuid5(NAMESPACE_URL, "https://lienthong.gov.vn/edxml-document")


def id_of_imported(edxml_document_id: str) -> UUID:
    """The id standing for a document of another system, known by its edXML DocumentId: importing the same
    document twice finds the same copies."""
    return uuid5(_EDXML_NAMESPACE, edxml_document_id)


def id_of_incoming(outgoing_id: UUID, recipient_code: str) -> UUID:
    """The id of the copy of `outgoing_id` at `recipient_code`: known before the copy exists."""
    return uuid5(outgoing_id, recipient_code)


class IncomingDocument(Aggregate):
    """A document as it arrived at one recipient agency."""

    @staticmethod
    def create_id(outgoing_id: UUID, recipient_code: str) -> UUID:
        return id_of_incoming(outgoing_id, recipient_code)

    @event("Arrived")
    def __init__(
        self,
        outgoing_id: UUID,
        sender_code: str,
        recipient_code: str,
        doc_type: str,
        subject: str,
        code: str,
        urgency: str,
        arrived_at: datetime,
        business_type: str = "NEW",
        relates_to_code: str = "",
        edxml_document_id: str = "",
        envelope_sha256: str = "",
        attachments: list[dict[str, Any]] | None = None,
        trace: list[list[str]] | None = None,
        sealed: dict[str, Any] | None = None,
    ) -> None:
        # A copy of a confidential document: its subject is a placeholder, `sealed` holds the encrypted text
        # and the data key wrapped for this recipient (lienthong.documents.application.envelope).
        self.sealed: dict[str, Any] = dict(sealed or {})
        # A copy imported from an edXML envelope keeps the envelope (by SHA-256), its DocumentId, files and
        # trace; its sender is in another system, told by status messages instead of an outgoing aggregate.
        self.edxml_document_id = edxml_document_id
        self.envelope_sha256 = envelope_sha256
        self.attachments = list(attachments or [])
        self.trace = list(trace or [])
        self.business_type = business_type
        self.relates_to_code = relates_to_code
        self.outgoing_id = outgoing_id
        self.sender_code = sender_code
        self.recipient_code = recipient_code
        self.doc_type = doc_type
        self.subject = subject
        self.code = code
        self.urgency = urgency
        self.arrived_at = arrived_at
        self.status = StatusCode.ARRIVED
        self.status_before_recall = StatusCode.ARRIVED
        self.arrival_number = 0
        self.accepted_at: datetime | None = None
        self.assignee = ""
        self.due_on: date | None = None

    @property
    def imported(self) -> bool:
        """Whether the copy came in an edXML envelope from another system."""
        return bool(self.envelope_sha256)

    def _require(self, action: str, *allowed: StatusCode) -> None:
        if self.status not in allowed:
            wanted = " or ".join(f"{s.value} ({s.name.lower().replace('_', ' ')})" for s in allowed)
            raise FailedPrecondition(
                f"incoming document {self.id} has status {self.status.value} "
                f"({self.status.name.lower().replace('_', ' ')}); only a document with status {wanted} can be {action}"
            )

    def check_acceptable(self) -> None:
        """Only an arrived copy (01) can be accepted, once."""
        self._require("accepted", StatusCode.ARRIVED)

    def accept(self, *, arrival_number: int, accepted_at: datetime) -> None:
        """Accept with the arrival number (số đến)."""
        self.check_acceptable()
        self._accepted(arrival_number, accepted_at)

    @event("Accepted")
    def _accepted(self, arrival_number: int, accepted_at: datetime) -> None:
        self.arrival_number = arrival_number
        self.accepted_at = accepted_at
        self.status = StatusCode.ACCEPTED

    def refuse(self, *, reason: str, at: datetime) -> None:
        """Send the document back to its sender, the same day, with the reason (02)."""
        self._require("refused", StatusCode.ARRIVED)
        if not reason.strip():
            raise InvalidArgument("a refusal needs a reason for the sender")
        self._refused(reason.strip(), at, self.sender_code, self.recipient_code, self.code, self.subject)

    @event("Refused")
    def _refused(
        self, reason: str, at: datetime, sender_code: str, recipient_code: str, code: str, subject: str
    ) -> None:
        # The parties, code and subject travel with the event: whoever tells the sender needs them.
        self.status = StatusCode.REFUSED

    def assign(self, *, assignee: str, due_on: date | None, at: datetime) -> None:
        """Hand the accepted document to a unit or officer, with its processing deadline (hạn xử lý)."""
        self._require("assigned", StatusCode.ACCEPTED, StatusCode.ASSIGNED)
        if not assignee.strip():
            raise InvalidArgument("the unit or officer the document is assigned to is required")
        self._assigned(assignee.strip(), due_on.isoformat() if due_on else "", at)

    @event("Assigned")
    def _assigned(self, assignee: str, due_on: str, at: datetime) -> None:
        self.assignee = assignee
        self.due_on = date.fromisoformat(due_on) if due_on else None
        self.status = StatusCode.ASSIGNED

    def start(self, *, at: datetime) -> None:
        self._require("started", StatusCode.ASSIGNED)
        self._started(at)

    @event("Started")
    def _started(self, at: datetime) -> None:
        self.status = StatusCode.IN_PROGRESS

    def complete(self, *, at: datetime) -> None:
        self._require("completed", StatusCode.ASSIGNED, StatusCode.IN_PROGRESS)
        self._completed(at)

    @event("Completed")
    def _completed(self, at: datetime) -> None:
        self.status = StatusCode.DONE

    def is_overdue(self, today: date) -> bool:
        """Past its deadline and not done."""
        return self.due_on is not None and today > self.due_on and self.status is not StatusCode.DONE

    def request_recall(self, *, reason: str, at: datetime) -> None:
        """The sender asks for the copy back (13)."""
        self._require(
            "recalled",
            StatusCode.ARRIVED,
            StatusCode.ACCEPTED,
            StatusCode.ASSIGNED,
            StatusCode.IN_PROGRESS,
        )
        self._recall_requested(reason.strip(), at, self.sender_code, self.recipient_code, self.code, self.subject)

    @event("RecallRequested")
    def _recall_requested(
        self, reason: str, at: datetime, sender_code: str, recipient_code: str, code: str, subject: str
    ) -> None:
        self.status_before_recall = self.status
        self.status = StatusCode.RECALL_REQUESTED

    def answer_recall(self, *, give_back: bool, at: datetime) -> None:
        """Give the copy back (15: it leaves the registers) or keep it (16: back to its previous status)."""
        self._require("answered for a recall", StatusCode.RECALL_REQUESTED)
        if give_back:
            self._recalled(at)
        else:
            self._recall_refused(at)

    @event("Recalled")
    def _recalled(self, at: datetime) -> None:
        self.status = StatusCode.RECALLED

    @event("RecallRefused")
    def _recall_refused(self, at: datetime) -> None:
        self.status = self.status_before_recall
