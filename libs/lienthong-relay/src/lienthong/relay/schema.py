"""The tables an event store needs besides its events: the hash chain, its signed checkpoints and the
relay's saved positions."""

from __future__ import annotations

from lienthong.eventstore import StoredApplication
from lienthong.eventstore.chain import ChainTable, CheckpointTable
from lienthong.relay.positions import PositionTable


def create_store_tables(app: StoredApplication) -> list[str]:
    """Create (if missing) `<name>_chain`, `<name>_checkpoints` and `<name>_positions`; return the names of
    the store's tables (`<name>_events` included, which the application created)."""
    prefix = app.name.lower()
    ChainTable(app.engine, prefix)
    CheckpointTable(app.engine, prefix)
    PositionTable(app.engine, prefix=prefix)
    return [f"{prefix}_events", f"{prefix}_chain", f"{prefix}_checkpoints", f"{prefix}_positions"]
