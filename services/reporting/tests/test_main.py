"""The service as its process runs it: `python -m lienthong.reporting.main` serves, `... rebuild` empties."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy import create_engine

from lienthong.grpcserver import Settings
from lienthong.launcher.callers import Callers
from lienthong.launcher.ports import free_port
from lienthong.launcher.testing import terminated, wait_for
from lienthong.relay.topology import ROLES
from lienthong.reporting.main import main, read_models
from lienthong.reporting.projections.activity import DocumentActivity
from lienthong.reporting.v1 import reporting_pb2 as pb
from lienthong.reporting.v1 import reporting_pb2_grpc
from lienthong.signing.adapters.outbound.platformtls import TlsDirectory

if TYPE_CHECKING:  # the fixtures' types; pytest imports conftest itself
    from conftest import DocumentEvents, DocumentsStream

MODULE = "lienthong.reporting.main"


def environment(**settings: str) -> dict[str, str]:
    """This process's environment without its LIENTHONG_* settings, plus `settings`."""
    kept = {key: value for key, value in os.environ.items() if not key.startswith("LIENTHONG_")}
    return {**kept, **settings}


def reporting(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", MODULE, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_rebuild_empties_the_read_model_and_says_how_many_rows_it_removed(
    database_url: str, tmp_path: Path, events: DocumentEvents
) -> None:
    activity = DocumentActivity(create_engine(database_url))
    feed = [events.sent(1, "2026-11-24T02:00:00+00:00"), events.arrived(1, "2026-11-24T03:00:00+00:00")]
    activity.process_many("documents", list(enumerate(feed, start=1)))

    done = reporting("rebuild", env=environment(LIENTHONG_DATABASE_URL=database_url, LIENTHONG_DATA_DIR=str(tmp_path)))

    assert done.returncode == 0, done.stderr
    # Two daily rows (sender and recipient), one sent document, one arrival.
    assert "(4 rows removed)" in done.stdout
    assert activity.agency_stats(events.sender, None, None).days == ()
    assert activity.last_position("documents") == 0


def test_the_default_sqlite_file_gets_its_folder(tmp_path: Path) -> None:
    data_dir = tmp_path / "not" / "there"

    done = reporting("rebuild", env=environment(LIENTHONG_DATA_DIR=str(data_dir)))

    assert done.returncode == 0, done.stderr
    assert "(0 rows removed)" in done.stdout
    assert (data_dir / "reporting.db").is_file()


def test_an_unknown_command_is_refused_with_the_usage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIENTHONG_DATA_DIR", str(tmp_path))

    with pytest.raises(SystemExit) as refused:
        main(["rebuilt"])

    assert refused.value.code == "usage: python -m lienthong.reporting.main [rebuild [--replay]]"


@pytest.fixture
def service(database_url: str, nats_url: str, instance: str, tmp_path: Path) -> Iterator[str]:
    """The reporting process on a free port; yields its address, stops it with SIGTERM and checks it exits 0."""
    address = f"127.0.0.1:{free_port()}"
    env = environment(
        LIENTHONG_DATA_DIR=str(tmp_path),
        LIENTHONG_DATABASE_URL=database_url,
        LIENTHONG_NATS_URL=nats_url,
        LIENTHONG_INSTANCE=instance,
        LIENTHONG_REPORTING_ADDR=address,
        LIENTHONG_SHUTDOWN_GRACE="2",
        **TlsDirectory.of_platform(tmp_path).server("reporting").env(),
    )
    with (tmp_path / "reporting.log").open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", MODULE], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield address
        finally:
            code = terminated(process)
    assert code == 0, (tmp_path / "reporting.log").read_text()


def test_the_service_counts_published_documents_and_answers_them(
    service: str, documents: DocumentsStream, events: DocumentEvents, tmp_path: Path
) -> None:
    with Callers(TlsDirectory.of_platform(tmp_path), {"reporting": service}).opened("reporting") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        name = pb.DESCRIPTOR.services_by_name["ReportingService"].full_name

        def serving() -> bool:
            try:
                answer = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=1)
            except grpc.RpcError:
                return False
            return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)

        wait_for(serving, what="the reporting service to serve")
        asyncio.run(documents.publish(events.sent(1, "2026-11-24T18:00:00+00:00"), events.registered(2)))
        stub = reporting_pb2_grpc.ReportingServiceStub(channel)
        request = pb.GetAgencyStatsRequest(agency_code=events.sender)
        clerk = (("x-lienthong-actor", f"clerk@{events.sender}"),)

        counted = wait_for(
            lambda: stub.GetAgencyStats(request, timeout=5, metadata=clerk).sent == 1 or None, what="the count"
        )

        assert counted
        assert list(stub.GetAgencyStats(request, timeout=5, metadata=clerk).days) == [
            pb.DayCount(day="2026-11-25", sent=1)
        ]


def test_rebuild_with_replay_gives_the_same_counts_and_shows_progress(
    database_url: str, nats_url: str, instance: str, tmp_path: Path, documents: DocumentsStream, events: DocumentEvents
) -> None:
    feed = [events.sent(n, "2026-11-24T02:00:00+00:00") for n in range(1, 301)]
    feed += [events.arrived(n, "2026-11-24T03:00:00+00:00") for n in range(1, 101)]
    asyncio.run(documents.publish(*feed))
    activity = DocumentActivity(create_engine(database_url))
    activity.process_many(documents.stream, list(enumerate(feed, start=1)))
    before = (activity.agency_stats(events.sender, None, None), activity.agency_stats(events.recipient, None, None))
    env = environment(
        LIENTHONG_DATABASE_URL=database_url,
        LIENTHONG_DATA_DIR=str(tmp_path),
        LIENTHONG_NATS_URL=nats_url,
        LIENTHONG_INSTANCE=instance,
    )

    done = reporting("rebuild", "--replay", env=env)

    assert done.returncode == 0, done.stderr
    assert f"{documents.stream}: replayed 400 events" in done.stdout
    assert f"{documents.stream}: 400/400 events" in done.stdout
    after = (activity.agency_stats(events.sender, None, None), activity.agency_stats(events.recipient, None, None))
    assert after == before
    assert (after[0].sent, after[1].received) == (300, 100)
    assert activity.last_position(documents.stream) == 400


def test_reporting_reads_exactly_the_streams_its_nats_user_may_read(tmp_path: Path) -> None:
    """The streams the read models are fed from are those the NATS permissions let reporting consume."""
    settings = dataclasses.replace(Settings.from_env("reporting"), database_url=f"sqlite:///{tmp_path / 'r.db'}")
    assert list(read_models(settings).by_stream()) == list(ROLES["reporting"].consumes)
