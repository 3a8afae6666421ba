"""Client channels to other services: mutual TLS with the calling service's own certificate, traced so that
one trace spans every service a request touches.

The callee sees the calling service (`service:<name>`), whoever the request it serves runs for: the
authorisation rules name services for what only they may do (documents asking signing for a seal). A
service that acts for a user instead names them in `ACTOR_METADATA_KEY` on the call (the email service
recording a reply as the agency's clerk); only a service's certificate may do that.
"""

from __future__ import annotations

import grpc
from opentelemetry.instrumentation.grpc import aio_client_interceptors

from lienthong.grpcserver.authentication import ACTOR_METADATA_KEY
from lienthong.grpcserver.settings import address_of
from lienthong.grpcserver.tls import TlsConfig

__all__ = ["ACTOR_METADATA_KEY", "CHANNEL_OPTIONS", "open_channel"]

# Calls spread over every address a name resolves to (the replicas of a service behind one DNS name, a
# Kubernetes headless Service), instead of gRPC's default of sticking to the first address.
CHANNEL_OPTIONS = [("grpc.lb_policy_name", "round_robin")]


def open_channel(service: str, tls: TlsConfig | None = None) -> grpc.aio.Channel:
    """An asyncio channel to `service` at its configured address, over TLS with `tls` (by default the files
    the environment names; TlsNotConfigured if it names none)."""
    credentials = (tls or TlsConfig.from_env()).channel_credentials()
    return grpc.aio.secure_channel(
        address_of(service),
        credentials,
        options=CHANNEL_OPTIONS,
        interceptors=aio_client_interceptors(),  # type: ignore[no-untyped-call]
    )
