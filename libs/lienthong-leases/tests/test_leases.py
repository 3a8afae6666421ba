"""Leases on PostgreSQL: one holder at a time, a new fencing token on every takeover, stale writes refused,
and SingleActive running the work in one replica at a time; on SQLite the lease is always held."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from lienthong.launcher.testing import TEST_DATABASE_URL, fresh_database, wait_for
from lienthong.leases import AlwaysHeld, Fence, LeaseLost, PostgresLease, SingleActive, create_lease_table, lease_for

needs_postgres = pytest.mark.skipif(
    not os.environ.get(TEST_DATABASE_URL), reason="leases are rows in PostgreSQL; set LIENTHONG_TEST_DATABASE_URL"
)


@pytest.fixture
def pg_engine(tmp_path: Path) -> Iterator[Engine]:
    with fresh_database(tmp_path / "unused.db") as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE marks (replica TEXT, token BIGINT, at DOUBLE PRECISION)"))
        yield engine
        engine.dispose()


def fenced_mark(engine: Engine, fence: Fence, replica: str) -> None:
    """A guarded write: a row naming the replica and the token it wrote under (read before the check: read
    after it, a replica stopping meanwhile has set it to None, though the write was made under the lease)."""
    token = fence.token
    with engine.begin() as connection:
        fence.check(connection)
        connection.execute(
            text("INSERT INTO marks VALUES (:replica, :token, :at)"),
            {"replica": replica, "token": token, "at": time.monotonic()},
        )


@needs_postgres
def test_one_holder_at_a_time_and_a_new_token_on_every_takeover(pg_engine: Engine) -> None:
    first = PostgresLease(pg_engine, "svc", "relay", seconds=0.5)
    second = PostgresLease(pg_engine, "svc", "relay", seconds=0.5)
    token = first.acquire()
    assert token == 1
    assert second.acquire() is None  # held and not expired
    assert first.renew(token)
    assert first.acquire() == 2  # taking one's own lease again is a takeover too: the old token is stale
    assert not first.renew(1)
    time.sleep(0.7)
    taken = second.acquire()
    assert taken == 3
    assert not first.renew(2)  # expired and taken over: the old holder learns it on its next renewal
    assert second.holder_of() == (second.holder, 3)
    second.release(3)
    assert first.acquire() == 4  # released: taken at once, without waiting for expiry


@needs_postgres
def test_a_write_under_a_stale_token_is_refused(pg_engine: Engine) -> None:
    old = Fence(PostgresLease(pg_engine, "svc", "relay", seconds=0.3))
    old.token = old.lease.acquire()
    fenced_mark(pg_engine, old, "old")
    time.sleep(0.4)
    new = Fence(PostgresLease(pg_engine, "svc", "relay", seconds=0.3))
    new.token = new.lease.acquire()
    assert new.token == 2
    with pytest.raises(LeaseLost, match="taken over"):
        fenced_mark(pg_engine, old, "old")
    fenced_mark(pg_engine, new, "new")
    with pg_engine.connect() as connection:
        rows = connection.execute(text("SELECT replica, token FROM marks ORDER BY at")).all()
    assert [tuple(row) for row in rows] == [("old", 1), ("new", 2)]


@needs_postgres
def test_a_takeover_waits_for_the_holders_guarded_transaction(pg_engine: Engine) -> None:
    holder = Fence(PostgresLease(pg_engine, "svc", "relay", seconds=0.2))
    holder.token = holder.lease.acquire()
    other = PostgresLease(pg_engine, "svc", "relay", seconds=0.2)
    taken: list[int | None] = []
    with pg_engine.begin() as connection:
        holder.check(connection)  # the lease row is locked until this transaction ends
        time.sleep(0.3)  # the lease expires while the guarded write is under way
        thread = threading.Thread(target=lambda: taken.append(other.acquire()))
        thread.start()
        thread.join(0.5)
        assert thread.is_alive(), "the takeover went through while the old holder's write was uncommitted"
        connection.execute(text("INSERT INTO marks VALUES ('old', 1, 0)"))
    thread.join(10)
    assert taken == [2]


@needs_postgres
async def test_single_active_runs_the_work_in_one_replica_at_a_time(pg_engine: Engine) -> None:
    def replica(name: str) -> SingleActive:
        fence = Fence(PostgresLease(pg_engine, "svc", "single-active", seconds=0.6))

        async def work() -> None:
            while True:
                await asyncio.to_thread(fenced_mark, pg_engine, fence, name)
                await asyncio.sleep(0.02)

        return SingleActive(fence, [work], name=f"svc {name}")

    a, b = replica("a"), replica("b")
    task_a = asyncio.create_task(a.run())
    await asyncio.to_thread(wait_for, lambda: a.held, what="a to take the lease")
    task_b = asyncio.create_task(b.run())
    await asyncio.sleep(1.5)  # several renewals: a keeps the lease, b waits
    assert a.held
    assert not b.held
    task_a.cancel()  # a stops (gracefully): it lets the lease go and b takes it at once
    await asyncio.gather(task_a, return_exceptions=True)
    await asyncio.to_thread(wait_for, lambda: b.held, timeout=2, what="b to take the released lease")
    await asyncio.sleep(0.3)
    task_b.cancel()
    await asyncio.gather(task_b, return_exceptions=True)
    with pg_engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(text("SELECT replica, token FROM marks ORDER BY at"))]
    switches = [i for i in range(1, len(rows)) if rows[i][0] != rows[i - 1][0]]
    assert len(switches) == 1, "the work ran in both replicas at once"
    assert {row for row in rows} == {("a", 1), ("b", 2)}


@needs_postgres
async def test_the_work_stops_the_moment_a_renewal_finds_the_lease_taken_over(pg_engine: Engine) -> None:
    lease = PostgresLease(pg_engine, "svc", "single-active", seconds=0.9)
    stopped = asyncio.Event()

    async def work() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            stopped.set()

    single = SingleActive(Fence(lease), [work])
    task = asyncio.create_task(single.run())
    await asyncio.to_thread(wait_for, lambda: single.held, what="the lease")
    with pg_engine.begin() as connection:  # another replica took it over (as after a long pause of this one)
        connection.execute(text("UPDATE svc_leases SET holder = 'elsewhere', token = token + 1"))
    await asyncio.wait_for(stopped.wait(), timeout=lease.seconds)  # one renewal period at most
    assert not single.held
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


@needs_postgres
async def test_a_failed_loop_ends_the_turn_and_is_started_again(pg_engine: Engine) -> None:
    starts: list[int] = []
    fence = Fence(PostgresLease(pg_engine, "svc", "single-active", seconds=0.3))

    async def flaky() -> None:
        starts.append(fence.token or 0)
        if len(starts) == 1:
            raise RuntimeError("broken on its first run")
        await asyncio.Event().wait()

    task = asyncio.create_task(SingleActive(fence, [flaky]).run())
    await asyncio.to_thread(wait_for, lambda: len(starts) >= 2, what="the loop to be started again")
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert starts[:2] == [1, 2]  # started again under a new token


async def test_on_sqlite_the_lease_is_always_held(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'one.db'}")
    lease = lease_for(engine, "svc")
    assert isinstance(lease, AlwaysHeld)
    ran = asyncio.Event()

    async def work() -> None:
        ran.set()
        await asyncio.Event().wait()

    fence = Fence(lease)
    task = asyncio.create_task(SingleActive(fence, [work]).run())
    await asyncio.wait_for(ran.wait(), timeout=5)
    with engine.begin() as connection:
        fence.check(connection)  # a guarded write goes through
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


@needs_postgres
def test_replicas_starting_together_both_get_the_lease_table(pg_engine: Engine) -> None:
    made: list[PostgresLease] = []
    threads = [threading.Thread(target=lambda: made.append(PostgresLease(pg_engine, "svc", "w"))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(made) == 4
    assert [lease.acquire() for lease in made].count(None) == 3


@needs_postgres
def test_the_migration_creates_the_lease_table_once_and_again(pg_engine: Engine) -> None:
    assert create_lease_table(pg_engine, "Svc") == ["svc_leases"]
    assert create_lease_table(pg_engine, "Svc") == ["svc_leases"]  # the Job runs again on every upgrade
    assert PostgresLease(pg_engine, "svc", "relay").acquire() == 1


def test_on_sqlite_a_lease_needs_no_table(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    assert create_lease_table(engine, "svc") == []
    engine.dispose()
