"""The lease row of a (service, work) in the service's database, with its fencing token.

Expiry is judged by the database's clock (`now()`), never by the replicas' clocks, so replicas whose clocks
disagree still agree on who holds a lease. The holder itself stops earlier, by its own monotonic clock
(see `SingleActive`), so that it has stopped before any other replica can take the lease over.
"""

from __future__ import annotations

import os
import socket
import uuid
from typing import Protocol

from sqlalchemy import BigInteger, Column, Connection, DateTime, Engine, MetaData, String, Table, inspect, text
from sqlalchemy.exc import IntegrityError, ProgrammingError

DEFAULT_SECONDS = 6.0


def lease_seconds() -> float:
    """`LIENTHONG_LEASE_SECONDS` (6): how long a lease lasts unless renewed; renewed every third of it."""
    return float(os.environ.get("LIENTHONG_LEASE_SECONDS", str(DEFAULT_SECONDS)))


def holder_name() -> str:
    """A name for this process as a lease holder: host, process id and a random part (a restarted
    process with the same pid in the same container is another holder)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease(Protocol):
    """What `SingleActive` and `Fence` need of a lease."""

    work: str
    seconds: float

    def acquire(self) -> int | None:
        """Take the lease if it is free, expired or already ours: the new fencing token, else None."""
        ...

    def renew(self, token: int) -> bool:
        """Extend the lease held with `token`; False when another holder took it over meanwhile."""
        ...

    def release(self, token: int) -> None:
        """Let the lease go at once (a graceful stop), so that another replica takes it without waiting."""
        ...

    def check(self, connection: Connection, token: int) -> bool:
        """Whether `token` is still the lease's token; on PostgreSQL the lease row stays locked until the
        caller's transaction ends, so that no takeover can commit between this check and the caller's writes."""
        ...


class PostgresLease:
    """A lease row in `<prefix>_leases(work, holder, token, expires_at)` of a PostgreSQL database."""

    def __init__(self, engine: Engine, prefix: str, work: str, *, seconds: float | None = None) -> None:
        self._engine = engine
        self.work = work
        self.seconds = seconds if seconds is not None else lease_seconds()
        self.holder = holder_name()
        self.name = f"{prefix}_leases"
        self.table = Table(
            self.name,
            MetaData(),
            Column("work", String(200), primary_key=True),
            Column("holder", String(200), nullable=False),
            Column("token", BigInteger, nullable=False),
            Column("expires_at", DateTime(timezone=True), nullable=False),
        )
        try:
            self.table.create(engine, checkfirst=True)
        except (IntegrityError, ProgrammingError):
            # Replicas starting together both found no table and both created it: one won, which is enough.
            if not inspect(engine).has_table(self.name):
                raise

    def acquire(self) -> int | None:
        statement = text(
            f"INSERT INTO {self.name} AS lease (work, holder, token, expires_at) "
            "VALUES (:work, :holder, 1, now() + make_interval(secs => :seconds)) "
            "ON CONFLICT (work) DO UPDATE SET holder = excluded.holder, token = lease.token + 1, "
            "expires_at = excluded.expires_at "
            "WHERE lease.expires_at < now() OR lease.holder = excluded.holder "
            "RETURNING token"
        )
        with self._engine.begin() as connection:
            row = connection.execute(
                statement, {"work": self.work, "holder": self.holder, "seconds": self.seconds}
            ).first()
        return int(row[0]) if row else None

    def renew(self, token: int) -> bool:
        statement = text(
            f"UPDATE {self.name} SET expires_at = now() + make_interval(secs => :seconds) "
            "WHERE work = :work AND holder = :holder AND token = :token"
        )
        with self._engine.begin() as connection:
            result = connection.execute(
                statement, {"work": self.work, "holder": self.holder, "token": token, "seconds": self.seconds}
            )
        return result.rowcount == 1

    def release(self, token: int) -> None:
        statement = text(
            f"UPDATE {self.name} SET expires_at = now() - interval '1 second' "
            "WHERE work = :work AND holder = :holder AND token = :token"
        )
        with self._engine.begin() as connection:
            connection.execute(statement, {"work": self.work, "holder": self.holder, "token": token})

    def check(self, connection: Connection, token: int) -> bool:
        # Writing the row unchanged takes its row lock: a takeover (which writes the token) waits for the
        # caller's commit, and a write after a takeover finds the token changed.
        statement = text(f"UPDATE {self.name} SET token = token WHERE work = :work AND token = :token")
        return connection.execute(statement, {"work": self.work, "token": token}).rowcount == 1

    def holder_of(self) -> tuple[str, int] | None:
        """(holder, token) of the lease as stored, for tests and operators."""
        with self._engine.connect() as connection:
            row = connection.execute(
                text(f"SELECT holder, token FROM {self.name} WHERE work = :work"), {"work": self.work}
            ).first()
        return (str(row[0]), int(row[1])) if row else None


class AlwaysHeld:
    """The lease of a service on SQLite: one process owns the database file, so it always holds it."""

    def __init__(self, work: str, *, seconds: float | None = None) -> None:
        self.work = work
        self.seconds = seconds if seconds is not None else lease_seconds()

    def acquire(self) -> int | None:
        return 1

    def renew(self, token: int) -> bool:
        return True

    def release(self, token: int) -> None:
        return None

    def check(self, connection: Connection, token: int) -> bool:
        return True


def lease_for(engine: Engine, service: str, work: str = "single-active", *, seconds: float | None = None) -> Lease:
    """The lease of `service`'s `work` in its own database: a lease row on PostgreSQL, always held on SQLite."""
    if engine.dialect.name == "postgresql":
        return PostgresLease(engine, service.lower(), work, seconds=seconds)
    return AlwaysHeld(work, seconds=seconds)


def create_lease_table(engine: Engine, service: str) -> list[str]:
    """Create (if missing) the table `lease_for` keeps `service`'s leases in; its name, or none on SQLite
    (where a lease needs no table). What a service's `migrate` module runs besides its own tables."""
    if engine.dialect.name != "postgresql":
        return []
    return [PostgresLease(engine, service.lower(), "single-active").name]
