"""SQL projections: positions kept with the rows, redelivery ignored, a changed schema rebuilt from zero."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from google.protobuf import struct_pb2
from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, create_engine, func, insert, select

from lienthong.consumer import SqlProjection
from lienthong.consumer.rows import RowCache
from lienthong.events.v1 import events_pb2


class Names(SqlProjection):
    name = "names_test"
    extra_column = False

    def define_tables(self, metadata: MetaData) -> None:
        columns = [Column("id", Integer, primary_key=True, autoincrement=True), Column("name", String(50))]
        if self.extra_column:
            columns.append(Column("shout", String(50)))
        self.names = Table("names_test_names", metadata, *columns)

    def apply(self, connection: Connection, envelope: events_pb2.EventEnvelope) -> None:
        connection.execute(insert(self.names).values(name=envelope.data["name"]))

    def count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(self.names)).scalar_one())


class LouderNames(Names):
    extra_column = True


def event(name: str) -> events_pb2.EventEnvelope:
    data = struct_pb2.Struct()
    data.update({"name": name})
    return events_pb2.EventEnvelope(event="Named", data=data)


def test_each_position_is_applied_once(database_url: str) -> None:
    projection = Names(create_engine(database_url))
    projection.process_many("S", [(1, event("a")), (2, event("b"))])
    projection.process_many("S", [(2, event("b")), (3, event("c"))])  # 2 is redelivered
    projection.process("S", 1, event("a"))
    assert (projection.count(), projection.last_position("S")) == (3, 3)


def test_a_read_model_whose_tables_changed_shape_is_rebuilt_from_zero(database_url: str) -> None:
    engine = create_engine(database_url)
    Names(engine).process_many("S", [(1, event("a")), (2, event("b"))])
    louder = LouderNames(engine)
    assert (louder.count(), louder.last_position("S")) == (0, 0)


def test_two_replicas_feeding_one_read_model_apply_each_event_once(database_url: str) -> None:
    first, second = Names(create_engine(database_url)), Names(create_engine(database_url))
    events = [(position, event(f"n{position}")) for position in range(1, 201)]

    def feed(projection: Names) -> None:
        for start in range(0, len(events), 10):
            projection.process_many("S", events[start : start + 10])

    with ThreadPoolExecutor(2) as replicas:
        list(replicas.map(feed, (first, second)))
    assert (first.count(), first.last_position("S")) == (200, 200)


def test_timestamps_compare_in_utc_whatever_offset_they_are_given_in(database_url: str) -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from lienthong.consumer import UtcDateTime

    vietnam = timezone(timedelta(hours=7))
    engine = create_engine(database_url)
    table = Table("utc_test", MetaData(), Column("id", Integer, primary_key=True), Column("at", UtcDateTime()))
    table.create(engine)
    with engine.begin() as connection:
        connection.execute(insert(table).values(id=1, at=datetime(2026, 11, 24, 17, 30, tzinfo=UTC)))
    midnight_in_vietnam = datetime(2026, 11, 25, 0, 0, tzinfo=vietnam)  # 17:00 UTC
    with engine.connect() as connection:
        found = connection.execute(select(table.c.at).where(table.c.at >= midnight_in_vietnam)).scalar_one()
    assert found == datetime(2026, 11, 24, 17, 30, tzinfo=UTC)
    assert found.tzinfo is not None


class NamesWithTally(Names):
    def define_tables(self, metadata: MetaData) -> None:
        super().define_tables(metadata)
        self.tally = Table("names_test_tally", metadata, Column("n", Integer, primary_key=True))


def test_a_read_model_that_gained_a_table_is_rebuilt_from_zero(database_url: str) -> None:
    engine = create_engine(database_url)
    Names(engine).process_many("S", [(1, event("a"))])
    grown = NamesWithTally(engine)
    assert (grown.count(), grown.last_position("S")) == (0, 0)


class PickyNames(Names):
    """A read model with a bug: it cannot take a name that starts with "!"."""

    def apply(self, connection: Connection, envelope: events_pb2.EventEnvelope) -> None:
        if envelope.data["name"].startswith("!"):
            raise ValueError("name starts with !")
        super().apply(connection, envelope)


def test_an_event_that_cannot_be_applied_is_put_aside_and_the_others_go_on(database_url: str) -> None:
    projection = PickyNames(create_engine(database_url))
    projection.process_many("S", [(1, event("a")), (2, event("!x")), (3, event("c"))])
    projection.process_many("S", [(2, event("!x")), (4, event("d"))])  # redelivered: not put aside twice
    assert (projection.count(), projection.last_position("S")) == (3, 4)
    assert projection.dead_letter_reasons() == [("S", 2, "ValueError: name starts with !")]


def test_a_rebuild_tries_the_events_put_aside_again(database_url: str) -> None:
    projection = PickyNames(create_engine(database_url))
    projection.process_many("S", [(1, event("!x"))])
    projection.reset()
    fixed = Names(create_engine(database_url))
    fixed.process_many("S", [(1, event("!x"))])
    assert (fixed.count(), fixed.dead_letter_reasons()) == (1, [])


class Tallies(SqlProjection):
    """A set-based read model: how often each name was given, counted in memory per batch."""

    name = "tallies_test"

    def define_tables(self, metadata: MetaData) -> None:
        self.tallies = Table(
            "tallies_test_tallies", metadata, Column("name", String(50), primary_key=True), Column("n", Integer)
        )
        self.firsts = Table("tallies_test_firsts", metadata, Column("name", String(50), primary_key=True))

    def apply(self, connection: Connection, envelope: events_pb2.EventEnvelope) -> None:
        self.apply_batch(connection, [(0, envelope)])

    def apply_batch(self, connection: Connection, events: Sequence[tuple[int, events_pb2.EventEnvelope]]) -> None:
        tallies, firsts = RowCache(connection, self.tallies), RowCache(connection, self.firsts)
        tallies.preload(envelope.data["name"] for _, envelope in events)
        for _, envelope in events:
            name = envelope.data["name"]
            if envelope.event == "First":  # a name said to be first twice breaks the primary key, at flush
                firsts.put({"name": name})
            elif (row := tallies.get(name)) is None:
                tallies.put({"name": name, "n": 1})
            else:
                tallies.update(name, n=row["n"] + 1)
        tallies.flush()
        firsts.flush()

    def rows(self) -> dict[str, int]:
        with self.engine.connect() as connection:
            return {name: n for name, n in connection.execute(select(self.tallies.c.name, self.tallies.c.n))}


def test_a_batch_applied_set_based_equals_its_events_applied_one_by_one(database_url: str) -> None:
    names = ["a", "b", "a", "c", "a", "b"]
    batched = Tallies(create_engine(database_url))
    batched.process_many("S", [(i, event(name)) for i, name in enumerate(names[:4], 1)])
    batched.process_many("S", [(i, event(name)) for i, name in enumerate(names, 1)])  # 1-4 redelivered
    assert (batched.rows(), batched.last_position("S")) == ({"a": 3, "b": 2, "c": 1}, 6)
    batched.reset()
    for i, name in enumerate(names, 1):
        batched.process("S", i, event(name))
    assert batched.rows() == {"a": 3, "b": 2, "c": 1}


def test_a_set_based_write_that_fails_puts_aside_only_the_event_that_broke_it(database_url: str) -> None:
    projection = Tallies(create_engine(database_url))
    first = events_pb2.EventEnvelope(event="First", data=event("a").data)
    projection.process_many("S", [(1, first), (2, event("a"))])
    projection.process_many("S", [(3, event("a")), (4, first), (5, event("b"))])  # 4 fails at flush
    assert (projection.rows(), projection.last_position("S")) == ({"a": 2, "b": 1}, 5)
    [(stream, position, reason)] = projection.dead_letter_reasons()
    assert (stream, position) == ("S", 4)
    assert "IntegrityError" in reason


def test_an_events_data_reads_as_message_to_dict_reads_it() -> None:
    from google.protobuf.json_format import MessageToDict

    from lienthong.consumer import data_of

    data = struct_pb2.Struct()
    values = {"s": "Tờ trình", "n": 3, "f": 2.5, "t": True, "z": None, "l": [1, "a", {"k": [False]}], "d": {"e": {}}}
    data.update(values)
    envelope = events_pb2.EventEnvelope(event="E", data=data)
    assert data_of(envelope) == MessageToDict(envelope.data)
    assert data_of(envelope)["l"][2] == {"k": [False]}
