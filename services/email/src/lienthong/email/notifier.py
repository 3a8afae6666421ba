"""Turns consumed document events into queued notifications (the JetStream consumer's sink)."""

from __future__ import annotations

import logging
from datetime import datetime

from google.protobuf.json_format import MessageToDict

from lienthong.email.application import EmailApp
from lienthong.email.directory import AgencyMailboxes
from lienthong.email.domain.notification import Notification
from lienthong.events.v1 import events_pb2

log = logging.getLogger(__name__)


class ArrivalNotifier:
    """For every document that arrives at an agency, one notification to that agency's mailbox."""

    def __init__(self, app: EmailApp, mailboxes: AgencyMailboxes) -> None:
        self._app = app
        self._mailboxes = mailboxes

    def last_position(self, stream: str) -> int:
        return self._app.last_tracked_position(stream)

    def process(self, stream: str, position: int, envelope: events_pb2.EventEnvelope) -> None:
        if position <= self._app.last_tracked_position(stream):
            return
        notification = None
        if (envelope.aggregate, envelope.event) == ("IncomingDocument", "Arrived"):
            notification = self._notification_for(envelope)
        self._app.queue(notification, stream=stream, position=position)

    def _notification_for(self, envelope: events_pb2.EventEnvelope) -> Notification | None:
        data = MessageToDict(envelope.data)
        recipient = self._mailboxes.get(data["recipient_code"])
        if not recipient.email:
            log.info("agency %s has no official mailbox; no notification", recipient.code)
            return None
        sender = self._mailboxes.get(data["sender_code"])
        return Notification(
            source_event=f"{envelope.aggregate_id}:{envelope.version}",
            agency_code=recipient.code,
            agency_name=recipient.name,
            to_address=recipient.email,
            sender_name=sender.name,
            code=data["code"],
            subject=data["subject"],
            document_id=envelope.aggregate_id,
            arrived_at=datetime.fromisoformat(data["arrived_at"]),
        )
