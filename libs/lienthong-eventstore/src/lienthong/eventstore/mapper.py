"""A mapper that stamps each stored event with who caused it and the trace of the request.

The stamp is an extra `_meta` entry in the stored state; `eventsourcing` passes only the declared
fields to aggregates, so domain code never sees it, while the relay and the audit history read it.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent

from lienthong.eventstore.context import current_actor
from lienthong.telemetry import current_traceparent

META = "_meta"


class StampingMapper(Mapper[Any]):
    """Adds `_meta = {"actor", "traceparent"}` to every event as it is first stored."""

    def to_stored_event(self, domain_event: DomainEventProtocol[Any]) -> StoredEvent:
        if META not in vars(domain_event):
            object.__setattr__(domain_event, META, {"actor": current_actor(), "traceparent": current_traceparent()})
        return super().to_stored_event(domain_event)
