"""Files written whole and renamed: two processes writing the same file never take each other's temporary."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

from lienthong.signing.adapters.outbound.files import write_replacing


def _write_many(path: str, content: bytes, rounds: int) -> None:
    for _ in range(rounds):
        write_replacing(Path(path), content, 0o600)


def test_two_processes_writing_one_file_both_succeed_and_leave_one_whole_version(tmp_path: Path) -> None:
    target = tmp_path / "crl.pem"
    contents = [b"A" * 65_536, b"B" * 65_536]
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write_many, args=(str(target), content, 300)) for content in contents]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)
    assert [writer.exitcode for writer in writers] == [0, 0]
    assert target.read_bytes() in contents
    assert [path.name for path in tmp_path.iterdir()] == ["crl.pem"]  # no temporary file left behind


def test_the_file_has_the_mode_asked_for_whatever_the_umask(tmp_path: Path) -> None:
    target = tmp_path / "key.pem"
    write_replacing(target, b"secret", 0o600)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    write_replacing(target, b"public", 0o644)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert target.read_bytes() == b"public"
