"""INSERTs that say what to do when the row is there already, in PostgreSQL's or SQLite's dialect."""

from __future__ import annotations

from sqlalchemy import Column, Connection, Table
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


def inserted(connection: Connection, insert: postgresql.Insert | sqlite.Insert, key: Column[str]) -> bool:
    """Insert the row unless its key is there already; say whether it was inserted.

    RETURNING says so on both databases; `rowcount` of an INSERT is -1 with psycopg 3 under SQLAlchemy.
    """
    return connection.execute(insert.on_conflict_do_nothing().returning(key)).first() is not None
