"""gRPC server bootstrap shared by the five services: health, reflection, tracing, errors, shutdown."""

from lienthong.grpcserver.channels import ACTOR_METADATA_KEY, open_channel
from lienthong.grpcserver.convert import day_of, timestamp_of
from lienthong.grpcserver.server import Service, run_service, serve, setup_process
from lienthong.grpcserver.settings import SERVICE_PORTS, Settings
from lienthong.grpcserver.tls import TlsConfig, TlsNotConfigured

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
