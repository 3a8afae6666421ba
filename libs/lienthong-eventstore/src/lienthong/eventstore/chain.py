"""Tamper evidence: every stored event is chained to the one before it by a SHA-256 hash.

A sealer follows the application's event log and records, for each event in log order,
`hash = SHA-256(previous hash ‖ position ‖ aggregate id ‖ version ‖ topic ‖ stored state)` in the table
`<name>_chain`. `verify_chain` recomputes every link from the events as they are now and reports the first
one that no longer matches: an event altered, deleted or moved in the database breaks its link (and, through
the previous-hash, every later one). Events are exposed until sealed (the sealer runs within a second of a
save), and removing the newest events together with their links needs a signed checkpoint to detect.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import threading
from dataclasses import dataclass

from eventsourcing.persistence import Notification
from sqlalchemy import BigInteger, Column, Engine, MetaData, String, Table, func, insert, select

from lienthong.eventstore.application import StoredApplication

log = logging.getLogger(__name__)

GENESIS = "0" * 64
_BATCH = 1000


def link_hash(previous: str, event: Notification) -> str:
    """The chain hash of `event` after the link `previous`."""
    digest = hashlib.sha256()
    for part in (previous, str(event.id), str(event.originator_id), str(event.originator_version), event.topic):
        digest.update(part.encode())
        digest.update(b"\x00")
    digest.update(event.state)
    return digest.hexdigest()


class ChainTable:
    """`<name>_chain(position, hash)`: the sealed links of an application's log."""

    def __init__(self, engine: Engine, prefix: str) -> None:
        self._engine = engine
        self.table = Table(
            f"{prefix}_chain",
            MetaData(),
            Column("position", BigInteger, primary_key=True, autoincrement=False),
            Column("hash", String(64), nullable=False),
        )
        self.table.create(engine, checkfirst=True)

    def last(self) -> tuple[int, str]:
        """The position and hash of the last sealed link, (0, GENESIS) before the first."""
        with self._engine.connect() as connection:
            row = connection.execute(
                select(self.table.c.position, self.table.c.hash).order_by(self.table.c.position.desc()).limit(1)
            ).first()
        return (int(row[0]), str(row[1])) if row else (0, GENESIS)

    def links(self, after: int, limit: int) -> list[tuple[int, str]]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(self.table.c.position, self.table.c.hash)
                .where(self.table.c.position > after)
                .order_by(self.table.c.position)
                .limit(limit)
            ).all()
        return [(int(position), str(value)) for position, value in rows]

    def count(self) -> int:
        with self._engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(self.table)).scalar_one())

    def append(self, links: list[tuple[int, str]]) -> None:
        with self._engine.begin() as connection:
            connection.execute(insert(self.table), [{"position": p, "hash": h} for p, h in links])


class ChainSealer:
    """Seals the events of an application into its chain, in log order, as they are stored."""

    def __init__(self, app: StoredApplication) -> None:
        self._app = app
        self._chain = ChainTable(app.engine, app.name.lower())
        self._lock = threading.Lock()
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def seal(self) -> int:
        """Seal every event stored so far; return how many links were added."""
        added = 0
        with self._lock:
            position, previous = self._chain.last()
            while True:
                events = self._app.recorder.select_notifications(start=position + 1, limit=_BATCH)
                if not events:
                    return added
                links = []
                for event in events:
                    previous = link_hash(previous, event)
                    links.append((event.id, previous))
                self._chain.append(links)
                position = events[-1].id
                added += len(links)

    async def run(self, interval: float = 1.0) -> None:
        """Seal after every save (and every `interval` seconds) until cancelled."""
        self._loop = asyncio.get_running_loop()
        self._app.add_save_listener(self._wake_from_thread)
        while True:
            self._wake.clear()
            try:
                await asyncio.to_thread(self.seal)
            except Exception:
                log.exception("sealing the event chain failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=interval)

    def _wake_from_thread(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)


@dataclass(frozen=True)
class ChainVerdict:
    """The result of re-computing a chain: how many links held, and the first that did not, with why."""

    checked: int
    broken_at: int | None
    reason: str

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify_chain(app: StoredApplication) -> ChainVerdict:
    """Recompute every sealed link from the events as stored now; report the first broken one."""
    chain = ChainTable(app.engine, app.name.lower())
    previous, checked, after = GENESIS, 0, 0
    while True:
        links = chain.links(after, _BATCH)
        if not links:
            return ChainVerdict(checked, None, f"{checked} events intact")
        events = {
            e.id: e for e in app.recorder.select_notifications(start=after + 1, limit=len(links), stop=links[-1][0])
        }
        for position, sealed in links:
            event = events.get(position)
            if event is None:
                return ChainVerdict(checked, position, f"event {position} was sealed but is no longer stored")
            previous = link_hash(previous, event)
            if previous != sealed:
                return ChainVerdict(
                    checked,
                    position,
                    f"event {position} (aggregate {event.originator_id}, version {event.originator_version}) "
                    "does not match its sealed hash: it was altered or moved",
                )
            checked += 1
        after = links[-1][0]
