"""Turns consumed document events into queued notifications (the JetStream consumer's sink)."""

from __future__ import annotations

import logging
from datetime import datetime

from google.protobuf.json_format import MessageToDict

from lienthong.consumer import UnprocessableEvent
from lienthong.email.application import EmailApp
from lienthong.email.directory import AgencyMailboxes
from lienthong.email.domain.notification import Notification
from lienthong.email.projections.mailboxes import MailRegistry
from lienthong.events.v1 import events_pb2

log = logging.getLogger(__name__)


# (aggregate, event) → (notification kind, who is told: the data key of the agency's code)
NOTIFIED = {
    ("IncomingDocument", "Arrived"): ("arrived", "recipient_code"),
    ("IncomingDocument", "Refused"): ("refused", "sender_code"),
    ("IncomingDocument", "RecallRequested"): ("recall_requested", "recipient_code"),
}


class ArrivalNotifier:
    """Tells agencies by mail when a document arrives, is refused (to its sender) or is asked back (to its
    recipient): one notification per event and agency."""

    def __init__(self, app: EmailApp, mailboxes: AgencyMailboxes, registry: MailRegistry) -> None:
        self._app = app
        self._mailboxes = mailboxes
        self._registry = registry

    def last_position(self, stream: str) -> int:
        return self._app.last_tracked_position(stream)

    def process(self, stream: str, position: int, envelope: events_pb2.EventEnvelope) -> None:
        if position <= self._app.last_tracked_position(stream):
            return
        notification = None
        notified = NOTIFIED.get((envelope.aggregate, envelope.event))
        if notified is not None:
            try:
                notification = self._notification_for(envelope, *notified)
            except (KeyError, ValueError) as error:
                raise UnprocessableEvent(position, f"{type(error).__name__}: {error}") from error
        self._app.queue(notification, stream=stream, position=position)

    def quarantine(self, stream: str, position: int, subject: str, data: bytes, reason: str) -> None:
        """Nobody can be told of an event that cannot be read: say so in the log and move past it."""
        log.error("no notification for event %s of %s (%s, %d bytes): %s", position, stream, subject, len(data), reason)
        self._app.queue(None, stream=stream, position=position)

    def _notification_for(self, envelope: events_pb2.EventEnvelope, kind: str, told: str) -> Notification | None:
        data = MessageToDict(envelope.data)
        agency = self._mailboxes.get(data[told])
        if not agency.email:
            log.info("agency %s has no official mailbox; no notification", agency.code)
            return None
        state = self._registry.state_of(agency.email)
        if state not in (None, "active"):
            log.info("mailbox of agency %s is %s; no notification", agency.code, state)
            return None
        other = self._mailboxes.get(data["recipient_code" if told == "sender_code" else "sender_code"])
        return Notification(
            source_event=f"{envelope.aggregate_id}:{envelope.version}",
            agency_code=agency.code,
            agency_name=agency.name,
            to_address=agency.email,
            sender_name=other.name,
            code=data["code"],
            subject=data["subject"],
            document_id=envelope.aggregate_id,
            arrived_at=datetime.fromisoformat(data.get("arrived_at") or data["at"]),
            kind=kind,
            details=data.get("reason", ""),
        )
