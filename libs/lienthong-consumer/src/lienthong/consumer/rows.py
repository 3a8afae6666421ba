"""The rows a batch of events changes, held in memory and written with one statement per table and kind.

A projection that applies a batch reads the rows its events touch in one SELECT per table (`preload`),
changes them in memory (`get`, `put`, `update`), and writes them back at the end (`flush`): one
executemany INSERT of the new rows and one executemany UPDATE of the changed ones, instead of a statement
per event. The transaction is the caller's; nothing is written before `flush`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any

from sqlalchemy import Column, Connection, Table, and_, bindparam, insert, select, tuple_, update
from sqlalchemy.sql.schema import ScalarElementColumnDefault

# SQLite accepts 32,766 bound values per statement since 3.32 and PostgreSQL 65,535: stay well under both.
_CHUNK = 500

Row = dict[str, Any]


class RowCache:
    """The rows of one table a batch reads and changes, by primary key (a value, or a tuple of values)."""

    def __init__(self, connection: Connection, table: Table) -> None:
        self._connection = connection
        self._table = table
        self._key_columns = [column.name for column in table.primary_key.columns]
        self._rows: dict[Hashable, Row | None] = {}  # None: known not to exist
        self._stored: set[Hashable] = set()  # keys whose row exists in the database
        self._dirty: set[Hashable] = set()
        self._defaults = {column.name: _scalar_default(column) for column in table.columns}

    def preload(self, keys: Iterable[Hashable]) -> None:
        """Read the rows of `keys` not read yet, in as few SELECTs as the database allows."""
        missing = list(dict.fromkeys(key for key in keys if key not in self._rows))
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start : start + _CHUNK]
            for key in chunk:
                self._rows[key] = None
            for row in self._connection.execute(select(self._table).where(self._matching(chunk))):
                mapping = dict(row._mapping)
                key = self._key_of(mapping)
                self._rows[key] = mapping
                self._stored.add(key)

    def get(self, key: Hashable) -> Row | None:
        """The row of `key` as the batch left it so far; None when there is none."""
        if key not in self._rows:
            self.preload([key])
        return self._rows[key]

    def put(self, row: Row) -> Row:
        """Create the row (columns left out take their declared defaults) or replace it; return it."""
        full = {**self._defaults, **row}
        key = self._key_of(full)
        self._rows[key] = full
        self._dirty.add(key)
        return full

    def update(self, key: Hashable, **values: Any) -> Row | None:
        """Change columns of the row of `key`; nothing when there is none (as an UPDATE matching no row)."""
        row = self.get(key)
        if row is None:
            return None
        row.update(values)
        self._dirty.add(key)
        return row

    def rows_where(self, test: Callable[[Row], bool]) -> list[Row]:
        """The rows read or made so far that pass `test` (rows the batch has not read are not seen)."""
        return [row for row in self._rows.values() if row is not None and test(row)]

    def flush(self) -> None:
        """Write every new and changed row: one INSERT and one UPDATE, each with many parameter sets."""
        dirty = [(key, row) for key in self._dirty if (row := self._rows[key]) is not None]
        new = [row for key, row in dirty if key not in self._stored]
        changed = [row for key, row in dirty if key in self._stored]
        if new:
            self._connection.execute(insert(self._table), new)
        others = [column.name for column in self._table.columns if column.name not in self._key_columns]
        if changed and others:  # a table of key columns only has nothing to update: its row exists or not
            statement = (
                update(self._table)
                .where(and_(*(self._table.c[name] == bindparam(f"key_{name}") for name in self._key_columns)))
                .values({name: bindparam(name) for name in others})
            )
            parameters = [
                {**{name: row[name] for name in others}, **{f"key_{name}": row[name] for name in self._key_columns}}
                for row in changed
            ]
            self._connection.execute(statement, parameters)
        self._stored.update(key for key, _ in dirty)
        self._dirty.clear()

    def _key_of(self, row: Row) -> Hashable:
        if len(self._key_columns) == 1:
            key: Hashable = row[self._key_columns[0]]
            return key
        return tuple(row[name] for name in self._key_columns)

    def _matching(self, keys: list[Hashable]) -> Any:
        if len(self._key_columns) == 1:
            return self._table.c[self._key_columns[0]].in_(keys)
        return tuple_(*(self._table.c[name] for name in self._key_columns)).in_(keys)


def _scalar_default(column: Column[Any]) -> Any:
    """The value a column takes when an INSERT leaves it out: its declared constant, else NULL."""
    default = column.default
    return default.arg if isinstance(default, ScalarElementColumnDefault) else None
