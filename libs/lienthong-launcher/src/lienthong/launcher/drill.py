"""The restore drill: back up a running platform, wipe it, restore it, rebuild, verify, compare the reports.

python -m lienthong.launcher.drill [--documents N]

On the PostgreSQL server of `LIENTHONG_DRILL_DATABASE_URL` (else `LIENTHONG_TEST_DATABASE_URL`) it creates a
database of its own (`lienthong_drill_<random>`, dropped at the end; no other database is touched), starts the
platform on it (on `LIENTHONG_TEST_NATS_URL`'s NATS under an instance name of its own, or an embedded NATS),
seeds the demo province and exchanges documents, then does what docs/operations.md "Restore" tells an
operator: stop the services, `pg_dump`, archive the attachment blobs; wipe the database, the blobs and the
JetStream streams; `pg_restore`, unpack the blobs, rebuild the streams (`lienthong.relay.republish`), empty
the reporting read model (`lienthong.reporting.main rebuild`), `lienthong audit verify`, start again and wait
until reporting has replayed the republished documents stream. It exits 1 unless the chains are intact
and every report number equals the one read before the backup.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import nats
from google.protobuf.json_format import MessageToDict
from sqlalchemy.engine import make_url

from lienthong.launcher.callers import Callers
from lienthong.launcher.demo import OPERATOR, RECIPIENT, SENDER, DocumentChannels, exchange, seed_demo
from lienthong.launcher.platform import SERVICES, Platform, PlatformConfig
from lienthong.launcher.ports import free_port
from lienthong.relay.credentials import NatsCredentials
from lienthong.relay.topology import ADMIN
from lienthong.reporting.v1 import reporting_pb2 as rep
from lienthong.reporting.v1 import reporting_pb2_grpc

Report = dict[str, Any]
AGENCIES = (SENDER, RECIPIENT)


@dataclass(frozen=True)
class DrillResult:
    """What the drill measured: report numbers before and after, the audit verdict, and how long it took."""

    before: Report
    after: Report
    audit_output: str
    audit_ok: bool
    rebuild_output: str
    republish_output: str
    dump_bytes: int
    seconds: float

    @property
    def passed(self) -> bool:
        return self.audit_ok and self.before == self.after


def libpq_url(sqlalchemy_url: str) -> str:
    """`postgresql+psycopg://…` as the `postgresql://…` URL pg_dump, pg_restore and psql take."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def drill_database(server_url: str) -> Iterator[str]:
    """A new database `lienthong_drill_<random>` on the server of `server_url`, dropped afterwards."""
    import psycopg

    name = f"lienthong_drill_{uuid.uuid4().hex[:10]}"
    admin = libpq_url(make_url(server_url).set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def read_reports(callers: Callers) -> Report:
    """Every number reporting gives for the drill's agencies (sent/received per day, processing)."""
    with callers.acting("reporting") as channel:
        stub = reporting_pb2_grpc.ReportingServiceStub(channel)
        report: Report = {}
        for agency in AGENCIES:
            stats = stub.GetAgencyStats(rep.GetAgencyStatsRequest(agency_code=agency), timeout=10, metadata=OPERATOR)
            processing = stub.GetProcessingStats(
                rep.GetProcessingStatsRequest(agency_code=agency), timeout=10, metadata=OPERATOR
            )
            report[agency] = {"stats": MessageToDict(stats), "processing": MessageToDict(processing)}
        return report


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.2)


def sent_by_sender(callers: Callers) -> int:
    try:
        return int(read_reports(callers)[SENDER]["stats"].get("sent", 0))
    except grpc.RpcError:
        return -1


