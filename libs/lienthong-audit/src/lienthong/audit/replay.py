"""An aggregate's state as of an instant, and the difference between two states, from its stored events."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import Application

from lienthong.errors import NotFound
from lienthong.eventstore import EventRecord, aggregate_histories, aggregate_history, to_jsonable


@dataclass(frozen=True)
class StateAt:
    """An aggregate replayed up to an instant; version 0 when it did not exist yet."""

    aggregate: str
    version: int
    last_changed_at: datetime | None
    state: dict[str, Any]


def history(app: Application[Any], aggregate_id: UUID) -> list[EventRecord]:
    """Every event of the aggregate in version order; NOT_FOUND when it has none."""
    records = aggregate_history(app, aggregate_id)
    if not records:
        raise NotFound(f"no aggregate with id {aggregate_id} in this service's event store")
    return records


def histories(app: Application[Any], aggregate_ids: Sequence[UUID]) -> Iterator[list[EventRecord]]:
    """The events of the aggregates in the order named, each in version order, a page per thousand
    aggregates (one query each); NOT_FOUND for the first aggregate of a page that has no events."""
    for start in range(0, len(aggregate_ids), HISTORIES_PER_PAGE):
        chunk = aggregate_ids[start : start + HISTORIES_PER_PAGE]
        found = aggregate_histories(app, chunk)
        if missing := next((aggregate_id for aggregate_id in chunk if aggregate_id not in found), None):
            raise NotFound(f"no aggregate with id {missing} in this service's event store")
        yield [record for aggregate_id in dict.fromkeys(chunk) for record in found[aggregate_id]]


HISTORIES_PER_PAGE = 1000


def state_at(
    app: Application[Any], aggregate_id: UUID, at: datetime, records: list[EventRecord] | None = None
) -> StateAt:
    """The aggregate as its events up to and including `at` made it (`records`: its history, when read already)."""
    records = records if records is not None else history(app, aggregate_id)
    reached = [record for record in records if record.occurred_at <= at]
    if not reached:
        return StateAt(records[0].aggregate, 0, None, {})
    last = reached[-1]
    aggregate: object = app.repository.get(aggregate_id, version=last.version)
    return StateAt(last.aggregate, last.version, last.occurred_at, public_fields(aggregate))


def public_fields(aggregate: object) -> dict[str, Any]:
    """The aggregate's own fields as JSON values (the library's bookkeeping, named with `_`, left out)."""
    return {name: to_jsonable(value) for name, value in vars(aggregate).items() if not name.startswith("_")}


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    """The fields whose values differ, in name order (None stands for a field that is absent)."""
    names = sorted(set(before) | set(after))
    return [
        FieldChange(name, before.get(name), after.get(name)) for name in names if before.get(name) != after.get(name)
    ]
