"""The whole platform as child processes: NATS (unless one is given), the SMTP sink, the five services and,
when asked for, the web console."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from lienthong.launcher.callers import Callers
from lienthong.launcher.nats_security import NatsSecurity, embedded_nats_security
from lienthong.launcher.nats_server import NatsServer
from lienthong.launcher.ports import free_port, wait_for_port
from lienthong.relay import StreamNames
from lienthong.relay.credentials import NatsCredentials
from lienthong.relay.topology import ADMIN
from lienthong.signing.adapters.outbound.platformtls import TlsDirectory

# Start order: who others call comes first (documents calls identifiers and signing).
SERVICES = ("identifiers", "signing", "documents", "email", "reporting")
DEFAULT_PORTS = {"identifiers": 50051, "documents": 50052, "signing": 50053, "email": 50054, "reporting": 50055}
DEFAULT_NATS_PORT = 14222  # not 4222, so that `make run` never collides with a NATS already on the machine
DEFAULT_SMTP_PORT = 2525
DEFAULT_INBOUND_SMTP_PORT = 2526  # where replies to notifications are delivered (the email service listens)
# The development CA's RFC 3161 time-stamping authority and CRLs, served over HTTP by the signing service.
DEFAULT_TSA_PORT = 50063
# The web console (services/console) `make run` serves; tests start it only when they ask for it.
DEFAULT_CONSOLE_PORT = 8480


@dataclass
class PlatformConfig:
    """Where the platform keeps its state and how its parts find each other."""

    data_dir: Path
    nats_url: str | None = None  # None: start an embedded NATS server on nats_port
    database_url: str | None = None  # None: one SQLite file per service under data_dir
    instance: str = "lienthong"
    ports: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    nats_port: int = DEFAULT_NATS_PORT
    smtp_port: int = DEFAULT_SMTP_PORT
    tsa_port: int = DEFAULT_TSA_PORT
    extra_env: Mapping[str, str] = field(default_factory=dict)
    inbound_smtp_port: int = DEFAULT_INBOUND_SMTP_PORT
    start_smtp_sink: bool = True  # False: a sink the caller runs listens on smtp_port, storing in mail_dir
    # service → port of its Prometheus /metrics on 127.0.0.1; services not named serve no metrics
    metrics_ports: Mapping[str, int] = field(default_factory=dict)
    secure_nats: bool = True  # the embedded NATS with TLS and one user per service; False: open (benchmarks)
    console_port: int | None = None  # None: no web console; else it listens on 127.0.0.1:<port>

    def address(self, service: str) -> str:
        return f"127.0.0.1:{self.ports[service]}"

    @property
    def console_url(self) -> str | None:
        return f"http://127.0.0.1:{self.console_port}/" if self.console_port else None

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def traces_dir(self) -> Path:
        return self.data_dir / "traces"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"


class Platform:
    """Starts, stops, kills and restarts the platform's processes.

    Children run in sessions of their own, so that Ctrl-C reaches only the launcher, which then stops
    them in order: services first (they drain and flush), then the SMTP sink and NATS.

    Services speak mutual TLS only: on first start the launcher creates the dev CA (the one the signing
    service uses, in `<data dir>/signing`) and a certificate for every service in `<data dir>/tls`, and
    reuses them after that; `callers` reaches the services as any principal.
    """

    def __init__(self, config: PlatformConfig) -> None:
        self.config = config
        self.nats: NatsServer | None = None
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self._replicas: dict[str, list[str]] = {}  # service -> addresses of its replicas beyond the first

    @property
    def nats_url(self) -> str:
        if self.config.nats_url:
            return self.config.nats_url
        return f"nats://127.0.0.1:{self.config.nats_port}"

    @functools.cached_property
    def tls(self) -> TlsDirectory:
        """The platform's TLS files: the dev CA's certificates for the services and their callers."""
        return TlsDirectory.of_platform(self.config.data_dir)

    @property
    def callers(self) -> Callers:
        """Channels to the services as a principal of the caller's choosing (by default the launcher),
        round robin over a service's replicas when `start_replica` started more than one."""
        return Callers(self.tls, {service: self.addresses(service) for service in SERVICES})

    def addresses(self, service: str) -> str:
        """Where `service` is: its address, or `ipv4:` and the list of its replicas' addresses."""
        replicas = [self.config.address(service), *self._replicas.get(service, [])]
        return replicas[0] if len(replicas) == 1 else "ipv4:" + ",".join(replicas)

    @functools.cached_property
    def nats_security(self) -> NatsSecurity | None:
        """The embedded NATS server's users and TLS (created on first use); None on a NATS given by URL,
        whose credentials the environment provides (LIENTHONG_NATS_USER, ...), if it has any."""
        if self.config.nats_url or not self.config.secure_nats:
            return None
        return embedded_nats_security(self.config.data_dir, StreamNames(self.config.instance))

    def nats_env(self, user: str) -> dict[str, str]:
        """The environment with which a process connects to NATS as `user` (a service, or ADMIN)."""
        return self.nats_security.client_env(user) if self.nats_security else {}

    def nats_credentials(self, user: str = ADMIN) -> NatsCredentials | None:
        """How this process connects to the platform's NATS as `user` (the operators' user by default)."""
        return self.nats_security.credentials(user) if self.nats_security else None

    def env(self) -> dict[str, str]:
        """The environment every service process gets (each adds its own TLS files, `service_env`)."""
        env = dict(os.environ)
        env.update(
            {
                "LIENTHONG_DATA_DIR": str(self.config.data_dir),
                "LIENTHONG_NATS_URL": self.nats_url,
                "LIENTHONG_INSTANCE": self.config.instance,
                "LIENTHONG_TRACES_DIR": str(self.config.traces_dir),
                "LIENTHONG_SMTP_HOST": "127.0.0.1",
                "LIENTHONG_SMTP_PORT": str(self.config.smtp_port),
                "LIENTHONG_MAIL_DIR": str(self.config.mail_dir),
                "LIENTHONG_SMTP_DELIVERY_LOG": str(self.config.mail_dir / "delivered.log"),
                "LIENTHONG_MAIL_INBOUND_ADDR": f"127.0.0.1:{self.config.inbound_smtp_port}",
                # The signing service serves the dev CA's TSA and timestamps its signatures through it,
                # over HTTP like a real TSA.
                "LIENTHONG_SIGNING_DEVCA_HTTP_ADDR": f"127.0.0.1:{self.config.tsa_port}",
                "LIENTHONG_SIGNING_TSA_URL": f"http://127.0.0.1:{self.config.tsa_port}/tsa",
                "PYTHONUNBUFFERED": "1",
            }
        )
        for service in SERVICES:
            env[f"LIENTHONG_{service.upper()}_ADDR"] = self.config.address(service)
        if self.config.database_url:
            env["LIENTHONG_DATABASE_URL"] = self.config.database_url
        else:
            env.pop("LIENTHONG_DATABASE_URL", None)
        env.pop("LIENTHONG_LISTEN_ADDR", None)
        env.pop("LIENTHONG_METRICS_PORT", None)  # five processes on one host cannot share one metrics port
        env.update(self.config.extra_env)
        return env

    def service_env(self, service: str) -> dict[str, str]:
        """The environment of `service`'s process: `env()`, its TLS files and its metrics port, if any."""
        return self.env() | self._own_env(service)

    def _own_env(self, service: str) -> dict[str, str]:
        own = self.tls.server(service).env()
        if service in self.config.metrics_ports:
            port = str(self.config.metrics_ports[service])
            own |= {"LIENTHONG_METRICS_PORT": port, "LIENTHONG_METRICS_ADDR": "127.0.0.1"}
        return own

    def start(self, timeout: float = 60.0) -> None:
        """Start every part and wait until each service answers SERVING on the gRPC health protocol."""
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        self.config.logs_dir.mkdir(parents=True, exist_ok=True)
        for service in SERVICES:  # here, not in the services: they start at once and would race to issue
            self.tls.server(service)
        if not self.config.nats_url:
            self.nats = NatsServer(self.config.nats_port, self.config.data_dir / "nats", security=self.nats_security)
            self.nats.start()
        if self.config.start_smtp_sink:
            self._spawn(
                "smtp-sink",
                "lienthong.email.adapters.outbound.sink",
                "--port",
                str(self.config.smtp_port),
                "--dir",
                str(self.config.mail_dir),
            )
        wait_for_port("127.0.0.1", self.config.smtp_port, timeout)
        for service in SERVICES:
            self.start_service(service, wait=False)
        for service in SERVICES:
            self.wait_serving(service, timeout)
        if self.config.console_port:
            self.start_console(timeout)

    def start_console(self, timeout: float = 60.0) -> None:
        """The web console, signing people in with the dev CA; returns once it answers /healthz."""
        port = str(self.config.console_port)
        self._spawn("console", "lienthong.console.main", env={"LIENTHONG_CONSOLE_ADDR": f"127.0.0.1:{port}"})
        deadline = time.monotonic() + timeout
        while True:
            process = self._processes["console"]
            if process.poll() is not None:
                raise RuntimeError(f"console exited with {process.returncode}:\n{self.log_tail('console')}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"console not answering after {timeout:.0f}s:\n{self.log_tail('console')}")
            time.sleep(0.1)

    def start_service(self, service: str, *, wait: bool = True, timeout: float = 60.0) -> None:
        self._spawn(service, f"lienthong.{service}.main", env=self._own_env(service))
        if wait:
            self.wait_serving(service, timeout)

    def start_replica(self, service: str, timeout: float = 60.0) -> str:
        """One more process of `service` (named `<service>-<n>`) on a port of its own, with the same store,
        NATS and leases as the first (single-active work stays in one of them: PostgreSQL's leases);
        `callers` then spreads calls over every replica. Returns the new process's name."""
        if not self.config.database_url:
            raise ValueError(f"a second {service} process needs PostgreSQL: SQLite has no leases between processes")
        address = f"127.0.0.1:{free_port()}"
        self._replicas.setdefault(service, []).append(address)
        name = f"{service}-{len(self._replicas[service]) + 1}"
        env = self._own_env(service) | self.nats_env(service) | {"LIENTHONG_LISTEN_ADDR": address}
        self._spawn(name, f"lienthong.{service}.main", env=env)
        self._wait_serving(name, address, timeout)
        return name

    def _spawn(self, name: str, module: str, *args: str, env: Mapping[str, str] | None = None) -> None:
        log = (self.config.logs_dir / f"{name}.log").open("ab")
        self._processes[name] = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            env=self.env() | (self.nats_env(name) if name in SERVICES else {}) | dict(env or {}),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def wait_serving(self, service: str, timeout: float = 60.0) -> None:
        """Wait until `service` reports SERVING; fail early, with its log, if its process died."""
        self._wait_serving(service, self.config.address(service), timeout)

    def _wait_serving(self, name: str, address: str, timeout: float) -> None:
        with Callers(self.tls, {name: address}).opened(name) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            deadline = time.monotonic() + timeout
            while True:
                process = self._processes[name]
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}:\n{self.log_tail(name)}")
                try:
                    answer = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
                    if answer.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.RpcError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} not serving after {timeout:.0f}s:\n{self.log_tail(name)}")
                time.sleep(0.1)

    def pid(self, name: str) -> int | None:
        """The process id of a running part (a service or "smtp-sink"), None when it is not running."""
        process = self._processes.get(name)
        return process.pid if process is not None and process.poll() is None else None

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.config.logs_dir / f"{name}.log"
        if not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop_service(self, name: str, timeout: float = 15.0) -> int | None:
        """SIGTERM and wait (kill after `timeout`); return the exit code."""
        process = self._processes.pop(name, None)
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return process.returncode

    def kill_service(self, name: str) -> None:
        """kill -9, as a crash would."""
        process = self._processes.pop(name, None)
        if process is not None:
            process.kill()
            process.wait()

    def stop(self) -> dict[str, int | None]:
        """Stop everything, services first (they drain), then the sink and NATS; return exit codes."""
        codes = {name: self.stop_service(name) for name in reversed(list(self._processes))}
        if self.nats is not None:
            self.nats.stop()
            self.nats = None
        return codes
