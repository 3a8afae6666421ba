"""RowCache writes back what a batch changed, each value as it was given, on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Date, Engine, MetaData, String, Table, Text, create_engine, select

from lienthong.consumer import UtcDateTime, utc_row
from lienthong.consumer.rows import RowCache

HANOI = timezone(timedelta(hours=7))
AWKWARD = ['Tờ trình "số 1", {khẩn}', "a\\b", "NULL", "", " , ", "(1,2)", "x" * 5000]  # quoting's and parsing's enemies


def tables(engine: Engine) -> tuple[Table, Table]:
    metadata = MetaData()
    things = Table(
        "rows_test_things",
        metadata,
        Column("code", String(13), primary_key=True),
        Column("day", Date, primary_key=True),
        Column("title", Text, nullable=False, default=""),
        Column("count", BigInteger, nullable=False, default=0),
        Column("open", Boolean),
        Column("at", UtcDateTime()),
    )
    pairs = Table(
        "rows_test_pairs",
        metadata,
        Column("left", String(20), primary_key=True),
        Column("right", String(20), primary_key=True),
    )
    metadata.drop_all(engine)
    metadata.create_all(engine)
    return things, pairs


def stored(engine: Engine, table: Table) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return sorted((utc_row(row._mapping) for row in connection.execute(select(table))), key=by_key)


def by_key(row: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(row[name]) for name in ("code", "day", "left", "right") if name in row)


def test_new_and_changed_rows_are_written_back_value_for_value(database_url: str) -> None:
    engine = create_engine(database_url)
    things, pairs = tables(engine)
    made = [
        {"code": f"C{i}", "day": date(2026, 1, 1) + timedelta(days=i), "title": title, "count": 2**40 + i}
        for i, title in enumerate(AWKWARD)
    ]
    made[0] |= {"open": True, "at": datetime(2026, 3, 1, 8, 30, tzinfo=HANOI)}
    with engine.begin() as connection:
        rows = RowCache(connection, things)
        for row in made:
            rows.put(row)
        rows.put({"code": "D", "day": date(2026, 2, 1)})  # every other column from its default, or NULL
        pair_rows = RowCache(connection, pairs)
        pair_rows.put({"left": "a", "right": "b"})
        rows.flush()
        pair_rows.flush()
    with engine.begin() as connection:
        rows, pair_rows = RowCache(connection, things), RowCache(connection, pairs)
        rows.preload([("C1", date(2026, 1, 2)), ("D", date(2026, 2, 1)), ("E", date(2026, 2, 2))])
        rows.update(("C1", date(2026, 1, 2)), title="đã sửa", open=False, at=datetime(2026, 3, 2, tzinfo=UTC))
        rows.update(("D", date(2026, 2, 1)), count=7, title=AWKWARD[0])
        rows.update(("E", date(2026, 2, 2)), count=1)  # no such row: nothing, as an UPDATE matching none
        rows.put({"code": "F", "day": date(2026, 2, 3), "title": "mới"})
        pair_rows.preload([("a", "b"), ("c", "d")])
        pair_rows.put({"left": "a", "right": "b"})  # exists already, and a table of keys only has nothing to change
        pair_rows.put({"left": "c", "right": "d"})
        rows.flush()
        pair_rows.flush()

    expected = [{"open": None, "at": None, **row} for row in made]
    expected[0]["at"] = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)
    expected[1] |= {"title": "đã sửa", "open": False, "at": datetime(2026, 3, 2, tzinfo=UTC)}
    expected.append({"code": "D", "day": date(2026, 2, 1), "title": AWKWARD[0], "count": 7, "open": None, "at": None})
    expected.append({"code": "F", "day": date(2026, 2, 3), "title": "mới", "count": 0, "open": None, "at": None})
    assert stored(engine, things) == sorted(expected, key=by_key)
    assert stored(engine, pairs) == [{"left": "a", "right": "b"}, {"left": "c", "right": "d"}]


def test_many_times_a_preload_chunk_of_rows_are_all_read_and_written_back(database_url: str) -> None:
    engine = create_engine(database_url)
    things, _ = tables(engine)
    many = 12_345  # many times the rows one SELECT of the preload reads (rows._CHUNK)
    with engine.begin() as connection:
        rows = RowCache(connection, things)
        for i in range(many):
            rows.put({"code": str(i), "day": date(2026, 1, 1), "count": i})
        rows.flush()
    with engine.begin() as connection:
        rows = RowCache(connection, things)
        rows.preload((str(i), date(2026, 1, 1)) for i in range(many))
        for i in range(0, many, 2):
            rows.update((str(i), date(2026, 1, 1)), count=-i)
        rows.flush()
    counts = {row["code"]: row["count"] for row in stored(engine, things)}
    assert counts == {str(i): -i if i % 2 == 0 else i for i in range(many)}
