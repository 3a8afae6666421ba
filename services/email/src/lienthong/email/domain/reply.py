"""A reply received by mail to a notification (thư trả lời): applied to its document, or rejected with why."""

from __future__ import annotations

import enum
from uuid import UUID

from eventsourcing.domain import Aggregate, event


class ReplyOutcome(enum.Enum):
    APPLIED = "applied"
    REJECTED = "rejected"


class Reply(Aggregate):
    """Received, then applied (the document accepted or refused) or rejected (nothing else changed).

    Each mail received is a reply of its own (a random id): a forger reusing a Message-ID blocks nothing, and a
    reply delivered twice is answered by the documents service (a document is accepted or refused once).
    """

    @event("Received")
    def __init__(self, message_id: str, from_address: str, to_address: str) -> None:
        self.message_id = message_id
        self.from_address = from_address
        self.to_address = to_address
        self.outcome: ReplyOutcome | None = None
        self.reason = ""

    def apply_to(self, notification_id: UUID, incoming_id: str, agency_code: str, decision: str, reason: str) -> None:
        """The agency's decision (`accept` or `refuse`) was applied to its incoming document."""
        self._applied(str(notification_id), incoming_id, agency_code, decision, reason)

    @event("Applied")
    def _applied(self, notification_id: str, incoming_id: str, agency_code: str, decision: str, reason: str) -> None:
        self.outcome = ReplyOutcome.APPLIED

    def reject(self, reason: str) -> None:
        """Spoofed, forged or malformed: logged, and nothing else changes."""
        self._rejected(reason)

    @event("Rejected")
    def _rejected(self, reason: str) -> None:
        self.outcome = ReplyOutcome.REJECTED
        self.reason = reason
