"""Benchmark of the read side (issue #17): a province year seeded through the services' event stores, then
every read model rebuilt from zero, history replayed and the registers searched, each beside a raw SELECT
of the same rows in the same run.

Figures:
- raw: rows/s of `SELECT originator_id, originator_version, topic, state` over each store's events table;
- rebuild: for every read model, events/s of its rebuild from zero, the way the service does it (the
  documents, identifiers and email read models follow their own store in pages, reporting's read models
  take the services' JetStream streams after the relays published them), and the same beside raw;
- history: events/s of `DocumentsApp.history` (what GetHistory answers) over sent documents, beside raw, beside
  one SELECT per document of the same rows through SQLAlchemy, and (PostgreSQL) the same straight on the driver;
- search: p50/p99 of register searches (words without diacritics, an exact code, filters);
- peak RSS of the process (seeding included).

`python bench/readside.py [--documents N] [--quick]`; `make bench` runs 20,000 documents, `--quick` 3,000.
Against LIENTHONG_BENCH_DATABASE_URL and LIENTHONG_BENCH_NATS_URL when set (PostgreSQL, NATS), else a SQLite
file and an embedded NATS server. Figures go to bench/results.json under "read_side".
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

from bench_results import percentile, record
from reporting import nats
from sqlalchemy import create_engine, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the seeding package, at the repository's root

from lienthong.audit import replay
from lienthong.consumer import LocalFollower, SqlProjection, StreamConsumer
from lienthong.documents.application.app import DocumentsApp
from lienthong.documents.projections.records import RecordsRegister
from lienthong.documents.projections.registers import DocumentSearch, Registers
from lienthong.email.projections.mailboxes import MailRegistry
from lienthong.email.projections.outbox import Outbox
from lienthong.eventstore import StoredApplication, reading
from lienthong.identifiers.projections.registry import Registry
from lienthong.launcher.province import PROVINCE_CODE
from lienthong.launcher.testing import delete_streams, fresh_database
from lienthong.relay import NatsLink, StreamNames
from lienthong.reporting.adapters.inbound.api import ReportingServicer
from lienthong.reporting.application.reports import Reports
from lienthong.reporting.projections.activity import DocumentActivity
from lienthong.reporting.projections.agencies import AgencyTree
from lienthong.reporting.projections.certificates import CertificateRegistry
from lienthong.reporting.projections.mail import MailActivity
from lienthong.reporting.v1 import reporting_pb2 as pb
from lienthong.vietnamese.calendar import vietnam_today
from seeding.event_log_counts import EventLogCounts, differences
from seeding.pipeline import relay_all
from seeding.province_year import Shape, applications, write_year

HISTORY_DOCUMENTS = 300
REPLAY_AGGREGATES = 100_000  # StreamHistory's replay reads at most these many documents (memory stays bounded)
RAW_PAGE = 10_000  # rows held at a time by the raw SELECT (a server-side cursor on PostgreSQL)
SEARCHES = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="3,000 documents, 1,000 certificates")
    parser.add_argument(
        "--reporting-from-stores",
        action="store_true",
        help="feed reporting's read models from the stores in pages, not through JetStream (for a large year, "
        "whose relay alone would take most of an hour; the transport is measured by bench/reporting.py)",
    )
    args = parser.parse_args()
    shape = Shape(documents=3_000, certificates=1_000) if args.quick else Shape(documents=args.documents)
    server = os.environ.get("LIENTHONG_BENCH_DATABASE_URL", "")
    instance = f"bench{uuid.uuid4().hex[:8]}"
    with (
        tempfile.TemporaryDirectory() as folder,
        fresh_database(Path(folder) / "store.db", server) as database_url,
        nats(Path(folder)) as nats_url,
    ):
        try:
            figures = run(shape, database_url, nats_url, instance, via_jetstream=not args.reporting_from_stores)
        finally:
            asyncio.run(delete_streams(nats_url, instance))
    figures = {"database": "sqlite" if database_url.startswith("sqlite") else "postgresql", **figures}
    record("read_side", figures)
    for name, value in figures.items():
        print(f"  {name:36} {value}")
    if not figures["report_equals_sql_counts"]:
        sys.exit("read side benchmark: the report of the rebuilt read models differs from the SQL counts (see above)")


def run(shape: Shape, database_url: str, nats_url: str, instance: str, *, via_jetstream: bool) -> dict[str, Any]:
    print(f"seeding a year of {shape.documents:,} documents, {shape.certificates:,} certificates", flush=True)
    began = time.monotonic()
    apps = applications(database_url)
    written = write_year(apps, shape)
    print(f"  {written.total:,} events in {time.monotonic() - began:.1f} s {written.events}", flush=True)
    peaks = {"seeding": peak_rss_mib()}
    print(f"  peak RSS so far {peaks['seeding']} MiB", flush=True)
    engine = create_engine(database_url)
    analyse(engine)

    raw = {service: raw_select_rate(engine, app) for service, app in apps.items()}
    peaks["raw_select"] = peak_rss_mib()
    print(f"  raw SELECT rows/s {raw} (peak RSS so far {peaks['raw_select']} MiB)", flush=True)

    rebuilds: dict[str, dict[str, float]] = {}
    local: list[tuple[str, str, Callable[[], SqlProjection]]] = [
        ("documents", "documents_registers", lambda: Registers(apps["documents"].engine)),
        ("documents", "documents_records", lambda: RecordsRegister(apps["documents"].engine)),
        ("identifiers", "identifiers_registry", lambda: Registry(apps["identifiers"].engine)),
        ("email", "email_outbox", lambda: Outbox(apps["email"].engine)),
        ("email", "email_mailboxes", lambda: MailRegistry(apps["email"].engine)),
    ]
    models: dict[str, SqlProjection] = {}
    for service, name, make in local:
        model = make()
        models[name] = model
        model.reset()
        events = written.events[service]
        began = time.perf_counter()
        LocalFollower(apps[service], model, service=service, batch_size=5000).catch_up(progress_of(name))
        seconds = time.perf_counter() - began
        rebuilds[name] = figures_of(events, seconds, raw[service])
        peaks[name] = peak_rss_mib()
        print(f"  rebuilt {name}: {rebuilds[name]} (peak RSS so far {peaks[name]} MiB)", flush=True)

    names = StreamNames(instance)
    if via_jetstream:
        relayed = asyncio.run(relay_all(apps, nats_url, names))
        print(f"  relayed {relayed.events:,} events in {relayed.seconds:.1f} s", flush=True)
    reporting_engine = create_engine(database_url)
    tree, activity = AgencyTree(reporting_engine), DocumentActivity(reporting_engine)
    certificates, mail = CertificateRegistry(reporting_engine), MailActivity(reporting_engine)
    reporting: list[tuple[str, str, SqlProjection]] = [
        ("identifiers", "reporting_agencies", tree),
        ("documents", "reporting_activity", activity),
        ("signing", "reporting_certificates", certificates),
        ("email", "reporting_mail", mail),
    ]
    for service, name, model in reporting:
        model.reset()
        began = time.perf_counter()
        if via_jetstream:
            asyncio.run(catch_up(nats_url, names.stream(service), model))
        else:
            LocalFollower(apps[service], model, service=service).catch_up(progress_of(name))
        seconds = time.perf_counter() - began
        rebuilds[name] = figures_of(written.events[service], seconds, raw[service])
        peaks[name] = peak_rss_mib()
        print(f"  rebuilt {name}: {rebuilds[name]} (peak RSS so far {peaks[name]} MiB)", flush=True)

    check = report_check(reporting_engine, shape, activity, Reports(activity, tree, certificates, mail))
    print(f"  report = SQL counts over the event log: {check['report_equals_sql_counts']}", flush=True)

    registers = models["documents_registers"]
    assert isinstance(registers, Registers)
    analyse(engine)  # the rebuilt read models' tables, for the searches
    history = history_rate(apps["documents"], registers, raw["documents"])
    peaks["history"] = peak_rss_mib()
    print(f"  history {history}", flush=True)
    search = search_times(registers)
    peaks["search"] = peak_rss_mib()
    print(f"  search {search}", flush=True)

    total_seconds = sum(figures["seconds"] for figures in rebuilds.values())
    slowest = min(rebuilds.values(), key=lambda figures: figures["events_per_second"])
    return {
        "documents_seeded": shape.documents,
        "reporting_fed_through": "jetstream" if via_jetstream else "stores",
        "events": written.total,
        "events_per_service": written.events,
        "raw_select_rows_per_second": {service: round(rate) for service, rate in raw.items()},
        "projection_events_per_second": {name: figures["events_per_second"] for name, figures in rebuilds.items()},
        "rebuild_to_raw_ratio": {name: figures["to_raw"] for name, figures in rebuilds.items()},
        "slowest_rebuild_to_raw_ratio": slowest["to_raw"],
        "rebuild_seconds": round(total_seconds, 2),
        **history,
        **search,
        **check,
        "peak_rss_mib": peak_rss_mib(),
        "peak_rss_mib_after": peaks,
    }


def peak_rss_mib() -> int:
    """The process's peak resident memory so far (it only grows: a phase's figure includes those before)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def report_check(engine: Any, shape: Shape, activity: DocumentActivity, reports: Reports) -> dict[str, Any]:
    """GetReport of the province for the seeded year from the rebuilt reporting read models, beside the same
    figures counted in SQL straight from the event tables (`seeding.event_log_counts`, nothing of reporting);
    every differing figure is printed."""
    request = pb.GetReportRequest(
        scope_code=PROVINCE_CODE, from_day=shape.first_day.isoformat(), to_day=shape.last_day.isoformat()
    )
    began = time.perf_counter()
    report = asyncio.run(ReportingServicer(activity, reports).GetReport(request, None))
    report_seconds = time.perf_counter() - began
    began = time.perf_counter()
    counted = EventLogCounts(engine, PROVINCE_CODE, shape.first_day, shape.last_day, vietnam_today(), shape.end)
    mismatches = differences(report, counted.report())
    count_seconds = time.perf_counter() - began
    for mismatch in mismatches[:20]:
        print(f"  MISMATCH {mismatch}", flush=True)
    return {
        "report_documents_exchanged": report.total.sent + report.total.received,
        "report_equals_sql_counts": not mismatches,
        "report_mismatches": len(mismatches),
        "report_seconds": round(report_seconds, 2),
        "sql_counts_seconds": round(count_seconds, 2),
    }


