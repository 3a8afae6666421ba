"""End-to-end benchmark of the platform (issue #11), each figure beside the raw component in the same run.

- exchange: documents/s and p50/p99 latency from `SendDocument` at agency A (drafted, approved, numbered,
  sealed with PAdES, sent) to the `01` arrival seen by agency B's `WatchIncoming`, for 1, 8 and 64 senders;
- append: events/s appended through the documents API (`CreateOutgoing`, one event each) vs the raw
  `eventsourcing` + SQLAlchemy append of a one-event aggregate on the same database;
- replay: events/s read back by `GetHistory` (what `lienthong audit history` calls) and by the reporting
  rebuild (`python -m lienthong.reporting.main rebuild --replay`) vs a raw SQL SELECT of the same rows;
- relay lag: commit (event time) → message seen on NATS, p50/p99, vs a raw JetStream publish (to its ack);
- memory: resident memory of each service at rest and its peak over the run (VmRSS / VmHWM of the service's
  own process), and the peak of the Pss summed over the process and every process under it (the signing
  service's forkserver and workers), sampled every half second: the honest figure for a pool of workers.

`python bench/exchange.py [--quick] [--senders 64] [--exchange-only] [--profile DIR] [--documents-replicas 2]`;
`make bench` runs the full mode. `--documents-replicas 2` runs a second documents process behind the same
address (PostgreSQL: the leases keep its relay and consumers in one process at a time), for issue #18.
`--profile DIR` runs py-spy on every service during the last exchange phase and writes the top frames to
DIR/summary.txt. Against LIENTHONG_BENCH_DATABASE_URL and LIENTHONG_BENCH_NATS_URL when set (PostgreSQL,
NATS), else SQLite files and an embedded NATS server.
Figures go to bench/results.json under "exchange" and are printed as a table.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import nats
from bench_results import RESULTS, percentile, record
from cpu import CpuMeter
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from memory import PeakPss, tree_pss_kib
from nats.js.api import StreamConfig
from profiling import Profiles
from sqlalchemy import create_engine, text

from lienthong.documents.v1 import documents_pb2 as docs
from lienthong.documents.v1 import documents_pb2_grpc
from lienthong.events.v1 import events_pb2
from lienthong.eventstore import store_environment
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.launcher.callers import Callers
from lienthong.launcher.demo import OPERATOR
from lienthong.launcher.platform import SERVICES, Platform
from lienthong.launcher.testing import delete_streams, fresh_database, isolated_platform_config

RECIPIENT = "000.00.00.H47"
SENDERS = [f"000.00.{n:02d}.H47" for n in range(1, 65)]
CLERK = (("x-lienthong-actor", f"clerk@{RECIPIENT}"),)  # the recipient's văn thư
AUDITOR = (("x-lienthong-actor", f"auditor@{RECIPIENT}"),)


def clerk_of(code: str) -> tuple[tuple[str, str]]:
    """Call metadata acting as the văn thư (clerk) of agency `code`."""
    return (("x-lienthong-actor", f"clerk@{code}"),)


def ms(values: list[float], p: float) -> float:
    """The `p` percentile of `values`, rounded to hundredths (of a millisecond)."""
    return round(percentile(values, p), 2)


def memory_kib(pid: int | None) -> tuple[int, int]:
    """(resident now, resident peak) of a process in KiB, from /proc."""
    if pid is None:
        return 0, 0
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.MULTILINE))
    return int(fields.get("VmRSS", 0)), int(fields.get("VmHWM", 0))


class ArrivalWatch:
    """Watches the recipient's incoming documents and notes when each outgoing document arrived."""

    def __init__(self, callers: Callers) -> None:
        self.seen: dict[str, float] = {}
        self._channel = callers.acting("documents")
        stub = documents_pb2_grpc.DocumentsServiceStub(self._channel)
        self._stream = stub.WatchIncoming(docs.WatchIncomingRequest(recipient_code=RECIPIENT), metadata=CLERK)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for response in self._stream:
                self.seen[response.document.outgoing_id] = time.perf_counter()
        except grpc.RpcError:
            pass  # cancelled at the end

    def close(self) -> None:
        self._stream.cancel()  # type: ignore[no-untyped-call]
        self._channel.close()


