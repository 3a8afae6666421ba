"""Tamper evidence: every stored event is chained to the one before it by a SHA-256 hash.

A sealer follows the application's event log and records, for each event in log order,
`hash = SHA-256(previous hash ‖ position ‖ aggregate id ‖ version ‖ topic ‖ stored state)` in the table
`<name>_chain`. `verify_chain` recomputes every link from the events as they are now and reports the first
one that no longer matches: an event altered, deleted or moved in the database breaks its link (and, through
the previous-hash, every later one). Events are exposed until sealed (the sealer runs within a second of a
save), and removing the newest events together with their links needs a signed checkpoint to detect.

Signed checkpoints. The chain table is kept beside the events, so someone who can edit the events can also
recompute every link after an edit. A `Checkpointer` therefore records, now and then, the head of the log:
`(position, events, hash)`, where `hash` is the chain's running hash at `position` (SHA-256 over the whole
log in position order, so it covers every aggregate) and `events` how many events the log held up to it;
it has this signed by the signing service with a platform key its CA issued, and keeps it in
`<name>_checkpoints`. `verify_checkpoint` checks every checkpoint's signature (through a function the
caller gives, which also checks the certificate) and recomputes the running hash from the events themselves,
not from the chain table, in one pass: a deleted, altered or reordered event up to the newest checkpoint is
reported, between the positions of the last checkpoint that held and the first that did not, even when the
chain table was recomputed to match. Events after the newest checkpoint rely on the chain alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from eventsourcing.persistence import Notification
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
)

from lienthong.eventstore.application import StoredApplication

log = logging.getLogger(__name__)

GENESIS = "0" * 64
_BATCH = 1000

# Called inside the transaction of a write that only the holder of the service's lease may make (its
# fencing token is checked there, see lienthong.leases); raises to refuse it.
Guard = Callable[[Connection], None]


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

    def count_until(self, position: int) -> int:
        """How many links were sealed up to `position` (one per event)."""
        query = select(func.count()).select_from(self.table).where(self.table.c.position <= position)
        with self._engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def append(self, links: list[tuple[int, str]], guard: Guard | None = None) -> None:
        with self._engine.begin() as connection:
            if guard is not None:
                guard(connection)
            connection.execute(insert(self.table), [{"position": p, "hash": h} for p, h in links])


class ChainSealer:
    """Seals the events of an application into its chain, in log order, as they are stored."""

    def __init__(self, app: StoredApplication, guard: Guard | None = None) -> None:
        self._app = app
        self._guard = guard
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
                self._chain.append(links, self._guard)
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
                reason = f"event {position} was sealed but is no longer stored"
                return ChainVerdict(checked, position, reason + _whose_event_is_missing(app, position))
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


def _whose_event_is_missing(app: StoredApplication, position: int) -> str:
    """Which aggregate lost the event deleted at `position`, told by a later event of that aggregate whose
    previous version is not stored any more; empty when no event after it says (it was its aggregate's last)."""
    for later in app.recorder.select_notifications(start=position + 1, limit=_BATCH):
        version = later.originator_version
        if version > 1 and not app.recorder.select_events(later.originator_id, gt=version - 2, lte=version - 1):
            return f": aggregate {later.originator_id} lacks version {version - 1}"
    return ""


@dataclass(frozen=True)
class Checkpoint:
    """The head of a service's log as signed: up to `position` the log held `events` events and hashed to
    `hash`; `signature` is over `checkpoint_message(...)`, by the key of `certificate` (PEM)."""

    service: str
    position: int
    events: int
    hash: str
    signed_at: datetime
    signature: bytes
    certificate: str

    def message(self) -> bytes:
        return checkpoint_message(self.service, self.position, self.events, self.hash, self.signed_at)


def checkpoint_message(service: str, position: int, events: int, head: str, signed_at: datetime) -> bytes:
    """What a checkpoint's signature covers: a fixed text, so no other signed data can pass for one."""
    stamp = signed_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"lienthong-checkpoint/v1\n{service}\n{position}\n{events}\n{head}\n{stamp}\n".encode()


# Signs a checkpoint's head: (service, position, events, hash) → (signed at, signature, certificate PEM).
CheckpointSigner = Callable[[str, int, int, str], Awaitable[tuple[datetime, bytes, str]]]
# Raises ValueError when `signature` over `message` is not by a key of the platform's CA (certificate PEM).
SignatureCheck = Callable[[bytes, bytes, str], None]


class CheckpointTable:
    """`<name>_checkpoints`: the signed heads of an application's log, oldest first."""

    def __init__(self, engine: Engine, prefix: str) -> None:
        self._engine = engine
        self.table = Table(
            f"{prefix}_checkpoints",
            MetaData(),
            Column("position", BigInteger, primary_key=True, autoincrement=False),
            Column("events", BigInteger, nullable=False),
            Column("hash", String(64), nullable=False),
            Column("signed_at", DateTime(timezone=True), nullable=False),
            Column("signature", LargeBinary, nullable=False),
            Column("certificate", Text, nullable=False),
        )
        self.table.create(engine, checkfirst=True)

    def latest(self, service: str) -> Checkpoint | None:
        found = self.all(service, newest_only=True)
        return found[0] if found else None

    def all(self, service: str, *, newest_only: bool = False) -> list[Checkpoint]:
        """Every checkpoint, oldest first (or only the newest)."""
        query = select(self.table).order_by(self.table.c.position.desc() if newest_only else self.table.c.position)
        with self._engine.connect() as connection:
            rows = connection.execute(query.limit(1) if newest_only else query).all()
        return [
            Checkpoint(
                service,
                int(row.position),
                int(row.events),
                row.hash,
                row.signed_at if row.signed_at.tzinfo else row.signed_at.replace(tzinfo=UTC),
                bytes(row.signature),
                row.certificate,
            )
            for row in rows
        ]

    def add(self, checkpoint: Checkpoint, guard: Guard | None = None) -> None:
        with self._engine.begin() as connection:
            if guard is not None:
                guard(connection)
            connection.execute(
                insert(self.table).values(
                    position=checkpoint.position,
                    events=checkpoint.events,
                    hash=checkpoint.hash,
                    signed_at=checkpoint.signed_at,
                    signature=checkpoint.signature,
                    certificate=checkpoint.certificate,
                )
            )


class Checkpointer:
    """Has the head of the sealed chain signed now and then, and keeps each signed head."""

    def __init__(
        self, app: StoredApplication, service: str, sign: CheckpointSigner, guard: Guard | None = None
    ) -> None:
        self._app = app
        self._guard = guard
        self._service = service
        self._sign = sign
        self._chain = ChainTable(app.engine, app.name.lower())
        self._checkpoints = CheckpointTable(app.engine, app.name.lower())

    async def checkpoint(self) -> Checkpoint | None:
        """Sign the head of the chain if it moved since the last checkpoint; return the new checkpoint."""
        position, head = await asyncio.to_thread(self._chain.last)
        latest = await asyncio.to_thread(self._checkpoints.latest, self._service)
        if position == 0 or (latest is not None and latest.position >= position):
            return None
        events = await asyncio.to_thread(self._chain.count_until, position)
        signed_at, signature, certificate = await self._sign(self._service, position, events, head)
        checkpoint = Checkpoint(self._service, position, events, head, signed_at, signature, certificate)
        await asyncio.to_thread(self._checkpoints.add, checkpoint, self._guard)
        return checkpoint

    async def run(self, interval: float = 300.0) -> None:
        """A checkpoint every `interval` seconds (when the log grew), until cancelled."""
        while True:
            try:
                await self.checkpoint()
            except Exception as error:  # the signing service down or starting: next time
                log.warning("signing a checkpoint of the %s event log failed (%s); retrying", self._service, error)
            await asyncio.sleep(interval)


@dataclass(frozen=True)
class CheckpointVerdict:
    """Whether the signed checkpoints hold: their signatures, and the log up to each one's position."""

    checkpoint: Checkpoint | None  # the newest checkpoint when all hold, else the first that does not
    intact: bool
    reason: str


def verify_checkpoint(app: StoredApplication, service: str, check_signature: SignatureCheck) -> CheckpointVerdict:
    """Check every checkpoint's signature, then recompute the running hash from the events (one pass over the
    log, not the chain table) and compare it with each checkpoint at its position. The first checkpoint that
    no longer holds says between which positions the log was changed."""
    checkpoints = CheckpointTable(app.engine, app.name.lower()).all(service)
    if not checkpoints:
        return CheckpointVerdict(None, True, "no signed checkpoint yet")
    for checkpoint in checkpoints:
        try:
            check_signature(checkpoint.message(), checkpoint.signature, checkpoint.certificate)
        except ValueError as error:
            return CheckpointVerdict(checkpoint, False, f"checkpoint at {checkpoint.position}: bad signature ({error})")
    pending = list(checkpoints)
    previous, events, after, last_good = GENESIS, 0, 0, 0

    def judge(checkpoint: Checkpoint) -> str | None:
        where = f"the log between positions {last_good} and {checkpoint.position} (signed checkpoint)"
        if events != checkpoint.events:
            change = "deleted" if events < checkpoint.events else "inserted"
            return f"{where} holds {events} events, {checkpoint.events} were signed: events were {change}"
        if previous != checkpoint.hash:
            return f"{where} no longer hashes to it: an event was altered, replaced or reordered"
        return None

    while pending:
        batch = app.recorder.select_notifications(start=after + 1, limit=_BATCH, stop=pending[-1].position)
        for event in batch:
            while pending and event.id > pending[0].position:
                if (failure := judge(pending[0])) is not None:
                    return CheckpointVerdict(pending[0], False, failure)
                last_good = pending.pop(0).position
            previous = link_hash(previous, event)
            events += 1
        if len(batch) < _BATCH:
            break
        after = batch[-1].id
    for checkpoint in pending:
        if (failure := judge(checkpoint)) is not None:
            return CheckpointVerdict(checkpoint, False, failure)
        last_good = checkpoint.position
    newest = checkpoints[-1]
    return CheckpointVerdict(
        newest, True, f"{len(checkpoints)} signed checkpoints hold, the newest at {newest.position}"
    )
