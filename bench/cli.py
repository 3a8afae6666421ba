"""Benchmark of the `lienthong` CLI's start: how long `lienthong --help`, a group's help and one-RPC commands
take as whole processes (median and max of several runs; imports are most of it). Writes its figures into
bench/results.json under "cli".

Run with `make bench`; it starts the platform on free ports against LIENTHONG_BENCH_DATABASE_URL /
LIENTHONG_BENCH_NATS_URL when set (PostgreSQL and NATS), else against SQLite files and an embedded NATS.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_results import record

from lienthong.launcher.demo import seed_demo
from lienthong.launcher.platform import Platform
from lienthong.launcher.testing import delete_streams, fresh_database, isolated_platform_config

RUNS = 7
COMMANDS = {
    "help": ["--help"],
    "docs_help": ["docs", "--help"],
    "agencies_resolve": ["agencies", "resolve", "000.00.00.H41"],
    "docs_list": ["docs", "list", "--agency", "000.00.00.H41", "--incoming"],
}


def timed(arguments: list[str], env: dict[str, str]) -> float:
    """Seconds one `lienthong <arguments>` process takes from start to exit (it must succeed)."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "lienthong.cli.main", *arguments], env=env, check=True, capture_output=True)
    return time.perf_counter() - began


def main() -> None:
    server = os.environ.get("LIENTHONG_BENCH_DATABASE_URL", "")
    nats_url = os.environ.get("LIENTHONG_BENCH_NATS_URL") or None
    with tempfile.TemporaryDirectory() as work, fresh_database(Path(work) / "unused.db", server) as fresh_url:
        config = isolated_platform_config(Path(work), nats_url, fresh_url)
        platform = Platform(config)
        platform.start()
        try:
            seed_demo(platform.callers)
            env = platform.env() | {"COLUMNS": "200"}
            for arguments in COMMANDS.values():  # the first run issues the caller's certificate and warms caches
                timed(arguments, env)
            seconds = {name: [timed(arguments, env) for _ in range(RUNS)] for name, arguments in COMMANDS.items()}
        finally:
            platform.stop()
            if nats_url:
                asyncio.run(delete_streams(nats_url, config.instance))

    figures: dict[str, object] = {"runs": RUNS}
    for name, values in seconds.items():
        figures[f"{name}_median_seconds"] = round(statistics.median(values), 3)
        figures[f"{name}_max_seconds"] = round(max(values), 3)
    record("cli", figures)
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
