"""The console process: it serves, and SIGTERM (what Kubernetes sends) stops it cleanly with exit status 0."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from lienthong.launcher.ports import free_port
from lienthong.launcher.testing import terminated, wait_for
from lienthong.signing.adapters.outbound.platformtls import platform_ca


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def test_sigterm_stops_the_console_with_exit_status_0(tmp_path: Path) -> None:
    platform_ca(tmp_path)  # the dev sign-in needs the dev CA `make run` creates
    port = free_port()
    kept = {key: value for key, value in os.environ.items() if not key.startswith("LIENTHONG_")}
    env = {**kept, "LIENTHONG_DATA_DIR": str(tmp_path), "LIENTHONG_CONSOLE_ADDR": f"127.0.0.1:{port}"}
    with (tmp_path / "console.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "lienthong.console.main"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_for(lambda: _answers(f"http://127.0.0.1:{port}/healthz"), what="the console to serve")
        finally:
            code = terminated(process)
    assert code == 0, (tmp_path / "console.log").read_text()
