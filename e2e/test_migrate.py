"""Each service's `migrate` entry (the Helm chart's migration Job) creates its tables and can run again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from lienthong.launcher.platform import SERVICES, Platform
from lienthong.launcher.testing import fresh_database

EXPECTED = {
    "identifiers": {"identifiers_events", "identifiers_chain", "identifiers_positions", "identifiers_agencies"},
    "documents": {"documents_events", "documents_chain", "documents_outgoing", "documents_incoming"},
    "signing": {"signing_events", "signing_chain", "signing_positions"},
    "email": {"email_events", "email_chain", "email_notifications", "email_mailboxes"},
    "reporting": {"reporting_daily_activity", "reporting_processing", "reporting_positions"},
}


def migrate(service: str, database_url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LIENTHONG_DATABASE_URL": database_url, "LIENTHONG_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", f"lienthong.{service}.migrate"], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("service", SERVICES)
def test_migrate_creates_the_tables_of_a_service_and_runs_again(service: str, tmp_path: Path) -> None:
    with fresh_database(tmp_path / "store.db") as url:
        # one SQLite file for every service here, like the one PostgreSQL database the chart uses
        first = migrate(service, url, tmp_path)
        second = migrate(service, url, tmp_path)
        engine = create_engine(url)
        tables = set(inspect(engine).get_table_names())
        engine.dispose()
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert EXPECTED[service] <= tables
    assert f"{service}: tables ready" in second.stdout


def tables_in(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrate_creates_every_table_the_running_services_created(platform: Platform, tmp_path: Path) -> None:
    config = platform.config
    if config.database_url:
        created = tables_in(config.database_url)
    else:  # one SQLite file per service
        created = set().union(*(tables_in(f"sqlite:///{config.data_dir / s}.db") for s in SERVICES))
    with fresh_database(tmp_path / "store.db") as url:
        for service in SERVICES:
            assert migrate(service, url, tmp_path).returncode == 0
        migrated = tables_in(url)
    assert created - migrated == set(), "a service creates tables its migrate module does not"
