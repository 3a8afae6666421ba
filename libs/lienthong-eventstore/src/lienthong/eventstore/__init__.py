"""Event-sourced applications persisted through SQLAlchemy: SQLite by default, PostgreSQL in production."""

from lienthong.eventstore.application import SavedChanges, StoredApplication, store_environment
from lienthong.eventstore.context import current_actor, current_peer, event_context, peer_context
from lienthong.eventstore.records import (
    EventRecord,
    aggregate_histories,
    aggregate_history,
    read_events,
    reading,
    to_jsonable,
)

__all__ = [
    "EventRecord",
    "SavedChanges",
    "StoredApplication",
    "aggregate_histories",
    "aggregate_history",
    "current_actor",
    "current_peer",
    "event_context",
    "peer_context",
    "read_events",
    "reading",
    "store_environment",
    "to_jsonable",
]
