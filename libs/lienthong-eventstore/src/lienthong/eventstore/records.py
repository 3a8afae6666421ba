"""Stored events as plain records: what the relay publishes and what auditors read."""

from __future__ import annotations

import base64
import enum
from dataclasses import asdict, dataclass, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent

from lienthong.eventstore.mapper import META

_ENVELOPE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic", META}


@dataclass(frozen=True)
class EventRecord:
    """One stored event, decoded, with JSON-compatible data."""

    position: int  # notification id in the application's log; 0 when read per aggregate
    aggregate_id: str
    version: int
    aggregate: str  # e.g. "OutgoingDocument"
    event: str  # e.g. "Registered"
    occurred_at: datetime
    actor: str
    traceparent: str
    data: dict[str, Any]


def read_events(app: Application[Any], start: int, limit: int) -> list[EventRecord]:
    """Up to `limit` events of the application's log from position `start` (inclusive), in order."""
    notifications = app.recorder.select_notifications(start=start, limit=limit)
    return [_decode(app, n, n.id) for n in notifications]


def aggregate_history(app: Application[Any], aggregate_id: UUID) -> list[EventRecord]:
    """Every stored event of one aggregate, in version order."""
    return [_decode(app, s, 0) for s in app.recorder.select_events(aggregate_id)]


def _decode(app: Application[Any], stored: StoredEvent, position: int) -> EventRecord:
    domain_event = app.mapper.to_domain_event(stored)
    state = vars(domain_event)
    meta = state.get(META) or {}
    aggregate, _, event = stored.topic.rpartition(":")[2].rpartition(".")
    return EventRecord(
        position=position,
        aggregate_id=str(stored.originator_id),
        version=stored.originator_version,
        aggregate=aggregate or event,
        event=event,
        occurred_at=state["timestamp"],
        actor=str(meta.get("actor", "")),
        traceparent=str(meta.get("traceparent", "")),
        data={k: to_jsonable(v) for k, v in state.items() if k not in _ENVELOPE_FIELDS},
    )


def to_jsonable(value: Any) -> Any:
    """`value` with datetimes, dates, UUIDs, enums, decimals, bytes and dataclasses turned into JSON values."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    return str(value)
