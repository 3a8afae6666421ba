"""INSERTs that say what to do when the row is there already, in PostgreSQL's or SQLite's dialect."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_of(connection: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that can say what to do on conflict, in the connection's dialect (PostgreSQL or SQLite)."""
    match connection.dialect.name:
        case "postgresql":
            return postgresql.insert(table)
        case "sqlite":
            return sqlite.insert(table)
        case other:  # pragma: no cover - lienthong runs on PostgreSQL, or SQLite when embedded
            raise NotImplementedError(f"the reporting read model does not support {other}")


def insert_new(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT the rows whose primary key is not in `table` yet, in one statement with many parameter sets;
    a row already there (an event published twice) is left as it is."""
    if rows:
        connection.execute(insert_of(connection, table).on_conflict_do_nothing(), list(rows))
