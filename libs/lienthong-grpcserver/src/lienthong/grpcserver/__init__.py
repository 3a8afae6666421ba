"""gRPC server bootstrap shared by the five services: health, reflection, tracing, errors, shutdown."""

from lienthong.grpcserver.channels import ACTOR_METADATA_KEY, open_channel
from lienthong.grpcserver.server import Service, serve, setup_process
from lienthong.grpcserver.settings import SERVICE_PORTS, Settings

__all__ = [
    "ACTOR_METADATA_KEY",
    "SERVICE_PORTS",
    "Service",
    "Settings",
    "open_channel",
    "serve",
    "setup_process",
]