def exchange(
    callers: Callers,
    watch: ArrivalWatch,
    senders: int,
    seconds: float,
    pids: dict[str, int | None],
    profile: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """`senders` clients each sending documents one after another for `seconds`; rate, latencies and the CPU
    a document took in each service (`pids`) and on the whole machine. `profile` is called once the senders
    have started."""
    cpu = CpuMeter(pids)
    started_at: dict[str, float] = {}
    failures: list[str] = []
    deadline = time.perf_counter() + seconds

    def sender(index: int) -> None:
        with callers.acting("documents") as channel:
            stub = documents_pb2_grpc.DocumentsServiceStub(channel)
            n = 0
            while time.perf_counter() < deadline:
                n += 1
                draft = docs.CreateOutgoingRequest(
                    sender_code=SENDERS[index],
                    type=docs.DOCUMENT_TYPE_BAO_CAO,
                    subject=f"Báo cáo số liệu {index}-{n}",
                )
                began = time.perf_counter()
                try:
                    sent = stub.SendDocument(
                        docs.SendDocumentRequest(document=draft, recipient_codes=[RECIPIENT]),
                        metadata=clerk_of(SENDERS[index]),
                        timeout=60,
                    )
                except grpc.RpcError as error:  # counted and shown, not the end of the run
                    failures.append(f"{error.code().name}: {error.details()}")
                    continue
                started_at[sent.document.id] = began

    began = time.perf_counter()
    with ThreadPoolExecutor(senders) as pool:
        running = pool.map(sender, range(senders))
        if profile is not None:
            time.sleep(min(3.0, seconds / 4))  # past the first calls' warm-up
            profile()
        list(running)
    limit = time.perf_counter() + 60
    while any(doc not in watch.seen for doc in started_at) and time.perf_counter() < limit:
        time.sleep(0.05)
    latencies = [(watch.seen[d] - t) * 1000 for d, t in started_at.items() if d in watch.seen]
    cpu_ms = cpu.per_document(len(latencies))
    elapsed = max(watch.seen.get(d, 0) for d in started_at) - began if started_at else seconds
    return {
        "documents": len(started_at),
        "arrived": len(latencies),
        "failed_calls": len(failures),
        "first_failure": failures[0] if failures else "",
        "documents_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": ms(latencies, 0.5),
        "p99_ms": ms(latencies, 0.99),
        "cpu_ms_per_document": cpu_ms,
    }


class Note(Aggregate):
    @event("Written")
    def __init__(self, text: str) -> None:
        self.text = text


class RawNotes(Application[Any]):
    """The raw component: the `eventsourcing` library with its SQLAlchemy persistence, nothing of ours
    (no stamping, no listeners, no group commit)."""

    name = "BenchNotes"


def rate(threads: int, total: int, action: Callable[[int], object]) -> float:
    """Calls per second of `action(i)` for i in range(total), spread over `threads` threads."""
    began = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(action, range(total)))
    return total / (time.perf_counter() - began)


def append_rates(callers: Callers, database_url: str, total: int) -> dict[str, float]:
    raw = RawNotes({**store_environment("bench_notes", database_url), "PERSISTENCE_MODULE": "eventsourcing_sqlalchemy"})
    raw_rate = rate(8, total, lambda i: raw.save(Note(f"note {i}")))
    local = threading.local()

    def create(i: int) -> None:
        if not hasattr(local, "stub"):
            local.stub = documents_pb2_grpc.DocumentsServiceStub(callers.acting("documents"))
        request = docs.CreateOutgoingRequest(
            sender_code=SENDERS[i % 8], type=docs.DOCUMENT_TYPE_TO_TRINH, subject=f"Tờ trình {i}"
        )
        local.stub.CreateOutgoing(request, metadata=clerk_of(SENDERS[i % 8]))

    api_rate = rate(8, total, create)
    return {
        "api_events_per_second": round(api_rate),
        "raw_events_per_second": round(raw_rate),
        "api_to_raw_ratio": round(api_rate / raw_rate, 2),
    }


