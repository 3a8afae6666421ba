"""Client channels to other services, traced so that one trace spans every service a request touches."""

from __future__ import annotations

import grpc
from opentelemetry.instrumentation.grpc import aio_client_interceptors

from lienthong.grpcserver.settings import address_of

# Until mutual TLS names the caller (see the security issue), callers say who acts in this header.
ACTOR_METADATA_KEY = "x-lienthong-actor"


def open_channel(service: str) -> grpc.aio.Channel:
    """An asyncio channel to `service` at its configured address."""
    return grpc.aio.insecure_channel(address_of(service), interceptors=aio_client_interceptors())  # type: ignore[no-untyped-call]
