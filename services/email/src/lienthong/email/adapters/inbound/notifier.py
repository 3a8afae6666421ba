"""Turns consumed document events into queued notifications and digest items (the JetStream consumer's sink)."""

from __future__ import annotations

import logging
from datetime import datetime

from lienthong.consumer import UnprocessableEvent, data_of
from lienthong.email.application.app import EmailApp
from lienthong.email.application.dispatch import Dispatcher, Tidings
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
    recipient): one notification per event and mailbox told at once, or an item of its digest."""

    def __init__(self, app: EmailApp, dispatcher: Dispatcher) -> None:
        self._app = app
        self._dispatcher = dispatcher

    def last_position(self, stream: str) -> int:
        return self._app.last_tracked_position(stream)

    def process(self, stream: str, position: int, envelope: events_pb2.EventEnvelope) -> None:
        if position <= self._app.last_tracked_position(stream):
            return
        notified = NOTIFIED.get((envelope.aggregate, envelope.event))
        changed = []
        if notified is not None:
            try:
                tidings = _tidings(envelope, *notified)
            except (KeyError, ValueError) as error:
                raise UnprocessableEvent(position, f"{type(error).__name__}: {error}") from error
            changed = self._dispatcher.dispatch(tidings)
        self._app.queue(changed, stream=stream, position=position)

    def quarantine(self, stream: str, position: int, subject: str, data: bytes, reason: str) -> None:
        """Nobody can be told of an event that cannot be read: say so in the log and move past it."""
        log.error("no notification for event %s of %s (%s, %d bytes): %s", position, stream, subject, len(data), reason)
        self._app.queue([], stream=stream, position=position)


def _tidings(envelope: events_pb2.EventEnvelope, kind: str, told: str) -> Tidings:
    data = data_of(envelope)
    return Tidings(
        key=f"{envelope.aggregate_id}:{envelope.version}",
        kind=kind,
        agency_code=data[told],
        other_code=data["recipient_code" if told == "sender_code" else "sender_code"],
        code=data["code"],
        subject=data["subject"],
        document_id=envelope.aggregate_id,
        at=datetime.fromisoformat(data.get("arrived_at") or data["at"]),
        details=data.get("reason", ""),
    )
