"""Group commit: concurrent appends share transactions, and a conflicting aggregate fails alone."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from uuid import uuid4

import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError, StoredEvent, Tracking

from lienthong.eventstore import StoredApplication, store_environment
from lienthong.eventstore.groupcommit import GroupCommitApplicationRecorder, _Append


class Counter(Aggregate):
    @event("Started")
    def __init__(self, label: str) -> None:
        self.label = label
        self.count = 0

    @event("Counted")
    def add(self) -> None:
        self.count += 1


class Counters(StoredApplication):
    name = "Counters"


class TrackedCounters(Counters):
    name = "TrackedCounters"
    tracks_positions = True


def stored(originator: str, version: int) -> StoredEvent:
    return StoredEvent(originator_id=originator, originator_version=version, topic="t", state=b"{}")


def test_concurrent_appends_share_transactions_and_keep_gapless_positions(database_url: str) -> None:
    app = Counters(store_environment("counters", database_url))
    recorder = app.recorder
    assert isinstance(recorder, GroupCommitApplicationRecorder)

    counters = [Counter(f"c{n}") for n in range(200)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(app.save, counters))

    assert max(recorder.group.sizes) > 1  # some appends were stored together
    assert recorder.regrouped == 0
    assert [n.id for n in recorder.select_notifications(start=1, limit=500)] == list(range(1, 201))
    assert {app.repository.get(c.id).label for c in counters} == {f"c{n}" for n in range(200)}


def test_in_a_group_the_conflicting_aggregate_fails_alone(database_url: str) -> None:
    app = Counters(store_environment("counters", database_url))
    recorder = app.recorder
    assert isinstance(recorder, GroupCommitApplicationRecorder)
    taken, fresh = str(uuid4()), str(uuid4())
    recorder.insert_events([stored(taken, 1)])
    twice = str(uuid4())
    group = [
        _Append([stored(fresh, 1), stored(fresh, 2)], None),
        _Append([stored(taken, 1)], None),  # version 1 of `taken` is stored already
        _Append([stored(twice, 1)], None),
        _Append([stored(twice, 1)], None),  # the same version earlier in this group
        _Append([stored(taken, 2)], None),
    ]

    recorder._store(group)

    assert recorder.regrouped == 0  # told apart before the insert, not by the database refusing the group
    assert [type(a.error) for a in group] == [type(None), IntegrityError, type(None), IntegrityError, type(None)]
    assert [a.positions for a in group] == [[2, 3], [], [4], [], [5]]
    assert [e.originator_version for e in recorder.select_events(fresh)] == [1, 2]
    assert [e.originator_version for e in recorder.select_events(taken)] == [1, 2]
    assert len(recorder.select_events(twice)) == 1


def test_an_aggregate_saved_by_two_threads_at_once_is_refused_once(database_url: str) -> None:
    app = Counters(store_environment("counters", database_url))
    counter = Counter("shared")
    app.save(counter)
    copies = [app.repository.get(counter.id) for _ in range(8)]
    for copy in copies:
        copy.add()
    start = threading.Barrier(len(copies))
    outcomes: list[str] = []

    def save(copy: Counter) -> None:
        start.wait()
        try:
            app.save(copy)
            outcomes.append("stored")
        except IntegrityError:
            outcomes.append("refused")

    with ThreadPoolExecutor(len(copies)) as pool:
        list(pool.map(save, copies))

    assert sorted(outcomes) == ["refused"] * 7 + ["stored"]
    assert app.repository.get(counter.id).count == 1


def test_a_position_tracked_twice_in_a_group_is_refused_for_the_second(database_url: str) -> None:
    app = TrackedCounters(store_environment("tracked", database_url))
    recorder = app.recorder
    group = [
        _Append([stored(str(uuid4()), 1)], Tracking("upstream", 1)),
        _Append([stored(str(uuid4()), 1)], Tracking("upstream", 1)),
        _Append([stored(str(uuid4()), 1)], Tracking("upstream", 2)),
    ]

    recorder._store(group)  # type: ignore[attr-defined]

    assert [a.error is None for a in group] == [True, False, True]
    assert app.last_tracked_position("upstream") == 2
    with pytest.raises(IntegrityError):
        app.save_tracked(Counter("late"), tracking=Tracking("upstream", 2))
