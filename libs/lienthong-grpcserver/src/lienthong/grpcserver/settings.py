"""Configuration from environment variables, with the defaults `make run` uses.

| variable | default | meaning |
| --- | --- | --- |
| `LIENTHONG_DATA_DIR` | `var` | where embedded state lives (SQLite files, blobs, CA, mail, traces) |
| `LIENTHONG_DATABASE_URL` | `sqlite:///<data dir>/<service>.db` | SQLAlchemy URL of the event store; a `postgresql+psycopg://` URL for production (services share it, each in its own tables) |
| `LIENTHONG_NATS_URL` | `nats://127.0.0.1:4222` | NATS server with JetStream |
| `LIENTHONG_NATS_USER` | unset | the service's NATS user (its name); unset: connect without credentials (a NATS without users) |
| `LIENTHONG_NATS_PASSWORD_FILE` | unset | file holding that user's password (a mounted Kubernetes Secret; `make run` generates them) |
| `LIENTHONG_NATS_CA` | unset | CA certificate (PEM) NATS's certificate must chain to; set, the connection uses TLS |
| `LIENTHONG_NATS_CERT`, `LIENTHONG_NATS_KEY` | unset | a client certificate and key, for a NATS server that verifies clients |
| `LIENTHONG_INSTANCE` | `lienthong` | first token of every subject and prefix of every stream name |
| `LIENTHONG_<SERVICE>_ADDR` | `127.0.0.1:5005x` | where each service listens / is reached (IDENTIFIERS 50051, DOCUMENTS 50052, SIGNING 50053, EMAIL 50054, REPORTING 50055) |
| `LIENTHONG_LISTEN_ADDR` | the service's own `_ADDR` | bind address, e.g. `0.0.0.0:50052` in a container |
| `LIENTHONG_TLS_CA` | unset (required) | PEM file of the platform CA certificate(s): servers accept only client certificates they issued, clients trust only servers they issued |
| `LIENTHONG_TLS_CERT` | unset (required) | PEM file of this service's certificate chain: its server certificate and its client certificate when it calls another service |
| `LIENTHONG_TLS_KEY` | unset (required) | PEM file of that certificate's private key |
| `LIENTHONG_HEALTH_ADDR` | unset | also serve the gRPC health service, and nothing else, without TLS here (e.g. `0.0.0.0:8081`), for Kubernetes probes, which cannot present a client certificate |
| `LIENTHONG_SHUTDOWN_GRACE` | `10` | seconds in-flight calls get to finish on SIGTERM |
| `LIENTHONG_TRACES_DIR` | unset | write spans as JSON lines to `<dir>/<service>.jsonl` |
| `OTEL_EXPORTER_OTLP_ENDPOINT` | unset | send spans to an OpenTelemetry collector |
| `LIENTHONG_METRICS_PORT` | unset | serve Prometheus metrics at `:<port>/metrics` |
| `LIENTHONG_LOG_LEVEL` | `INFO` | log level of the JSON logs |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from lienthong.grpcserver.tls import SETTINGS as TLS_SETTINGS
from lienthong.grpcserver.tls import TlsConfig

SERVICE_PORTS = {
    "identifiers": 50051,
    "documents": 50052,
    "signing": 50053,
    "email": 50054,
    "reporting": 50055,
}


@dataclass(frozen=True)
class Settings:
    """What every service needs to know, read once from the environment."""

    service: str
    data_dir: Path
    database_url: str
    nats_url: str
    instance: str
    listen_addr: str
    shutdown_grace: float
    tls_files: tuple[Path, Path, Path] | None = None  # CA, certificate chain, key
    health_addr: str | None = None

    @classmethod
    def from_env(cls, service: str) -> Settings:
        """Read the settings of `service` from the environment, filling in the defaults."""
        data_dir = Path(os.environ.get("LIENTHONG_DATA_DIR", "var"))
        return cls(
            service=service,
            data_dir=data_dir,
            database_url=os.environ.get("LIENTHONG_DATABASE_URL") or f"sqlite:///{data_dir / service}.db",
            nats_url=os.environ.get("LIENTHONG_NATS_URL", "nats://127.0.0.1:4222"),
            instance=os.environ.get("LIENTHONG_INSTANCE", "lienthong"),
            listen_addr=os.environ.get("LIENTHONG_LISTEN_ADDR") or address_of(service),
            shutdown_grace=float(os.environ.get("LIENTHONG_SHUTDOWN_GRACE", "10")),
            tls_files=_tls_files(),
            health_addr=os.environ.get("LIENTHONG_HEALTH_ADDR") or None,
        )

    def tls(self) -> TlsConfig:
        """The service's TLS files read; TlsNotConfigured naming the settings when they are missing."""
        if self.tls_files is None:
            return TlsConfig.from_env({})  # raises, naming every setting
        return TlsConfig.from_files(*self.tls_files)


def _tls_files() -> tuple[Path, Path, Path] | None:
    ca, cert, key = (os.environ.get(setting) for setting in TLS_SETTINGS)
    return (Path(ca), Path(cert), Path(key)) if ca and cert and key else None


def address_of(service: str) -> str:
    """Where `service` is reached: `LIENTHONG_<SERVICE>_ADDR`, else its default local port."""
    return os.environ.get(f"LIENTHONG_{service.upper()}_ADDR") or f"127.0.0.1:{SERVICE_PORTS[service]}"