def analyse(engine: Any) -> None:
    """Statistics for the freshly written stores, as autovacuum would gather them in time (it is off on some
    servers, and never ran between the bulk load and the measurements): the plans measured are those of a
    database in service."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")


def raw_select_rate(engine: Any, app: StoredApplication) -> float:
    """Rows/s of a plain SELECT of a store's events, every column the application decodes."""
    table = f"{app.name.lower()}_events"
    began = time.perf_counter()
    rows = 0
    with engine.connect().execution_options(stream_results=True) as connection:
        result = connection.execute(text(f"SELECT originator_id, originator_version, topic, state FROM {table}"))
        for page in result.partitions(RAW_PAGE):  # without a size, partitions() fetches every row at once
            rows += len(page)
    return rows / (time.perf_counter() - began)


def progress_of(name: str) -> Callable[[int, int], None]:
    """Prints a rebuild's progress (events, total, rate, time left) about every five seconds, and at its end."""
    began = last = time.monotonic()

    def show(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= 5 or done >= total:
            last = now
            rate = done / max(now - began, 1e-6)
            left = (total - done) / rate if rate else 0.0
            print(f"    {name}: {done:,}/{total:,} events ({rate:,.0f} events/s, {left:,.0f} s left)", flush=True)

    return show


def figures_of(events: int, seconds: float, raw: float) -> dict[str, float]:
    rate = events / max(seconds, 1e-9)
    return {
        "events": events,
        "seconds": round(seconds, 2),
        "events_per_second": round(rate),
        "to_raw": round(rate / raw, 3),
    }


async def catch_up(nats_url: str, stream: str, model: SqlProjection) -> int:
    link = NatsLink(nats_url, "bench-readside")
    try:
        consumer = StreamConsumer(link, stream=stream, durable="bench-readside", sink=model, batch_size=500)
        return await consumer.catch_up()
    finally:
        await link.close()


def history_rate(app: StoredApplication, registers: Registers, raw: float) -> dict[str, float]:
    """Events/s of the documents' histories as GetHistory reads them (an outgoing document with its copies,
    one request each), and of a replay of every document as StreamHistory reads many aggregates; each
    beside the raw SELECT rate of the whole table and of the same rows."""
    assert isinstance(app, DocumentsApp)
    with registers.engine.connect() as connection:
        sent = select(registers.outgoing.c.id).where(registers.outgoing.c.state == "sent")
        ids = list(connection.execute(sent.limit(HISTORY_DOCUMENTS)).scalars())
        half = REPLAY_AGGREGATES // 2
        every = [UUID(i) for i in connection.execute(select(registers.outgoing.c.id).limit(half)).scalars()]
        every += [UUID(i) for i in connection.execute(select(registers.incoming.c.id).limit(half)).scalars()]
    events = 0
    named: list[list[UUID]] = []  # the aggregates each history read: the document and its copies
    began = time.perf_counter()
    for document_id in ids:
        records = app.history(UUID(document_id))
        events += len(records)
        named.append(list(dict.fromkeys(UUID(record.aggregate_id) for record in records)))
    rate = events / (time.perf_counter() - began)
    per_document = per_document_select_rate(app, named)
    driver_floor = per_document_driver_select_rate(app, named)

    began = time.perf_counter()
    replayed = sum(len(page) for page in replay.histories(app, every))
    replay_rate = replayed / (time.perf_counter() - began)
    table = app.recorder.events_record_cls.__table__  # type: ignore[attr-defined]
    columns = (table.c.originator_id, table.c.originator_version, table.c.topic, table.c.state)
    began = time.perf_counter()
    rows = 0
    with app.engine.connect() as connection:
        for start in range(0, len(every), 1000):
            query = select(*columns).where(table.c.originator_id.in_(every[start : start + 1000]))
            rows += len(connection.execute(query).all())
    same_rows = rows / (time.perf_counter() - began)
    return {
        "history_documents": len(ids),
        "history_events": events,
        "history_events_per_second": round(rate),
        "history_to_raw_ratio": round(rate / raw, 3),
        "raw_per_document_rows_per_second": round(per_document),
        "history_to_per_document_select_ratio": round(rate / per_document, 3),
        **(
            {
                "raw_per_document_driver_rows_per_second": round(driver_floor),
                "history_to_per_document_driver_select_ratio": round(rate / driver_floor, 3),
            }
            if driver_floor
            else {}
        ),
        "replay_aggregates": len(every),
        "replay_events": replayed,
        "replay_events_per_second": round(replay_rate),
        "replay_to_raw_ratio": round(replay_rate / raw, 3),
        "raw_same_rows_per_second": round(same_rows),
        "replay_to_same_rows_ratio": round(replay_rate / same_rows, 3),
    }


def per_document_select_rate(app: StoredApplication, named: list[list[UUID]]) -> float:
    """Rows/s of one plain SELECT per document of the rows its history holds (the document's and its
    copies' events), on one connection in autocommit: the floor of a request's round trips."""
    table = app.recorder.events_record_cls.__table__  # type: ignore[attr-defined]
    columns = (table.c.originator_id, table.c.originator_version, table.c.topic, table.c.state)
    rows = 0
    began = time.perf_counter()
    with reading(app) as connection:
        for aggregates in named:
            rows += len(connection.execute(select(*columns).where(table.c.originator_id.in_(aggregates))).all())
    return rows / (time.perf_counter() - began)


def per_document_driver_select_rate(app: StoredApplication, named: list[list[UUID]]) -> float:
    """On PostgreSQL, rows/s of the same per-document SELECTs sent straight on the driver's cursor, one
    statement of fixed text (psycopg prepares it): the floor without SQLAlchemy's cost per statement. 0 elsewhere."""
    if app.engine.dialect.name != "postgresql":
        return 0.0
    table = app.recorder.events_record_cls.__table__  # type: ignore[attr-defined]
    name = app.engine.dialect.identifier_preparer.format_table(table)
    statement = (
        f"SELECT originator_id, originator_version, topic, state FROM {name}"  # a table name, not input
        " WHERE originator_id = ANY(%s)"
    )
    rows = 0
    with reading(app) as connection:
        driver: Any = connection.connection.driver_connection
        with driver.cursor() as cursor:
            began = time.perf_counter()
            for aggregates in named:
                cursor.execute(statement, [aggregates])
                rows += len(cursor.fetchall())
            seconds = time.perf_counter() - began
    return rows / seconds


def search_times(registers: Registers) -> dict[str, float]:
    """p50/p99 of searches an office asks: words typed without diacritics, an exact code, filters."""
    with registers.engine.connect() as connection:
        rows = connection.execute(
            select(registers.outgoing.c.sender_code, registers.outgoing.c.code, registers.outgoing.c.subject_folded)
            .where(registers.outgoing.c.code != "")
            .limit(2000)
        ).all()
    rng = random.Random(17)
    kinds: dict[str, list[float]] = {"words": [], "code": [], "filters": []}
    for i in range(SEARCHES):
        sender, code, folded = rng.choice(rows)
        typed = re.findall(r"\w+", folded)  # as an office types them: no commas, no brackets
        words = " ".join(rng.sample(typed, min(2, len(typed))))
        kind = ("words", "code", "filters")[i % 3]
        search = {
            "words": DocumentSearch(sender, query=words),
            "code": DocumentSearch(sender, code=code),
            "filters": DocumentSearch(sender, doc_type="CONG_VAN", urgency="NORMAL", outgoing=True),
        }[kind]
        began = time.perf_counter()
        registers.search(search)
        kinds[kind].append((time.perf_counter() - began) * 1000)
    every = [ms for values in kinds.values() for ms in values]
    figures = {f"search_{kind}_p99_ms": round(percentile(values, 0.99), 2) for kind, values in kinds.items()}
    return {
        "search_p50_ms": round(percentile(every, 0.5), 2),
        "search_p99_ms": round(percentile(every, 0.99), 2),
        **figures,
    }


if __name__ == "__main__":
    main()
