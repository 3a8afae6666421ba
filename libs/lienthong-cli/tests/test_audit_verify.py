"""`lienthong audit verify` on a database edited by hand: it exits 1 and names the event that was changed.

The event rows are edited with plain SQL, as someone with access to the database would, and the command is
run as the auditor runs it: a separate process reading the database (PostgreSQL when
LIENTHONG_TEST_DATABASE_URL is set, else the SQLite files of a data directory).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eventsourcing.domain import Aggregate, event
from sqlalchemy import text

from lienthong.eventstore import StoredApplication, store_environment
from lienthong.eventstore.chain import ChainSealer
from lienthong.launcher.testing import fresh_database


class Folder(Aggregate):
    @event("Opened")
    def __init__(self, title: str) -> None:
        self.title = title

    @event("Filed")
    def file(self, line: str) -> None:
        self.last = line


class Documents(StoredApplication):
    name = "Documents"  # the documents service's tables: documents_events, documents_chain


@dataclass(frozen=True)
class StoredLog:
    app: Documents
    env: dict[str, str]
    data_dir: Path
    # (position, aggregate id, version) of every event, in log order
    events: list[tuple[int, str, int]]

    def execute(self, statement: str) -> None:
        with self.app.engine.begin() as connection:
            connection.execute(text(statement))

    def audit_verify(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "lienthong.cli.main", "audit", "verify", "--data-dir", str(self.data_dir)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )


@pytest.fixture
def log(tmp_path: Path) -> Iterator[StoredLog]:
    """Two folders of four events each, stored and sealed into the chain, as the documents service does."""
    with fresh_database(tmp_path / "documents.db") as url:
        app = Documents(store_environment("documents", url))
        for title in ("incoming", "outgoing"):
            folder = Folder(title)
            for n in range(3):
                folder.file(f"{title} {n}")
            app.save(folder)
        assert ChainSealer(app).seal() == 8
        env = dict(os.environ)
        env.pop("LIENTHONG_DATABASE_URL", None)
        if not url.startswith("sqlite"):
            env["LIENTHONG_DATABASE_URL"] = url
        notifications = app.recorder.select_notifications(start=1, limit=100)
        events = [(n.id, str(n.originator_id), n.originator_version) for n in notifications]
        yield StoredLog(app, env, tmp_path, events)
        app.close()


def test_an_untouched_log_verifies(log: StoredLog) -> None:
    verified = log.audit_verify()
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "BROKEN" not in verified.stdout


def test_an_event_row_edited_by_hand_fails_verification_and_is_named(log: StoredLog) -> None:
    position, aggregate_id, version = log.events[2]
    forged = '{"line": "forged"}'
    log.execute(
        f"UPDATE documents_events SET state = CAST('{forged}' AS BLOB) WHERE id = {position}"
        if log.app.engine.dialect.name == "sqlite"
        else f"UPDATE documents_events SET state = convert_to('{forged}', 'UTF8') WHERE id = {position}"
    )

    verified = log.audit_verify()

    assert verified.returncode == 1, verified.stdout + verified.stderr
    assert f"BROKEN documents: event {position} (aggregate {aggregate_id}, version {version})" in verified.stdout, (
        verified.stdout
    )
    assert "altered or moved" in verified.stdout


def test_a_deleted_event_row_fails_verification_at_its_position(log: StoredLog) -> None:
    position, aggregate_id, version = log.events[5]
    log.execute(f"DELETE FROM documents_events WHERE id = {position}")

    verified = log.audit_verify()

    assert verified.returncode == 1, verified.stdout + verified.stderr
    assert (
        f"BROKEN documents: event {position} was sealed but is no longer stored: "
        f"aggregate {aggregate_id} lacks version {version}"
    ) in verified.stdout, verified.stdout


def test_two_event_rows_swapped_fail_verification_at_the_first(log: StoredLog) -> None:
    (first, aggregate_id, version), (second, _, _) = log.events[1], log.events[2]
    log.execute(
        "UPDATE documents_events SET state = other.state FROM documents_events AS other "
        f"WHERE (documents_events.id = {first} AND other.id = {second}) "
        f"OR (documents_events.id = {second} AND other.id = {first})"
    )

    verified = log.audit_verify()

    assert verified.returncode == 1, verified.stdout + verified.stderr
    assert f"BROKEN documents: event {first} (aggregate {aggregate_id}, version {version})" in verified.stdout, (
        verified.stdout
    )
