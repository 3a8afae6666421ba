"""The restore drill of docs/operations.md: dump, wipe, restore, rebuild, verify, the same report numbers."""

from __future__ import annotations

import os
import re
from pathlib import Path

import psycopg
import pytest

from lienthong.launcher.drill import drill, libpq_url
from lienthong.launcher.testing import TEST_DATABASE_URL
from seeding.province_year import Shape
from seeding.restore_drill import seeded_year

pytestmark = pytest.mark.e2e


def drill_databases(server: str) -> list[str]:
    with psycopg.connect(libpq_url(server), autocommit=True) as connection:
        rows = connection.execute("SELECT datname FROM pg_database WHERE datname LIKE 'lienthong_drill_%'").fetchall()
    return [row[0] for row in rows]


@pytest.mark.skipif(not os.environ.get(TEST_DATABASE_URL), reason="the drill needs PostgreSQL (pg_dump, pg_restore)")
def test_restore_drill_gives_back_intact_chains_and_the_same_reports(tmp_path: Path, nats_url: str) -> None:
    server = os.environ[TEST_DATABASE_URL]
    existing = set(drill_databases(server))

    result = drill(server, nats_url, tmp_path, documents=2)

    assert result.audit_ok, result.audit_output
    assert re.search(r"\((\d+) rows removed\)", result.rebuild_output), result.rebuild_output
    assert int(re.search(r"\((\d+) rows removed\)", result.rebuild_output).group(1)) > 0  # type: ignore[union-attr]
    assert "documents: relay reset from position" in result.republish_output
    assert result.before["000.00.12.H41"]["stats"]["sent"] == "3"
    assert result.after == result.before
    assert set(drill_databases(server)) == existing  # its own database is dropped again


@pytest.mark.skipif(not os.environ.get(TEST_DATABASE_URL), reason="the drill needs PostgreSQL (pg_dump, pg_restore)")
def test_restore_drill_over_a_seeded_year_gives_back_the_same_year(tmp_path: Path, nats_url: str) -> None:
    """The drill over a province year written into the stores (`python -m seeding.restore_drill` at 100,000
    documents): the platform publishes and reports the year, and after the restore reports it the same. It
    found two faults no demo exchange meets: documents of a type the API did not know, and mail told of a
    ministry outside the registry, which stopped the email service's consumer."""
    server = os.environ[TEST_DATABASE_URL]

    result = drill(server, nats_url, tmp_path, documents=1, populate=seeded_year(Shape(documents=300)))

    assert result.audit_ok, result.audit_output
    year = result.before["province"]["total"]
    assert int(year["sent"]) > 100
    assert int(year["mail"]["sent"]) > 0
    assert result.after == result.before
    assert "populate the stores" in result.steps
