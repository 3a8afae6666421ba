"""A notification mail about one event for one agency: queued → sending → sent, or deferred and retried, or
bounced.

Every attempt is recorded as started before the SMTP conversation begins, and ends with exactly one outcome.
An attempt found started after a crash is in doubt: the mail server may have taken the mail without us
hearing its answer. It is confirmed from the server's delivery log when there is one, or given up
(interrupted) and sent again with the same Message-ID.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from lienthong.errors import FailedPrecondition

_NOTIFICATION_NAMESPACE = uuid5(NAMESPACE_URL, "https://lienthong.gov.vn/notifications")
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)


class DeliveryState(enum.Enum):
    QUEUED = "queued"
    SENDING = "sending"  # an attempt started; its outcome not yet recorded
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
        items: list[dict[str, str]] | None = None,
    ) -> None:
        self.kind = kind  # arrived, refused, recall_requested, due_tomorrow, overdue, digest: the template
        self.details = details  # e.g. the reason of a refusal or a recall, a deadline
        self.items = list(items or [])  # a digest's lines (see domain.digest)
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
        self.attempt_started_at: datetime | None = None

    @property
    def message_id(self) -> str:
        """The Message-ID every attempt carries, so a mail server can tell a re-send of the same mail."""
        return f"<{self.id}@lienthong>"

    def start_attempt(self, at: datetime) -> None:
        """Recorded before the mail goes to the server, so that a crash leaves the attempt visible."""
        if self.state not in (DeliveryState.QUEUED, DeliveryState.DEFERRED):
            raise FailedPrecondition(f"notification {self.id} is {self.state.value}; it is not due for sending")
        self._attempt_started(at)

    @event("AttemptStarted")
    def _attempt_started(self, at: datetime) -> None:
        self.state = DeliveryState.SENDING
        self.attempt_started_at = at

    @property
    def in_doubt(self) -> bool:
        """An attempt started and no outcome recorded (seen after a crash)."""
        return self.state is DeliveryState.SENDING

    def confirm_delivered(self, evidence: str, at: datetime) -> None:
        """An in-doubt attempt found in the mail server's delivery log: it was taken, do not send again."""
        self._require_in_doubt()
        self._delivery_confirmed(evidence, at)

    @event("DeliveryConfirmed")
    def _delivery_confirmed(self, evidence: str, at: datetime) -> None:
        self.attempts += 1
        self.state = DeliveryState.SENT

    def record_interrupted(self, reason: str, at: datetime) -> None:
        """An in-doubt attempt the server did not take (or cannot tell): queued again, no back-off."""
        self._require_in_doubt()
        self._interrupted(reason, at)

    @event("Interrupted")
    def _interrupted(self, reason: str, at: datetime) -> None:
        self.state = DeliveryState.QUEUED

    def _require_in_doubt(self) -> None:
        if not self.in_doubt:
            raise FailedPrecondition(f"notification {self.id} is {self.state.value}; no attempt is in doubt")

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
