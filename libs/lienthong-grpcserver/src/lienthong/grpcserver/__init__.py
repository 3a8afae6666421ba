"""gRPC server bootstrap shared by the five services: health, reflection, tracing, errors, shutdown.

The names below are loaded when first used, not when the package is: a client that needs only
`lienthong.grpcserver.tls` or `.authentication` (the CLI) does not pay for the server's imports
(the event store, SQLAlchemy, OpenTelemetry), which cost it seconds per command.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lienthong.grpcserver.channels import ACTOR_METADATA_KEY, open_channel
    from lienthong.grpcserver.convert import day_of, timestamp_of
    from lienthong.grpcserver.server import Service, run_service, serve, setup_process
    from lienthong.grpcserver.settings import SERVICE_PORTS, Settings
    from lienthong.grpcserver.tls import TlsConfig, TlsNotConfigured

_HOMES = {
    "ACTOR_METADATA_KEY": "channels",
    "open_channel": "channels",
    "day_of": "convert",
    "timestamp_of": "convert",
    "Service": "server",
    "run_service": "server",
    "serve": "server",
    "setup_process": "server",
    "SERVICE_PORTS": "settings",
    "Settings": "settings",
    "TlsConfig": "tls",
    "TlsNotConfigured": "tls",
}

__all__ = [
    "ACTOR_METADATA_KEY",
    "SERVICE_PORTS",
    "Service",
    "Settings",
    "TlsConfig",
    "TlsNotConfigured",
    "day_of",
    "open_channel",
    "run_service",
    "serve",
    "setup_process",
    "timestamp_of",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
