"""The local follower: a command that saved sees its own events in the read model, many commands share one
catch-up per read model, and each read model follows on its own."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from eventsourcing.domain import Aggregate, event
from sqlalchemy import Column, Connection, MetaData, String, Table, create_engine, func, insert, select

from lienthong.consumer import SqlProjection
from lienthong.consumer.local import LOCAL_SOURCE, LocalFollower
from lienthong.events.v1 import events_pb2
from lienthong.eventstore import StoredApplication, store_environment


class Parcel(Aggregate):
    @event("Posted")
    def __init__(self, label: str) -> None:
        self.label = label


class Parcels(StoredApplication):
    name = "Parcels"


class Labels(SqlProjection):
    name = "labels_test"
    applies = 0  # transactions that applied events

    def define_tables(self, metadata: MetaData) -> None:
        self.labels = Table("labels_test_labels", metadata, Column("label", String(50), primary_key=True))

    def apply(self, connection: Connection, envelope: events_pb2.EventEnvelope) -> None:
        connection.execute(insert(self.labels).values(label=envelope.data["label"]))

    def after_commit(self) -> None:
        self.applies += 1

    def has(self, label: str) -> bool:
        with self.engine.connect() as connection:
            query = select(func.count()).select_from(self.labels).where(self.labels.c.label == label)
            return bool(connection.execute(query).scalar_one())


class Lengths(Labels):
    name = "lengths_test"

    def define_tables(self, metadata: MetaData) -> None:
        self.labels = Table("lengths_test_labels", metadata, Column("label", String(50), primary_key=True))


async def test_each_command_sees_its_own_event_and_they_share_catch_ups(database_url: str) -> None:
    app = Parcels(store_environment("parcels", database_url))
    labels = Labels(create_engine(database_url))
    follower = LocalFollower(app, labels, service="parcels")

    async def command(n: int) -> bool:
        await asyncio.to_thread(app.save, Parcel(f"p{n}"))
        await follower.caught_up()
        return await asyncio.to_thread(labels.has, f"p{n}")

    seen = await asyncio.gather(*(command(n) for n in range(40)))

    assert all(seen)
    assert labels.last_position(LOCAL_SOURCE) == 40
    assert labels.applies < 40  # the waiting commands were served by catch-ups others ran
    applies = labels.applies
    await follower.caught_up()  # nothing new: no catch-up at all
    assert labels.applies == applies


async def test_a_read_model_is_caught_up_without_waiting_for_another(database_url: str) -> None:
    app = Parcels(store_environment("parcels", database_url))
    engine = create_engine(database_url)
    labels, lengths = Labels(engine), Lengths(engine)
    label_follower = LocalFollower(app, labels, service="parcels")
    length_follower = LocalFollower(app, lengths, service="parcels")
    app.save(Parcel("first"))

    await label_follower.caught_up()

    assert labels.has("first")
    assert length_follower.applied == 0
    assert not lengths.has("first")
    await length_follower.caught_up(position=1)
    assert lengths.has("first")


async def test_a_position_not_stored_yet_returns_with_what_is_stored(database_url: str) -> None:
    app = Parcels(store_environment("parcels", database_url))
    labels = Labels(create_engine(database_url))
    app.save(Parcel("only"))

    await LocalFollower(app, labels, service="parcels").caught_up(position=99)

    assert labels.has("only")


def test_a_catch_up_reports_its_progress_batch_by_batch(database_url: str) -> None:
    app = Parcels(store_environment("parcels", database_url))
    for n in range(25):
        app.save(Parcel(f"p{n}"))
    labels = Labels(create_engine(database_url))
    reported: list[tuple[int, int]] = []

    applied = LocalFollower(app, labels, service="parcels", batch_size=10).catch_up(
        lambda done, total: reported.append((done, total))
    )

    assert applied == 25
    assert reported == [(10, 25), (20, 25), (25, 25)]


class RememberedLabels(Labels):
    """A read model with something in the process's memory: what it was told, applied here or elsewhere."""

    name = "remembered_test"
    remembers = True

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.known: list[str] = []
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def define_tables(self, metadata: MetaData) -> None:
        self.labels = Table("remembered_test_labels", metadata, Column("label", String(50), primary_key=True))

    def apply(self, connection: Connection, envelope: events_pb2.EventEnvelope) -> None:
        super().apply(connection, envelope)
        self.known.append(envelope.data["label"])

    def applied_elsewhere(self, events: Sequence[tuple[int, events_pb2.EventEnvelope]]) -> None:
        self.known.extend(envelope.data["label"] for _, envelope in events)


def test_a_replica_that_remembers_is_told_what_the_other_replica_applied(database_url: str) -> None:
    """Two processes of one service feed one read model; whichever applies an event, the other's memory
    hears of it (the identifiers registry's cache, the documents register's arrival watchers)."""
    replicas = [Parcels(store_environment("parcels", database_url)) for _ in range(2)]
    models = [RememberedLabels(create_engine(database_url)) for _ in range(2)]
    followers = [LocalFollower(app, model, service="parcels") for app, model in zip(replicas, models, strict=True)]
    for follower in followers:
        follower.catch_up()

    for n in range(6):
        replicas[n % 2].save(Parcel(f"p{n}"))
        followers[n % 2].catch_up()  # the replica that saved applies; the other has not run yet
    replicas[0].save(Parcel("last"))
    for follower in followers:
        follower.catch_up()

    expected = sorted([f"p{n}" for n in range(6)] + ["last"])
    assert sorted(models[0].known) == expected  # each once: applied here, or told after the other applied it
    assert sorted(models[1].known) == expected
    assert all(models[0].has(label) for label in expected)


def test_a_read_model_that_does_not_remember_reads_only_past_its_position(database_url: str) -> None:
    replicas = [Parcels(store_environment("parcels", database_url)) for _ in range(2)]
    models = [Labels(create_engine(database_url)) for _ in range(2)]
    followers = [LocalFollower(app, model, service="parcels") for app, model in zip(replicas, models, strict=True)]
    replicas[0].save(Parcel("a"))
    followers[0].catch_up()
    applies = models[1].applies
    followers[1].catch_up()  # "a" is applied: nothing to read, nothing applied
    assert models[1].applies == applies
