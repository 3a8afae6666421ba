"""INSERTs that say what to do when the row is there already, in PostgreSQL's or SQLite's dialect."""

from __future__ import annotations

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
