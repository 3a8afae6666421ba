"""The restore drill: back up a running platform, wipe it, restore it, rebuild, verify, compare the reports.

python -m lienthong.launcher.drill [--documents N]
python -m seeding.restore_drill --documents 100000   (from the repository's root: over a seeded province year)

On the PostgreSQL server of `LIENTHONG_DRILL_DATABASE_URL` (else `LIENTHONG_TEST_DATABASE_URL`) it creates a
database of its own (`lienthong_drill_<random>`, dropped at the end; no other database is touched), starts the
platform on it (on `LIENTHONG_TEST_NATS_URL`'s NATS under an instance name of its own, or an embedded NATS),
seeds the demo province and exchanges documents, then does what docs/operations.md "Restore" tells an
operator: stop the services, `pg_dump`, archive the attachment blobs; wipe the database, the blobs and the
JetStream streams; `pg_restore`, unpack the blobs, rebuild the streams (`lienthong.relay.republish`), empty
the reporting read model (`lienthong.reporting.main rebuild`), `lienthong audit verify`, start again and wait
until reporting has replayed the republished documents stream. It exits 1 unless the chains are intact
and every report number equals the one read before the backup. It prints how long each step took.

With `populate`, the drill's database is first given a store of the caller's (the seeding package's province
year), and the reports compared include the province's `GetReport` over the days that store covers: the mail
the email service goes on sending today, before and after the restore, falls outside them.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nats
from google.protobuf.json_format import MessageToDict
from nats.js.errors import NotFoundError
from sqlalchemy.engine import make_url

from lienthong.launcher.callers import Callers
from lienthong.launcher.demo import OPERATOR, RECIPIENT, SENDER, DocumentChannels, exchange, seed_demo
from lienthong.launcher.platform import SERVICES, Platform, PlatformConfig
from lienthong.launcher.ports import free_port
from lienthong.launcher.province import PROVINCE_CODE
from lienthong.launcher.streams import delete_streams
from lienthong.relay import StreamNames
from lienthong.relay.credentials import NatsCredentials
from lienthong.relay.topology import ADMIN, REPORTING
from lienthong.reporting.v1 import reporting_pb2 as rep
from lienthong.reporting.v1 import reporting_pb2_grpc

Report = dict[str, Any]
AGENCIES = (SENDER, RECIPIENT)
REPORTED = ("identifiers", "documents", "signing", "email")  # the streams reporting consumes
Populate = Callable[[str, str], tuple[str, str]]  # (database URL, instance) → the first and last day written


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
    steps: dict[str, float] = field(default_factory=dict)  # seconds each step took, in the order done

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


def read_reports(callers: Callers, province: tuple[str, str] | None = None) -> Report:
    """Every number reporting gives for the drill's agencies (sent/received per day, processing); with
    `province` (first and last day), also the province's `GetReport` over those days (every line, month and
    bucket)."""
    with callers.acting("reporting") as channel:
        stub = reporting_pb2_grpc.ReportingServiceStub(channel)
        report: Report = {}
        for agency in AGENCIES:
            stats = stub.GetAgencyStats(rep.GetAgencyStatsRequest(agency_code=agency), timeout=10, metadata=OPERATOR)
            processing = stub.GetProcessingStats(
                rep.GetProcessingStatsRequest(agency_code=agency), timeout=10, metadata=OPERATOR
            )
            report[agency] = {"stats": MessageToDict(stats), "processing": MessageToDict(processing)}
        if province is not None:
            request = rep.GetReportRequest(scope_code=PROVINCE_CODE, from_day=province[0], to_day=province[1])
            whole = stub.GetReport(request, timeout=60, metadata=OPERATOR)
            report["province"] = MessageToDict(whole)
        return report


async def reporting_lag(
    nats_url: str, instance: str, credentials: NatsCredentials | None, heads: dict[str, int]
) -> str:
    """What reporting has still to take, or "" once every stream it consumes holds its store's events (`heads`:
    events per service) and reporting's consumer of each has acknowledged every message."""
    client = await nats.connect(nats_url, **(credentials or NatsCredentials()).connect_options())
    try:
        js = client.jetstream()
        names = StreamNames(instance)
        for service in REPORTED:
            stream = names.stream(service)
            try:
                held = (await js.stream_info(stream)).state.messages
                consumer = await js.consumer_info(stream, REPORTING)
            except NotFoundError:
                return f"{stream}: no stream or no reporting consumer yet"
            if held < heads[service]:
                return f"{stream}: {held:,} of {heads[service]:,} events published"
            if consumer.num_pending or consumer.num_ack_pending:
                return f"{stream}: {consumer.num_pending + consumer.num_ack_pending:,} events for reporting to take"
        return ""
    finally:
        await client.close()


