"""Turns consumed document events into queued notifications and digest items (the JetStream consumer's sink)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from lienthong.consumer import UnprocessableEvent, data_of
from lienthong.email.application.app import EmailApp
from lienthong.email.application.dispatch import Dispatcher, Tidings
from lienthong.email.domain.digest import DigestDay
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
        # A redelivered event is dispatched for nothing: queue finds its position recorded and saves nothing.
        self._app.queue(self._changes_of(position, envelope, {}), stream=stream, position=position)

    def process_many(self, stream: str, events: Sequence[tuple[int, events_pb2.EventEnvelope]]) -> None:
        """A fetched batch in one transaction: the recorded position read once, a digest day loaded once
        however many of its items the batch holds, an event that cannot be read passed with a log line."""
        recorded = self._app.last_tracked_position(stream)
        fresh = [(position, envelope) for position, envelope in events if position > recorded]
        if not fresh:
            return
        digests: dict[UUID, DigestDay] = {}
        changed: dict[int, Aggregate] = {}  # by identity: a digest day changed twice is saved once
        for position, envelope in fresh:
            try:
                found = self._changes_of(position, envelope, digests)
            except UnprocessableEvent as failure:
                self._pass(stream, position, f"{envelope.aggregate}.{envelope.event}", failure.reason)
                continue
            changed.update((id(item), item) for item in found)
        self._app.queue(list(changed.values()), stream=stream, position=fresh[-1][0], recorded=recorded)

    def quarantine(self, stream: str, position: int, subject: str, data: bytes, reason: str) -> None:
        """Nobody can be told of an event that cannot be read: say so in the log and move past it."""
        self._pass(stream, position, f"{subject}, {len(data)} bytes", reason)
        self._app.queue([], stream=stream, position=position)

    def _changes_of(
        self, position: int, envelope: events_pb2.EventEnvelope, digests: dict[UUID, DigestDay]
    ) -> list[Aggregate]:
        notified = NOTIFIED.get((envelope.aggregate, envelope.event))
        if notified is None:
            return []
        try:
            tidings = _tidings(envelope, *notified)
        except (KeyError, ValueError) as error:
            raise UnprocessableEvent(position, f"{type(error).__name__}: {error}") from error
        return self._dispatcher.dispatch(tidings, digests)

    @staticmethod
    def _pass(stream: str, position: int, what: str, reason: str) -> None:
        log.error("no notification for event %s of %s (%s): %s", position, stream, what, reason)


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
