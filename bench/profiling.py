"""py-spy on the running services during a benchmark phase, and the top of each profile as text.

`Profiles(directory).record(name, pid, seconds)` starts `py-spy record --format raw` (folded stacks, its
each process under it too, apart: the signing workers) in the background; `summary()` waits for them and returns, per
service, the functions holding the most samples on their own (self) and on the stack (inclusive).
py-spy must be installed (`uv pip install py-spy`): the benchmark's `--profile DIR` asks for it.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

from memory import descendants

# Leaf frames of a thread that waits (a pool thread for work, a selector, a lock, the database's answer):
# py-spy counts some of them as active; the summary counts them apart from the work.
WAITING = (
    "_worker (concurrent/futures/thread.py)",
    "Thread.run (threading.py)",
    "Condition.wait (threading.py)",
    "EpollSelector.select (selectors.py)",
    "_PollLikeSelector.select (selectors.py)",
    "Connection.wait (psycopg/connection.py)",
    "notifies (psycopg/generators.py)",
)


def py_spy() -> str:
    """The py-spy executable beside this interpreter or on PATH."""
    found = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(__file__).parent.parent / ".venv/bin"))
    if not found:
        raise SystemExit("--profile needs py-spy: uv pip install py-spy")
    return found


def frame_name(frame: str) -> str:
    """'function (module.py:12)' as py-spy writes it, without the line number."""
    return frame.rsplit(":", 1)[0] + ")" if frame.endswith(")") and ":" in frame else frame


def top_frames(folded: str, count: int) -> tuple[int, int, list[tuple[str, int]], list[tuple[str, int]]]:
    """(samples, samples waiting, top self frames, top inclusive frames) of a folded-stacks profile; the
    frames are those of the samples not waiting."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = waiting = 0
    for line in folded.splitlines():
        stack, _, samples = line.rpartition(" ")
        if not stack or not samples.isdigit():
            continue
        n = int(samples)
        total += n
        frames = [frame_name(f) for f in stack.split(";")]
        if frames[-1] in WAITING:
            waiting += n
            continue
        own[frames[-1]] += n
        for name in set(frames):
            inclusive[name] += n
    return total, waiting, own.most_common(count), inclusive.most_common(count)


class Profiles:
    """py-spy recordings of several processes over one benchmark phase."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._running: dict[str, subprocess.Popen[bytes]] = {}

    def record(self, name: str, pid: int | None, seconds: float, *, idle: bool = False) -> None:
        """Record `pid` and, each apart, every process under it (py-spy does not follow a forkserver's)."""
        if pid is None:
            return
        for each in descendants(pid):
            label = name if each == pid else f"{name}-child-{each}"
            command = [py_spy(), "record", "--pid", str(each), "--duration", str(int(seconds))]
            command += ["--format", "raw", "--nolineno", "--output", str(self._path(label))]
            command += ["--idle"] if idle else []
            self._running[label] = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _path(self, name: str) -> Path:
        return self.directory / f"{name}.folded"

    def summary(self, count: int = 25) -> str:
        lines: list[str] = []
        for name, process in self._running.items():
            process.wait(timeout=120)
            path = self._path(name)
            if not path.exists():
                lines.append(f"== {name}: no profile (py-spy exited {process.returncode})")
                continue
            total, waiting, own, inclusive = top_frames(path.read_text(), count)
            busy = max(total - waiting, 1)
            lines.append(f"== {name}: {total} samples, {total - waiting} working ({waiting} waiting, left out)")
            lines.append("-- self (share of the working samples)")
            lines += [f"{100 * n / busy:5.1f}%  {frame}" for frame, n in own]
            lines.append("-- inclusive")
            lines += [f"{100 * n / busy:5.1f}%  {frame}" for frame, n in inclusive]
        self._running.clear()
        return "\n".join(lines)
