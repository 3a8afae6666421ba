"""pytest fixtures for tests that need real infrastructure: NATS with JetStream and a database.

They use the machine's servers when `LIENTHONG_TEST_NATS_URL` / `LIENTHONG_TEST_DATABASE_URL` are set
(as `.ci/run` does), else embedded ones (a nats-server child process, SQLite files). Every test gets its
own NATS instance name (hence its own streams) and its own database, and they are removed afterwards.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import nats
import pytest
from sqlalchemy.engine import make_url

from lienthong.launcher.nats_server import NatsServer
from lienthong.launcher.platform import SERVICES, PlatformConfig
from lienthong.launcher.ports import free_port
from lienthong.launcher.streams import delete_streams as delete_streams  # its callers import it from here
from lienthong.relay.credentials import NatsCredentials

T = TypeVar("T")

TEST_NATS_URL = "LIENTHONG_TEST_NATS_URL"
TEST_DATABASE_URL = "LIENTHONG_TEST_DATABASE_URL"


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A NATS server with JetStream: the machine's, or one started for this test session."""
    url = os.environ.get(TEST_NATS_URL)
    if url:
        yield url
        return
    server = NatsServer(free_port(), tmp_path_factory.mktemp("nats"))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def owned_nats(tmp_path: Path) -> Iterator[NatsServer]:
    """A NATS server this test owns and may kill and restart (never the machine's shared one)."""
    server = NatsServer(free_port(), tmp_path / "owned-nats")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def instance(nats_url: str) -> Iterator[str]:
    """A NATS instance name of this test's own; its streams are deleted afterwards."""
    name = f"t{uuid.uuid4().hex[:12]}"
    yield name
    asyncio.run(delete_streams(nats_url, name))


@dataclass(frozen=True)
class StoredMessage:
    """A message as JetStream keeps it."""

    subject: str
    message_id: str  # the Nats-Msg-Id header
    data: bytes


def stream_messages(url: str, stream: str, credentials: NatsCredentials | None = None) -> list[StoredMessage]:
    """Every message of a stream, in stream order (read directly, without a consumer); `credentials` for a
    NATS with users, e.g. `platform.nats_credentials()` (the operators' user) for the platform's own."""

    async def read() -> list[StoredMessage]:
        nc = await nats.connect(url, **(credentials or NatsCredentials()).connect_options())
        try:
            js = nc.jetstream()
            info = await js.stream_info(stream)
            found = []
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                msg = await js.get_msg(stream, seq)
                headers = msg.headers or {}
                found.append(StoredMessage(str(msg.subject), headers.get("Nats-Msg-Id", ""), msg.data or b""))
            return found
        finally:
            await nc.close()

    return asyncio.run(read())


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of this test's own: a fresh PostgreSQL database, or a SQLite file."""
    with fresh_database(tmp_path / "store.db") as url:
        yield url


@contextmanager
def fresh_database(sqlite_path: Path, base: str | None = None) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of `base` (default: the test server), dropped
    afterwards; a SQLite URL when there is no server."""
    base = base if base is not None else os.environ.get(TEST_DATABASE_URL)
    if not base:
        yield f"sqlite:///{sqlite_path}"
        return
    name = f"lt_{uuid.uuid4().hex[:12]}"
    with _admin_connection(base) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with _admin_connection(base) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin_connection(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    parsed = make_url(url)
    return psycopg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password or None,
        dbname=parsed.database or "postgres",
        autocommit=True,
    )


def wait_for(predicate: Callable[[], T | None], *, timeout: float = 30.0, what: str = "condition") -> T:
    """Poll `predicate` until it returns something truthy, and return that; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)


def terminated(process: subprocess.Popen[bytes], timeout: float = 30.0) -> int:
    """Send `process` SIGTERM (what Kubernetes sends a pod) and return its exit status; kill it and fail if
    it has not stopped within `timeout` seconds."""
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def isolated_platform_config(data_dir: Path, nats_url: str | None, database_url: str) -> PlatformConfig:
    """A platform on free ports with its own NATS instance name; a SQLite URL means one file per service,
    `nats_url=None` means a NATS server of its own (which a test may kill)."""
    return PlatformConfig(
        data_dir=data_dir,
        nats_url=nats_url,
        database_url=None if database_url.startswith("sqlite") else database_url,
        instance=f"e2e{uuid.uuid4().hex[:10]}",
        ports={service: free_port() for service in SERVICES},
        nats_port=free_port(),
        smtp_port=free_port(),
        inbound_smtp_port=free_port(),
        tsa_port=free_port(),
        extra_env={"LIENTHONG_SHUTDOWN_GRACE": "3"},
    )
