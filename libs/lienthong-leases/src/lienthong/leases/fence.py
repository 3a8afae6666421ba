"""The fencing token of the lease a replica holds, checked in the transaction of every guarded write."""

from __future__ import annotations

from sqlalchemy import Connection

from lienthong.leases.table import Lease


class LeaseLost(Exception):
    """A write guarded by a lease was refused: this replica no longer holds the lease (another took it over)."""


class Fence:
    """Holds the token of the current lease, if any. `check(connection)`, called inside the transaction of a
    guarded write (a relay's position, the chain, a checkpoint), raises `LeaseLost` unless the token is
    still the lease's, so that the transaction rolls back: a replica that lost its lease cannot overwrite
    what the new holder wrote."""

    def __init__(self, lease: Lease) -> None:
        self.lease = lease
        self.token: int | None = None

    @property
    def held(self) -> bool:
        return self.token is not None

    def check(self, connection: Connection) -> None:
        token = self.token
        if token is None:
            raise LeaseLost(f"lease {self.lease.work} is not held by this replica")
        if not self.lease.check(connection, token):
            self.token = None
            raise LeaseLost(f"lease {self.lease.work} was taken over (token {token} is stale)")