def replay_rates(platform: Platform, database_url: str, outgoing_ids: list[str]) -> dict[str, float]:
    engine = create_engine(database_url)
    began = time.perf_counter()
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT originator_id, originator_version, topic, state FROM documents_events")
        ).all()
    raw_rate = len(rows) / (time.perf_counter() - began)

    events = 0
    began = time.perf_counter()
    with platform.callers.acting("documents") as channel:
        stub = documents_pb2_grpc.DocumentsServiceStub(channel)
        for document_id in outgoing_ids:
            request = docs.GetHistoryRequest(document_id=document_id)
            events += len(stub.GetHistory(request, metadata=AUDITOR).events)
    history_rate = events / (time.perf_counter() - began)

    platform.stop_service("reporting")
    rebuilt = subprocess.run(
        [sys.executable, "-m", "lienthong.reporting.main", "rebuild", "--replay"],
        env=platform.env(),
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    platform.start_service("reporting")
    replayed = re.search(r"_DOCUMENTS: replayed ([\d,]+) events in ([\d.]+) s", rebuilt.stdout)
    assert replayed, rebuilt.stdout + rebuilt.stderr
    rebuild_events, rebuild_seconds = int(replayed[1].replace(",", "")), float(replayed[2])
    return {
        "raw_select_rows_per_second": round(raw_rate),
        "history_events_per_second": round(history_rate),
        "history_to_raw_ratio": round(history_rate / raw_rate, 3),
        "rebuild_events": rebuild_events,
        "rebuild_seconds": rebuild_seconds,
        "rebuild_events_per_second": round(rebuild_events / max(rebuild_seconds, 1e-6)),
        "rebuild_to_raw_ratio": round(rebuild_events / max(rebuild_seconds, 1e-6) / raw_rate, 3),
    }


class RelayLag:
    """Listens to the documents subjects on NATS and notes, per event, how long after its time it came."""

    def __init__(self, url: str, instance: str) -> None:
        self.lags_ms: list[float] = []
        self._url, self._subject = url, f"{instance}.documents.>"
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._listen()), daemon=True)
        self._thread.start()
        self._ready.wait(10)

    async def _listen(self) -> None:
        client = await nats.connect(self._url)
        self._stop = asyncio.Event()
        self._loop = asyncio.get_running_loop()

        async def seen(message: Any) -> None:
            envelope = events_pb2.EventEnvelope.FromString(message.data)
            self.lags_ms.append((time.time() - envelope.occurred_at.ToNanoseconds() / 1e9) * 1000)

        await client.subscribe(self._subject, cb=seen)
        self._ready.set()
        await self._stop.wait()
        await client.close()

    def close(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


async def raw_publish_ms(url: str, count: int) -> list[float]:
    client = await nats.connect(url)
    js = client.jetstream()
    stream = f"BENCH_{uuid.uuid4().hex[:8].upper()}"
    await js.add_stream(StreamConfig(name=stream, subjects=[f"{stream.lower()}.>"]))
    payload = os.urandom(600)
    latencies = []
    try:
        for i in range(count):
            began = time.perf_counter()
            await js.publish(f"{stream.lower()}.event", payload, headers={"Nats-Msg-Id": str(i)})
            latencies.append((time.perf_counter() - began) * 1000)
    finally:
        await js.delete_stream(stream)
        await client.close()
    return latencies


def register_agencies(callers: Callers) -> None:
    with callers.acting("identifiers") as channel:
        stub = identifiers_pb2_grpc.IdentifiersServiceStub(channel)
        stub.RegisterAgency(
            ids.RegisterAgencyRequest(code=RECIPIENT, name="UBND tỉnh", short_name="UBND"), metadata=OPERATOR
        )
        for n, code in enumerate(SENDERS, start=1):
            stub.RegisterAgency(
                ids.RegisterAgencyRequest(code=code, name=f"Sở {n}", short_name=f"S{n}"), metadata=OPERATOR
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (under two minutes) for trying")
    parser.add_argument("--senders", type=int, nargs="+", default=[1, 8, 64], help="the exchange phases")
    parser.add_argument("--exchange-only", action="store_true", help="no append, replay or memory figures")
    parser.add_argument("--profile", type=Path, help="py-spy every service in the last phase; top frames here")
    parser.add_argument(
        "--documents-replicas",
        type=int,
        default=1,
        help="documents processes behind one address, the senders' calls spread round robin (PostgreSQL only)",
    )
    arguments = parser.parse_args()
    quick = arguments.quick
    seconds, appends = (5.0, 300) if quick else (30.0, 3000)
    server = os.environ.get("LIENTHONG_BENCH_DATABASE_URL", "")
    nats_url = os.environ.get("LIENTHONG_BENCH_NATS_URL") or None
    figures: dict[str, Any] = {"mode": "quick" if quick else "full"}
    with tempfile.TemporaryDirectory() as work, fresh_database(Path(work) / "unused.db", server) as fresh_url:
        # an open embedded NATS: the raw-publish baseline below uses streams and subjects of its own
        config = dataclasses.replace(isolated_platform_config(Path(work), nats_url, fresh_url), secure_nats=False)
        platform = Platform(config)
        platform.start()
        for _ in range(arguments.documents_replicas - 1):
            platform.start_replica("documents")
        figures["documents_replicas"] = arguments.documents_replicas
        figures["database"] = "postgresql" if config.database_url else "sqlite"
        documents_url = config.database_url or f"sqlite:///{Path(work) / 'documents.db'}"
        try:
            time.sleep(2)
            at_rest = {service: memory_kib(platform.pid(service))[0] for service in SERVICES}
            at_rest_pss = {service: tree_pss_kib(platform.pid(service)) for service in SERVICES}
            peak_pss = PeakPss({service: platform.pid(service) for service in SERVICES})
            register_agencies(platform.callers)
            lag = RelayLag(platform.nats_url, config.instance)
            watch = ArrivalWatch(platform.callers)
            profiles = Profiles(arguments.profile) if arguments.profile else None

            def profile() -> None:
                assert profiles is not None
                for service in SERVICES:
                    profiles.record(service, platform.pid(service), seconds * 0.6)

            for senders in arguments.senders:
                last = senders == arguments.senders[-1]
                figures[f"exchange_{senders}_senders"] = exchange(
                    platform.callers,
                    watch,
                    senders,
                    seconds,
                    {service: platform.pid(service) for service in SERVICES},
                    profile if profiles and last else None,
                )
            if profiles:
                summary = profiles.summary()
                (arguments.profile / "summary.txt").write_text(summary + "\n")
                print(summary)
            lag.close()
            watch.close()
            raw_lags = asyncio.run(raw_publish_ms(platform.nats_url, 2000 if not quick else 300))
            figures["relay_lag"] = {
                "events": len(lag.lags_ms),
                "p50_ms": ms(lag.lags_ms, 0.5),
                "p99_ms": ms(lag.lags_ms, 0.99),
                "raw_publish_p50_ms": ms(raw_lags, 0.5),
                "raw_publish_p99_ms": ms(raw_lags, 0.99),
            }
            if not arguments.exchange_only:
                figures["append"] = append_rates(platform.callers, documents_url, appends)
                figures["replay"] = replay_rates(platform, documents_url, list(watch.seen))
            peaks = peak_pss.close()
            figures["memory_mib"] = {
                service: {
                    "at_rest": round(at_rest[service] / 1024, 1),
                    "peak": round(memory_kib(platform.pid(service))[1] / 1024, 1),
                    "at_rest_pss_with_children": round(at_rest_pss[service] / 1024, 1),
                    "peak_pss_with_children": round(peaks[service] / 1024, 1),
                }
                for service in SERVICES
            }
        finally:
            platform.stop()
            if nats_url:
                asyncio.run(delete_streams(nats_url, config.instance))

    if arguments.exchange_only or arguments.senders != [1, 8, 64] or arguments.documents_replicas != 1:
        print(json.dumps(figures, indent=2, ensure_ascii=False))
        return  # a partial run: bench/results.json keeps the last whole one
    record("exchange", figures)
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    table = issue_table(figures, json.loads(RESULTS.read_text()))
    record("issue_16", table)
    print_table(table)


# The figures of issue 16's table, under its row names, with the issue's mark and target for each.
ISSUE_ROWS = {
    "signed exchange, 1 sender": ("exchange", "exchange_1_senders", None, None),
    "signed exchange, 8 senders": ("exchange", "exchange_8_senders", "p99 < 1,000 ms", "p99 < 250 ms"),
    "signed exchange, 64 senders": ("exchange", "exchange_64_senders", ">= 40 docs/s", ">= 100 docs/s, p99 < 250 ms"),
    "append through CreateOutgoing": ("exchange", "append", ">= 0.5x raw", ">= 0.8x raw"),
    "relay lag commit -> NATS": ("exchange", "relay_lag", "p99 < 50 ms", "p99 < 10 ms"),
    "signing in process (bench/signing.py)": ("signing", None, None, None),
    "signing service peak RSS": ("exchange", "memory_mib", "< 150 MiB", None),
    "identifiers ResolveAgency over gRPC, 1 client (bench/identifiers.py)": (
        "identifiers",
        None,
        ">= 1,500 calls/s",
        None,
    ),
}


def issue_table(exchange: dict[str, Any], results: dict[str, Any]) -> dict[str, Any]:
    """Every row of issue 16's table: this run's figures (and the other benchmarks' latest) beside the marks."""
    table: dict[str, Any] = {"mode": exchange["mode"], "database": exchange["database"]}
    for row, (section, key, mark, target) in ISSUE_ROWS.items():
        source = exchange if section == "exchange" else results.get(section, {})
        figures: dict[str, Any] = dict(source.get(key, {})) if key else {}
        if key == "memory_mib":
            signing = source.get(key, {}).get("signing", {})
            figures = {
                "peak_mib": signing.get("peak"),
                "peak_pss_with_workers_mib": signing.get("peak_pss_with_children"),
            }
        elif section == "signing":
            figures = {k: v for k, v in source.items() if k.startswith("pades_")}
        elif section == "identifiers":
            figures = {k: v for k, v in source.items() if k.endswith("_1_client")}
        table[row] = {"figures": figures or "not measured (run its benchmark first)", "mark": mark, "target": target}
    return table


def print_table(table: dict[str, Any]) -> None:
    print("\nissue 16:", table["mode"], "mode on", table["database"])
    for row, entry in table.items():
        if isinstance(entry, dict):
            shown = (
                ", ".join(f"{k} {v}" for k, v in entry["figures"].items())
                if isinstance(entry["figures"], dict)
                else entry["figures"]
            )
            print(f"  {row}: {shown}" + (f"  [mark {entry['mark']}]" if entry["mark"] else ""))


if __name__ == "__main__":
    main()
