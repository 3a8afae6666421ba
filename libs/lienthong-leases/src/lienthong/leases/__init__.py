"""Leases for single-active work: one replica of a service at a time runs its relay, delivery, checkpoints.

A lease row per (service, work) in the service's PostgreSQL carries a fencing token, incremented on every
takeover; `SingleActive` runs the work only while its replica holds the lease, and what the work writes is
guarded by the token (`Fence.check`). On SQLite (one machine, one process) the lease is always held.
"""

from lienthong.leases.fence import Fence, LeaseLost
from lienthong.leases.single import SingleActive
from lienthong.leases.table import AlwaysHeld, Lease, PostgresLease, create_lease_table, lease_for, lease_seconds

__all__ = [
    "AlwaysHeld",
    "Fence",
    "Lease",
    "LeaseLost",
    "PostgresLease",
    "SingleActive",
    "create_lease_table",
    "lease_for",
    "lease_seconds",
]
