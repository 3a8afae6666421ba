"""Named positions kept in a small SQL table beside the data they describe."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Connection, Engine, MetaData, String, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite


class PositionTable:
    """A table `<prefix>_positions(name, position)`: how far a relay or a consumer has got.

    Reads and writes take an open connection so that a consumer can move its position in the same
    transaction as its own writes.
    """

    def __init__(self, engine: Engine, prefix: str) -> None:
        self._engine = engine
        self._table = Table(
            f"{prefix}_positions",
            MetaData(),
            Column("name", String(200), primary_key=True),
            Column("position", BigInteger, nullable=False),
        )
        self._table.create(engine, checkfirst=True)

    def get(self, connection: Connection, name: str, *, lock: bool = False) -> int:
        """The saved position of `name` (0 if none); with `lock`, the row stays locked until the transaction
        ends, so that two processes feeding one read model take turns instead of both applying.

        The lock is taken by writing the row unchanged: a row lock in PostgreSQL, the database write lock
        in SQLite (whose transactions otherwise start reading without any lock).
        """
        if lock:
            row_of = self._table.c.name == name
            connection.execute(update(self._table).where(row_of).values(position=self._table.c.position))
        row = connection.execute(select(self._table.c.position).where(self._table.c.name == name)).first()
        return int(row[0]) if row else 0

    def set(self, connection: Connection, name: str, position: int) -> None:
        """Save the position of `name`."""
        values = {"name": name, "position": position}
        if connection.dialect.name == "postgresql":
            pg = postgresql.insert(self._table).values(values)
            connection.execute(pg.on_conflict_do_update(index_elements=["name"], set_={"position": position}))
        elif connection.dialect.name == "sqlite":
            lite = sqlite.insert(self._table).values(values)
            connection.execute(lite.on_conflict_do_update(index_elements=["name"], set_={"position": position}))
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            connection.execute(update(self._table).where(self._table.c.name == name).values(values))

    def ensure(self, name: str) -> None:
        """Create the row of `name` at position 0 if it is missing, so that it can be locked."""
        values = {"name": name, "position": 0}
        with self._engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(postgresql.insert(self._table).values(values).on_conflict_do_nothing())
            else:
                connection.execute(sqlite.insert(self._table).values(values).on_conflict_do_nothing())

    def any(self) -> bool:
        """Whether any position is saved (the reader has been fed)."""
        with self._engine.connect() as connection:
            return connection.execute(select(self._table.c.name).limit(1)).first() is not None

    def read(self, name: str) -> int:
        """The saved position of `name`, in a transaction of its own."""
        with self._engine.connect() as connection:
            return self.get(connection, name)

    def write(self, name: str, position: int) -> None:
        """Save the position of `name`, in a transaction of its own."""
        with self._engine.begin() as connection:
            self.set(connection, name, position)

    def lock_all(self, connection: Connection) -> None:
        """Lock every position row until the transaction ends (see `get`)."""
        connection.execute(update(self._table).values(position=self._table.c.position))

    def zero_all(self, connection: Connection) -> None:
        """Set every position to zero, keeping the rows (and so their locks) in place."""
        connection.execute(update(self._table).values(position=0))

    def delete_all(self, connection: Connection) -> None:
        """Forget every position (a rebuild starts from zero)."""
        connection.execute(self._table.delete())
