"""Benchmark of the identifiers service: bulk import rows/s and ResolveAgency calls/s over gRPC, and the
in-process resolve time. Writes its figures into bench/results.json under "identifiers".

Run with `make bench`; it starts the platform on free ports against LIENTHONG_BENCH_DATABASE_URL /
LIENTHONG_BENCH_NATS_URL when set (PostgreSQL and NATS), else against SQLite files and an embedded NATS.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench_results import percentile, record
from sqlalchemy import create_engine

from lienthong.identifiers.domain.resolution import resolve
from lienthong.identifiers.projections.registry import Registry
from lienthong.identifiers.v1 import identifiers_pb2 as ids
from lienthong.identifiers.v1 import identifiers_pb2_grpc
from lienthong.launcher.callers import Callers
from lienthong.launcher.demo import OPERATOR
from lienthong.launcher.platform import Platform
from lienthong.launcher.testing import delete_streams, fresh_database, isolated_platform_config

BATCH = 500


def registry_rows(letter_number: str = "H46") -> list[ids.ImportRow]:
    """10,000 agencies: a province, 99 departments, 99 units in each, 99 sub-units of the first unit."""
    codes = [("000.00.00", "Ủy ban nhân dân tỉnh", "UBND")]
    codes += [(f"000.00.{d:02d}", f"Sở số {d}", f"S{d}") for d in range(1, 100)]
    codes += [(f"000.{u:02d}.{d:02d}", f"Phòng {u} Sở {d}", f"P{u}S{d}") for d in range(1, 100) for u in range(1, 100)]
    codes += [(f"{s:03d}.01.01", f"Tổ {s}", f"T{s}") for s in range(1, 100)]
    return [
        ids.ImportRow(code=f"{code}.{letter_number}", fields=ids.AgencyFields(name=name, short_name=short))
        for code, name, short in codes
    ]


def import_all(stub: identifiers_pb2_grpc.IdentifiersServiceStub, rows: list[ids.ImportRow]) -> tuple[float, int]:
    started = time.perf_counter()
    created = 0
    for start in range(0, len(rows), BATCH):
        created += stub.ImportAgencies(
            ids.ImportAgenciesRequest(rows=rows[start : start + BATCH]), metadata=OPERATOR
        ).created
    return time.perf_counter() - started, created


def resolve_calls(callers: Callers, codes: list[str], threads: int, calls: int) -> tuple[float, list[float]]:
    """Calls per second and per-call latencies (ms) of ResolveAgency over gRPC from `threads` clients."""

    def client(offset: int) -> list[float]:
        latencies = []
        with callers.acting("identifiers") as channel:
            stub = identifiers_pb2_grpc.IdentifiersServiceStub(channel)
            for i in range(calls // threads):
                code = codes[(offset * 7919 + i * 104729) % len(codes)]
                began = time.perf_counter()
                stub.ResolveAgency(ids.ResolveAgencyRequest(code=code))
                latencies.append((time.perf_counter() - began) * 1000)
        return latencies

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        latencies = [ms for part in pool.map(client, range(threads)) for ms in part]
    return len(latencies) / (time.perf_counter() - started), latencies


def main() -> None:
    server = os.environ.get("LIENTHONG_BENCH_DATABASE_URL", "")
    nats_url = os.environ.get("LIENTHONG_BENCH_NATS_URL") or None
    with tempfile.TemporaryDirectory() as work, fresh_database(Path(work) / "unused.db", server) as fresh_url:
        data_dir = Path(work)
        database_url = "" if fresh_url.startswith("sqlite") else fresh_url
        config = isolated_platform_config(data_dir, nats_url, fresh_url)
        platform = Platform(config)
        platform.start()
        try:
            rows = registry_rows()
            with platform.callers.acting("identifiers") as channel:
                stub = identifiers_pb2_grpc.IdentifiersServiceStub(channel)
                first_seconds, created = import_all(stub, rows)
                second_seconds, created_again = import_all(stub, rows)
            assert (created, created_again) == (len(rows), 0)
            codes = [row.code for row in rows]
            single_rate, single = resolve_calls(platform.callers, codes, 1, 2000)
            parallel_rate, parallel = resolve_calls(platform.callers, codes, 8, 8000)

            registry = Registry(create_engine(database_url or f"sqlite:///{data_dir / 'identifiers.db'}"))
            registry.get(codes[0])  # load the in-memory copy once, as the service does at its first lookup
            lookup = lambda code: (row.entry if (row := registry.get(code)) else None)  # noqa: E731
            began = time.perf_counter()
            for code in codes:
                resolve(code, lookup)
            in_process_us = (time.perf_counter() - began) / len(codes) * 1e6
        finally:
            platform.stop()
            if nats_url:
                asyncio.run(delete_streams(nats_url, config.instance))

    figures = {
        "database": "postgresql" if database_url else "sqlite",
        "rows": len(rows),
        "import_rows_per_second": round(len(rows) / first_seconds),
        "reimport_unchanged_rows_per_second": round(len(rows) / second_seconds),
        "resolve_grpc_calls_per_second_1_client": round(single_rate),
        "resolve_grpc_p50_ms_1_client": round(statistics.median(single), 3),
        "resolve_grpc_p99_ms_1_client": round(percentile(single, 0.99), 3),
        "resolve_grpc_calls_per_second_8_clients": round(parallel_rate),
        "resolve_grpc_p99_ms_8_clients": round(percentile(parallel, 0.99), 3),
        "resolve_in_process_microseconds": round(in_process_us, 2),
    }
    record("identifiers", figures)
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
