"""Memory of a service counted honestly: the process and every process under it (the signing service's
forkserver and worker processes), as proportional set size (Pss: shared pages divided among the processes
that share them), sampled over a run to find its peak.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path


def descendants(pid: int) -> list[int]:
    """`pid` and every live process under it, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending += children.get(current, [])
    return tree


def _kib(path: Path, field: str) -> int:
    try:
        found = re.search(rf"^{field}:\s+(\d+) kB", path.read_text(), re.MULTILINE)
    except OSError:
        return 0
    return int(found[1]) if found else 0


def tree_pss_kib(pid: int | None) -> int:
    """Pss of `pid` and all its descendants, in KiB."""
    if pid is None:
        return 0
    return sum(_kib(Path(f"/proc/{p}/smaps_rollup"), "Pss") for p in descendants(pid))


def tree_peak_rss_kib(pid: int | None) -> int:
    """The sum of each process's peak resident size (VmHWM) over the tree: an upper bound of the peak."""
    if pid is None:
        return 0
    return sum(_kib(Path(f"/proc/{p}/status"), "VmHWM") for p in descendants(pid))


class PeakPss:
    """Samples the Pss of several process trees every `interval` seconds and keeps each one's peak."""

    def __init__(self, pids: dict[str, int | None], interval: float = 0.5) -> None:
        self.peak_kib = {name: tree_pss_kib(pid) for name, pid in pids.items()}
        self._pids, self._interval = pids, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(self._interval):
            for name, pid in self._pids.items():
                self.peak_kib[name] = max(self.peak_kib[name], tree_pss_kib(pid))

    def close(self) -> dict[str, int]:
        self._stop.set()
        self._thread.join(10)
        return self.peak_kib