def store_heads(database_url: str) -> dict[str, int]:
    """Events in each reported service's store."""
    import psycopg

    with psycopg.connect(libpq_url(database_url), autocommit=True) as connection:
        counts = {}
        for service in REPORTED:
            row = connection.execute(f"SELECT count(*) FROM {service}_events").fetchone()  # our own table names
            counts[service] = int(row[0]) if row else 0
        return counts


class Steps:
    """How long each step of the drill took, printed as it ends (a drill over a year takes many minutes)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        began = time.monotonic()
        yield
        self.seconds[name] = round(time.monotonic() - began, 1)
        print(f"  {name}: {self.seconds[name]} s", flush=True)


def wait_for_reporting(platform: Platform, database_url: str, timeout: float, quiet: float = 10.0) -> None:
    """Until the platform is quiet and reporting has taken every event: the stores' counts unchanged for
    `quiet` seconds (the email service writes its notifications, and delivers them, after the documents they
    are about) and nothing left for reporting to take."""
    deadline = time.monotonic() + timeout
    heads: dict[str, int] = {}
    since = time.monotonic()
    while True:
        now = store_heads(database_url)
        if now != heads:
            heads, since = now, time.monotonic()
        lag = asyncio.run(reporting_lag(platform.nats_url, platform.config.instance, platform.nats_credentials(), now))
        if not lag and time.monotonic() - since >= quiet:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for reporting to take every event: {lag}")
        time.sleep(1.0)


def differences(before: Any, after: Any, path: str = "") -> list[str]:
    """Each figure that differs between two reports, as `path: before → after` (lists compared by position)."""
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        before, after = dict(enumerate(before)), dict(enumerate(after))
    if isinstance(before, dict) and isinstance(after, dict):
        found = []
        for key in sorted(set(before) | set(after), key=str):
            found += differences(before.get(key), after.get(key), f"{path}.{key}" if path else str(key))
        return found
    return [] if before == after else [f"{path}: {before!r} → {after!r}"]


def run(command: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def checked(command: list[str], env: dict[str, str], timeout: float) -> str:
    result = run(command, env, timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])} failed ({result.returncode}):\n{result.stderr}{result.stdout}")
    return result.stdout


def drill(
    server_url: str,
    nats_url: str | None,
    work: Path,
    documents: int = 3,
    populate: Populate | None = None,
    timeout: float = 300.0,
) -> DrillResult:
    """Run the whole drill in `work` on a database of its own; see the module's docstring. `populate(database
    URL, instance)` writes the stores before the platform (of that instance name) starts and returns the
    first and last day they cover; `timeout` bounds each step."""
    started = time.monotonic()
    steps = Steps()
    province: tuple[str, str] | None = None
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
        if populate is not None:
            with steps.step("populate the stores"):
                province = populate(database_url, config.instance)
        platform = Platform(config)
        env = {**platform.env(), "LIENTHONG_DATABASE_URL": database_url}
        try:
            with steps.step("start the platform"):
                platform.start(timeout=timeout)
            with steps.step("exchange documents"):
                seed_demo(platform.callers, automatic_seal=False)
                with DocumentChannels(platform.callers) as stubs:
                    for number in range(documents):
                        exchange(stubs, SENDER, RECIPIENT, f"Báo cáo diễn tập khôi phục số {number + 1}")
            with steps.step("relays publish, reporting takes every event"):
                wait_for_reporting(platform, database_url, timeout)
                before = read_reports(platform.callers, province)

            # Back up: services stopped so that the dump and the blobs are of one moment.
            with steps.step("stop the services"):
                for service in SERVICES:
                    platform.stop_service(service)
            dump = work / "lienthong.dump"
            with steps.step("pg_dump"):
                checked(["pg_dump", "--format=custom", "--file", str(dump), libpq_url(database_url)], env, timeout)
            blobs = config.data_dir / "blobs"
            with steps.step("archive the blobs"), tarfile.open(work / "blobs.tar.gz", "w:gz") as archive:
                archive.add(blobs, arcname="blobs")

            # Disaster: every table, every attachment and the JetStream streams gone.
            with steps.step("wipe database, blobs, streams"):
                wipe = "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"
                checked(["psql", "-q", "-c", wipe, libpq_url(database_url)], env, timeout)
                shutil.rmtree(blobs)
                asyncio.run(delete_streams(platform.nats_url, config.instance, platform.nats_credentials()))

            # Restore; rebuild the streams from the stores and the read model fed from them; verify the chains.
            with steps.step("pg_restore"):
                checked(["pg_restore", "--no-owner", "--dbname", libpq_url(database_url), str(dump)], env, timeout)
            with steps.step("unpack the blobs"), tarfile.open(work / "blobs.tar.gz") as archive:
                archive.extractall(config.data_dir, filter="data")
            with steps.step("republish the streams"):
                republish = checked(
                    [sys.executable, "-m", "lienthong.relay.republish", "--delete-streams"],
                    {**env, **platform.nats_env(ADMIN)},
                    timeout,
                )
            with steps.step("empty reporting's read models"):
                rebuild = checked(
                    [sys.executable, "-m", "lienthong.reporting.main", "rebuild"],
                    {**env, **platform.nats_env("reporting")},
                    timeout,
                )
            with steps.step("audit verify"):
                audit = run([sys.executable, "-m", "lienthong.cli.main", "audit", "verify"], env, timeout)

            with steps.step("start again, reporting replays to the same reports"):
                for service in SERVICES:
                    platform.start_service(service, wait=False)
                for service in SERVICES:
                    platform.wait_serving(service, timeout=timeout)
                wait_for_reporting(platform, database_url, timeout)
                after = read_reports(platform.callers, province)
            return DrillResult(
                before=before,
                after=after,
                audit_output=audit.stdout + audit.stderr,
                audit_ok=audit.returncode == 0,
                rebuild_output=rebuild.strip(),
                republish_output=republish.strip(),
                dump_bytes=dump.stat().st_size,
                seconds=time.monotonic() - started,
                steps=steps.seconds,
            )
        finally:
            platform.stop()
            if nats_url:
                asyncio.run(delete_streams(nats_url, config.instance, None))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=3, help="documents to exchange besides the demo one")
    args = parser.parse_args(argv)
    drill_and_report(args.documents)


def drill_and_report(documents: int, populate: Populate | None = None, timeout: float = 300.0) -> None:
    """Run the drill on the server the environment names, print what it did and found, exit 1 unless it passed."""
    server = os.environ.get("LIENTHONG_DRILL_DATABASE_URL") or os.environ.get("LIENTHONG_TEST_DATABASE_URL")
    if not server:
        sys.exit("set LIENTHONG_DRILL_DATABASE_URL (or LIENTHONG_TEST_DATABASE_URL) to a PostgreSQL server URL")
    nats_url = os.environ.get("LIENTHONG_TEST_NATS_URL") or None
    with tempfile.TemporaryDirectory(prefix="lienthong-drill-") as work:
        result = drill(server, nats_url, Path(work), documents, populate=populate, timeout=timeout)
    print(result.republish_output)
    print(result.rebuild_output)
    print(result.audit_output.rstrip())
    print(f"dump: {result.dump_bytes} bytes; drill took {result.seconds:.1f} s")
    for step, seconds in result.steps.items():
        print(f"  {step:52} {seconds:8.1f} s")
    for part in (*AGENCIES, "province"):
        if part in result.before or part in result.after:
            before, after = result.before.get(part, {}), result.after.get(part, {})
            same = "identical" if before == after else "DIFFERENT"
            print(f"{part}: before {_shown(before)} after {_shown(after)}: {same}")
    for difference in differences(result.before, result.after)[:40]:
        print(f"  differs: {difference}")
    print("restore drill PASSED" if result.passed else "restore drill FAILED")
    sys.exit(0 if result.passed else 1)


def _shown(report: Report) -> object:
    """An agency's stats, or the province report's total line."""
    return report.get("stats", report.get("total"))


if __name__ == "__main__":
    main()
