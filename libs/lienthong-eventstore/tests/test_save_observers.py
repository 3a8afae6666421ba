"""Save observers see each save's aggregates with the events it stored, and cannot make a save fail; save
listeners are woken by saves that stored events, not by a consumer's position saved alone."""

from __future__ import annotations

import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Tracking

from lienthong.eventstore import SavedChanges, StoredApplication, store_environment


class Tally(Aggregate):
    @event("Started")
    def __init__(self, label: str) -> None:
        self.label = label
        self.count = 0

    @event("Counted")
    def add(self) -> None:
        self.count += 1


class Tallies(StoredApplication):
    name = "Tallies"


def test_an_observer_sees_each_aggregate_saved_with_its_new_events(database_url: str) -> None:
    app = Tallies(store_environment("tallies", database_url))
    seen: list[list[tuple[str, int, list[str]]]] = []
    app.add_save_observer(
        lambda changes: seen.append(
            [(tally.label, tally.count, [type(e).__name__ for e in events]) for tally, events in changes]
        )
    )
    first, second = Tally("first"), Tally("second")
    first.add()
    app.save(first, second)
    second.add()
    second.add()
    app.save(first, second)  # `first` has nothing new: it is not reported

    assert seen == [
        [("first", 1, ["Started", "Counted"]), ("second", 0, ["Started"])],
        [("second", 2, ["Counted", "Counted"])],
    ]


def test_a_failing_observer_does_not_fail_the_save(database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    app = Tallies(store_environment("tallies", database_url))

    def broken(changes: SavedChanges) -> None:
        raise RuntimeError("metrics backend is gone")

    app.add_save_observer(broken)
    tally = Tally("kept")
    app.save(tally)

    assert app.repository.get(tally.id).label == "kept"
    assert "a save observer failed" in caplog.text


class TrackingTallies(Tallies):
    tracks_positions = True


def test_listeners_are_woken_by_stored_events_not_by_a_position_alone(database_url: str) -> None:
    app = TrackingTallies(store_environment("tallies", database_url))
    woken: list[int] = []
    app.add_save_listener(lambda: woken.append(app.recorded_position))
    tally = Tally("told")
    app.save_tracked(tally, tracking=Tracking("upstream", 1))
    assert len(woken) == 1
    app.save_tracked(tracking=Tracking("upstream", 2))  # the event consumed changed nothing here
    app.save()
    assert len(woken) == 1
    assert app.last_tracked_position("upstream") == 2
    tally.add()
    app.save(tally)
    assert len(woken) == 2
