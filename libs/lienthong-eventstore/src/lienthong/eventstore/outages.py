"""The exceptions that mean the database cannot be reached now (not that the request was wrong).

A call that meets one of them gets UNAVAILABLE, so that a client retries, instead of UNKNOWN.
"""

from __future__ import annotations

from eventsourcing import persistence
from sqlalchemy import exc

DATABASE_UNREACHABLE: tuple[type[Exception], ...] = (
    persistence.OperationalError,
    persistence.InterfaceError,
    persistence.ConnectionUnavailableError,
    exc.OperationalError,
    exc.InterfaceError,
    exc.DisconnectionError,
    exc.TimeoutError,
)
