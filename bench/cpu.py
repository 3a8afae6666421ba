"""CPU time spent by the platform's processes and by the whole machine, from /proc: what a document costs.

`CpuMeter(pids)` reads, at its start and at `per_document(count)`, the user + system time of each named
process and every process under it (the signing service's workers included), and the busy time of the whole
machine (every core, everything running: PostgreSQL, NATS, the benchmark's own clients too). Divided by the
documents exchanged meanwhile, it shows where a document's CPU goes: on a machine whose cores are all busy,
the rate cannot rise unless one of these falls.
"""

from __future__ import annotations

import os
from pathlib import Path

from memory import descendants

TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of `pid` and the live processes under it (0 for None)."""
    if pid is None:
        return 0.0
    total = 0
    for process in descendants(pid):
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def machine_busy_seconds() -> float:
    """CPU seconds the machine's cores have spent on anything but idling and waiting for I/O, since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle, iowait = values[3], values[4]
    return (sum(values[:8]) - idle - iowait) / TICKS


class CpuMeter:
    """CPU seconds of named process trees and of the machine from now on."""

    def __init__(self, pids: dict[str, int | None]) -> None:
        self._pids = pids
        self._start = self._read()

    def _read(self) -> dict[str, float]:
        return {name: tree_cpu_seconds(pid) for name, pid in self._pids.items()} | {"machine": machine_busy_seconds()}

    def per_document(self, documents: int) -> dict[str, float]:
        """Milliseconds of CPU per document since the start, by process tree and for the whole machine."""
        now = self._read()
        return {name: round((now[name] - self._start[name]) * 1000 / max(documents, 1), 1) for name in now}
