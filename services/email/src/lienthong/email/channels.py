"""Blocking, traced gRPC channels to other services, for code running in worker threads."""

from __future__ import annotations

import grpc
from opentelemetry.instrumentation.grpc import client_interceptor
from opentelemetry.instrumentation.grpc.grpcext import intercept_channel


class BlockingChannel:
    """A channel to `address` whose calls join the caller's trace; `close()` ends it."""

    def __init__(self, address: str) -> None:
        self._raw = grpc.insecure_channel(address)
        self.channel: grpc.Channel = intercept_channel(self._raw, client_interceptor())  # type: ignore[no-untyped-call]

    def close(self) -> None:
        self._raw.close()