def replayed(callers: Callers, expected: Report, timeout: float) -> Report:
    """The reports once reporting has replayed up to `expected` (every figure, not just the first to move);
    what it says at `timeout` otherwise, for the drill to show the difference."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            now = read_reports(callers)
        except grpc.RpcError:
            now = {}
        if now == expected or time.monotonic() > deadline:
            return now
        time.sleep(0.2)


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


def checked(command: list[str], env: dict[str, str]) -> str:
    result = run(command, env)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])} failed ({result.returncode}):\n{result.stderr}{result.stdout}")
    return result.stdout


async def delete_streams(url: str, instance: str, credentials: NatsCredentials | None) -> None:
    client = await nats.connect(url, **(credentials or NatsCredentials()).connect_options())
    try:
        js = client.jetstream()
        for info in await js.streams_info():
            if info.config.name and info.config.name.startswith(instance.upper() + "_"):
                await js.delete_stream(info.config.name)
    finally:
        await client.close()


def drill(server_url: str, nats_url: str | None, work: Path, documents: int = 3) -> DrillResult:
    """Run the whole drill in `work` on a database of its own; see the module's docstring."""
    started = time.monotonic()
    with drill_database(server_url) as database_url:
        config = PlatformConfig(
            data_dir=work / "platform",
            nats_url=nats_url,
            database_url=database_url,
            instance=f"drill{uuid.uuid4().hex[:10]}",
            ports={service: free_port() for service in SERVICES},
            nats_port=free_port(),
            smtp_port=free_port(),
            extra_env={"LIENTHONG_SHUTDOWN_GRACE": "3"},
        )
        platform = Platform(config)
        env = {**platform.env(), "LIENTHONG_DATABASE_URL": database_url}
        try:
            platform.start()
            seed_demo(platform.callers, automatic_seal=False)
            with DocumentChannels(platform.callers) as stubs:
                for number in range(documents):
                    exchange(stubs, SENDER, RECIPIENT, f"Báo cáo diễn tập khôi phục số {number + 1}")
            expected = documents + 1
            reporting = platform.callers
            wait_until(lambda: sent_by_sender(reporting) >= expected, 60, f"reporting to count {expected} sent")
            before = read_reports(reporting)

            # Back up: services stopped so that the dump and the blobs are of one moment.
            for service in SERVICES:
                platform.stop_service(service)
            dump = work / "lienthong.dump"
            checked(["pg_dump", "--format=custom", "--file", str(dump), libpq_url(database_url)], env)
            blobs = config.data_dir / "blobs"
            with tarfile.open(work / "blobs.tar.gz", "w:gz") as archive:
                archive.add(blobs, arcname="blobs")

            # Disaster: every table, every attachment and the JetStream streams gone.
            checked(
                ["psql", "-q", "-c", "DROP SCHEMA public CASCADE; CREATE SCHEMA public;", libpq_url(database_url)], env
            )
            shutil.rmtree(blobs)
            asyncio.run(delete_streams(platform.nats_url, config.instance, platform.nats_credentials()))

            # Restore; rebuild the streams from the stores and the read model fed from them; verify the chains.
            checked(["pg_restore", "--no-owner", "--dbname", libpq_url(database_url), str(dump)], env)
            with tarfile.open(work / "blobs.tar.gz") as archive:
                archive.extractall(config.data_dir, filter="data")
            republish = checked(
                [sys.executable, "-m", "lienthong.relay.republish", "--delete-streams"],
                {**env, **platform.nats_env(ADMIN)},
            )
            rebuild = checked(
                [sys.executable, "-m", "lienthong.reporting.main", "rebuild"], {**env, **platform.nats_env("reporting")}
            )
            audit = run([sys.executable, "-m", "lienthong.cli.main", "audit", "verify"], env)

            for service in SERVICES:
                platform.start_service(service, wait=False)
            for service in SERVICES:
                platform.wait_serving(service)
            after = replayed(reporting, before, timeout=90)
            return DrillResult(
                before=before,
                after=after,
                audit_output=audit.stdout + audit.stderr,
                audit_ok=audit.returncode == 0,
                rebuild_output=rebuild.strip(),
                republish_output=republish.strip(),
                dump_bytes=dump.stat().st_size,
                seconds=time.monotonic() - started,
            )
        finally:
            platform.stop()
            if nats_url:
                asyncio.run(delete_streams(nats_url, config.instance, None))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=3, help="documents to exchange besides the demo one")
    args = parser.parse_args(argv)
    server = os.environ.get("LIENTHONG_DRILL_DATABASE_URL") or os.environ.get("LIENTHONG_TEST_DATABASE_URL")
    if not server:
        sys.exit("set LIENTHONG_DRILL_DATABASE_URL (or LIENTHONG_TEST_DATABASE_URL) to a PostgreSQL server URL")
    with tempfile.TemporaryDirectory(prefix="lienthong-drill-") as work:
        result = drill(server, os.environ.get("LIENTHONG_TEST_NATS_URL") or None, Path(work), args.documents)
    print(result.republish_output)
    print(result.rebuild_output)
    print(result.audit_output.rstrip())
    print(f"dump: {result.dump_bytes} bytes; drill took {result.seconds:.1f} s")
    for agency in AGENCIES:
        before, after = result.before.get(agency, {}), result.after.get(agency, {})
        same = "identical" if before == after else "DIFFERENT"
        print(f"{agency}: before {before.get('stats')} after {after.get('stats')}: {same}")
    print("restore drill PASSED" if result.passed else "restore drill FAILED")
    sys.exit(0 if result.passed else 1)


if __name__ == "__main__":
    main()
