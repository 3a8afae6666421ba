"""Benchmark of reporting over a seeded year (issue #8): a year of the demo province shaped like the seed
figures (100,000 documents exchanged, 96% signed, certificates in the seed's states) written into the
services' event stores, relayed to JetStream, projected by reporting's consumers; then the report checked
against SQL counts of the event tables, and the read models rebuilt from zero and compared table by table.

Figures: events written and insert rate; relay events/s (store → JetStream); projection events/s
(JetStream → read models); replay events/s end to end; rebuild-from-zero time and events/s; and whether the
report equals the SQL counts and the rebuilt tables the first ones. The benchmark fails (exit 1) when either
is not so.

`python bench/reporting.py [--documents N] [--certificates N]`; `make bench` runs 100,000 documents,
`--quick` 10,000. Against LIENTHONG_BENCH_DATABASE_URL and LIENTHONG_BENCH_NATS_URL when set (PostgreSQL,
NATS), else a SQLite file and an embedded NATS server. Figures go to bench/results.json under "reporting".
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from bench_results import record
from sqlalchemy import create_engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the seeding package, at the repository's root

from lienthong.grpcserver import Settings
from lienthong.launcher.nats_server import NatsServer
from lienthong.launcher.ports import free_port
from lienthong.launcher.province import PROVINCE_CODE
from lienthong.launcher.testing import delete_streams, fresh_database
from lienthong.relay import StreamNames
from lienthong.reporting.adapters.inbound.api import ReportingServicer
from lienthong.reporting.main import read_models, replay
from lienthong.reporting.v1 import reporting_pb2 as pb
from lienthong.vietnamese.calendar import vietnam_today
from seeding.event_log_counts import EventLogCounts, differences
from seeding.pipeline import project_all, relay_all, table_contents
from seeding.province_year import SEED_CERTIFICATES, Shape, applications, write_year


@contextlib.contextmanager
def nats(work: Path) -> Iterator[str]:
    url = os.environ.get("LIENTHONG_BENCH_NATS_URL")
    if url:
        yield url
        return
    server = NatsServer(free_port(), work / "nats")
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--certificates", type=int, default=SEED_CERTIFICATES)
    parser.add_argument("--quick", action="store_true", help="10,000 documents, 1,500 certificates")
    args = parser.parse_args()
    shape = (
        Shape(documents=10_000, certificates=1_500)
        if args.quick
        else Shape(documents=args.documents, certificates=args.certificates)
    )
    server = os.environ.get("LIENTHONG_BENCH_DATABASE_URL", "")
    instance = f"bench{uuid.uuid4().hex[:8]}"
    with (
        tempfile.TemporaryDirectory() as folder,
        fresh_database(Path(folder) / "store.db", server) as database_url,
        nats(Path(folder)) as nats_url,
    ):
        try:
            figures = run(shape, database_url, nats_url, instance, Path(folder))
        finally:
            asyncio.run(delete_streams(nats_url, instance))
    figures = {"database": "sqlite" if database_url.startswith("sqlite") else "postgresql", **figures}
    record("reporting", figures)
    for name, value in figures.items():
        print(f"  {name:42} {value}")
    if not (figures["report_equals_sql_counts"] and figures["rebuild_gives_identical_tables"]):
        sys.exit("reporting benchmark: the report or the rebuilt read models do not match (see above)")


def run(shape: Shape, database_url: str, nats_url: str, instance: str, folder: Path) -> dict[str, object]:
    print(f"writing a year of {shape.documents:,} documents, {shape.certificates:,} certificates", flush=True)
    began = time.monotonic()
    apps = applications(database_url)
    written = write_year(apps, shape)
    write_seconds = time.monotonic() - began
    print(f"  {written.total:,} events in {write_seconds:.1f} s {written.events}", flush=True)
    os.environ |= {
        "LIENTHONG_DATABASE_URL": database_url,
        "LIENTHONG_NATS_URL": nats_url,
        "LIENTHONG_INSTANCE": instance,
        "LIENTHONG_DATA_DIR": str(folder),
    }
    settings = Settings.from_env("reporting")
    models = read_models(settings)
    names = StreamNames(instance)
    relayed = asyncio.run(relay_all(apps, nats_url, names))
    print(f"  relayed {relayed.events:,} events in {relayed.seconds:.1f} s", flush=True)
    projected = asyncio.run(project_all(models, nats_url, names))
    print(f"  projected {projected.events:,} events in {projected.seconds:.1f} s", flush=True)

    request = pb.GetReportRequest(
        scope_code=PROVINCE_CODE, from_day=shape.first_day.isoformat(), to_day=shape.last_day.isoformat()
    )
    began = time.monotonic()
    report = asyncio.run(ReportingServicer(models.activity, models.reports()).GetReport(request, None))
    report_seconds = time.monotonic() - began
    began = time.monotonic()
    counts = EventLogCounts(
        create_engine(database_url), PROVINCE_CODE, shape.first_day, shape.last_day, vietnam_today(), shape.end
    ).report()
    count_seconds = time.monotonic() - began
    mismatches = differences(report, counts)
    for mismatch in mismatches[:20]:
        print(f"  MISMATCH {mismatch}", flush=True)

    before = table_contents(models)
    began = time.monotonic()
    for model in models.by_stream().values():
        model.empty()
    asyncio.run(replay(settings, models))
    rebuild_seconds = time.monotonic() - began
    identical = table_contents(models) == before
    total = report.total
    return {
        "documents_exchanged": total.sent + total.received,
        "sent": total.sent,
        "received": total.received,
        "signed_share": round(total.signed_share, 4),
        "certificates": {name: getattr(total.certificates, name) for name in CERTIFICATE_FIGURES},
        "events_written": written.total,
        "events_per_service": written.events,
        "write_seconds": round(write_seconds, 1),
        "insert_events_per_second": round(written.total / write_seconds),
        "relay_events_per_second": round(relayed.rate),
        "projection_events_per_second": round(projected.rate),
        "replay_seconds": round(relayed.seconds + projected.seconds, 1),
        "replay_events_per_second": round(written.total / (relayed.seconds + projected.seconds)),
        "report_seconds": round(report_seconds, 2),
        "sql_counts_seconds": round(count_seconds, 2),
        "report_equals_sql_counts": not mismatches,
        "rebuild_seconds": round(rebuild_seconds, 1),
        "rebuild_events_per_second": round(written.total / rebuild_seconds),
        "rebuild_gives_identical_tables": identical,
    }


CERTIFICATE_FIGURES = ("active", "revoked", "not_yet_active", "expired", "individual", "organisation", "sim_pki")

if __name__ == "__main__":
    main()
