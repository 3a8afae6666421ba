"""A notification mail about one event for one agency: queued → sent, or deferred and retried, or bounced."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NOTIFICATION_NAMESPACE = uuid5(NAMESPACE_URL, "https://lienthong.gov.vn/notifications")
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)


class DeliveryState(enum.Enum):
    QUEUED = "queued"
    SENT = "sent"
    DEFERRED = "deferred"
    BOUNCED = "bounced"


def id_of_notification(source_event: str, agency_code: str) -> UUID:
    """One notification per (event, agency), whatever the number of times the event is delivered to us."""
    return uuid5(_NOTIFICATION_NAMESPACE, f"{source_event}/{agency_code}")


def retry_delay(attempt: int) -> timedelta:
    """Exponential back-off: 30 s, 1 min, 2 min, … after the 1st, 2nd, 3rd temporary failure."""
    return FIRST_RETRY * int(2 ** (attempt - 1))


class Notification(Aggregate):
    """A mail to an agency's official mailbox about a document."""

    @staticmethod
    def create_id(source_event: str, agency_code: str) -> UUID:
        return id_of_notification(source_event, agency_code)

    @event("Queued")
    def __init__(
        self,
        source_event: str,
        agency_code: str,
        agency_name: str,
        to_address: str,
        sender_name: str,
        code: str,
        subject: str,
        document_id: str,
        arrived_at: datetime,
        kind: str = "arrived",
        details: str = "",
    ) -> None:
        self.kind = kind  # arrived, refused, recall_requested: which template tells it
        self.details = details  # e.g. the reason of a refusal or a recall
        self.source_event = source_event
        self.agency_code = agency_code
        self.agency_name = agency_name
        self.to_address = to_address
        self.sender_name = sender_name
        self.code = code
        self.subject = subject
        self.document_id = document_id
        self.arrived_at = arrived_at
        self.state = DeliveryState.QUEUED
        self.attempts = 0
        self.next_attempt_at: datetime | None = None

    @property
    def message_id(self) -> str:
        """The Message-ID every attempt carries, so a mail server can tell a re-send of the same mail."""
        return f"<{self.id}@lienthong>"

    def record_sent(self, at: datetime) -> None:
        self._sent(at)

    @event("Sent")
    def _sent(self, at: datetime) -> None:
        self.attempts += 1
        self.state = DeliveryState.SENT

    def record_temporary_failure(self, reason: str, at: datetime) -> None:
        """A 4xx answer or no answer: try again later, or give up after MAX_ATTEMPTS."""
        if self.attempts + 1 >= MAX_ATTEMPTS:
            self._bounced(f"gave up after {MAX_ATTEMPTS} attempts: {reason}", at)
        else:
            self._deferred(reason, at + retry_delay(self.attempts + 1))

    @event("Deferred")
    def _deferred(self, reason: str, next_attempt_at: datetime) -> None:
        self.attempts += 1
        self.next_attempt_at = next_attempt_at
        self.state = DeliveryState.DEFERRED

    def record_permanent_failure(self, reason: str, at: datetime) -> None:
        self._bounced(reason, at)

    @event("Bounced")
    def _bounced(self, reason: str, at: datetime) -> None:
        self.attempts += 1
        self.state = DeliveryState.BOUNCED
