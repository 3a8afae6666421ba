"""The incoming document (văn bản đến): one copy per recipient, arrived (01) → accepted (03)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from lienthong.documents.domain.status import StatusCode
from lienthong.errors import FailedPrecondition


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
    ) -> None:
        self.outgoing_id = outgoing_id
        self.sender_code = sender_code
        self.recipient_code = recipient_code
        self.doc_type = doc_type
        self.subject = subject
        self.code = code
        self.urgency = urgency
        self.arrived_at = arrived_at
        self.status = StatusCode.ARRIVED
        self.arrival_number = 0
        self.accepted_at: datetime | None = None

    def check_acceptable(self) -> None:
        """Only an arrived copy (01) can be accepted, once."""
        if self.status is not StatusCode.ARRIVED:
            raise FailedPrecondition(
                f"incoming document {self.id} has status {self.status.value} ({self.status.name.lower()}); "
                "only an arrived document (01) can be accepted"
            )

    def accept(self, *, arrival_number: int, accepted_at: datetime) -> None:
        """Accept with the arrival number (số đến)."""
        self.check_acceptable()
        self._accepted(arrival_number, accepted_at)

    @event("Accepted")
    def _accepted(self, arrival_number: int, accepted_at: datetime) -> None:
        self.arrival_number = arrival_number
        self.accepted_at = accepted_at
        self.status = StatusCode.ACCEPTED
