"""Blocking, traced gRPC channels to other services, for code running in worker threads: mutual TLS with the
email service's own certificate (the files LIENTHONG_TLS_CA/CERT/KEY name)."""

from __future__ import annotations

import grpc
from opentelemetry.instrumentation.grpc import client_interceptor
from opentelemetry.instrumentation.grpc.grpcext import intercept_channel

from lienthong.grpcserver import TlsConfig
from lienthong.grpcserver.channels import CHANNEL_OPTIONS


class BlockingChannel:
    """A channel to `address` whose calls join the caller's trace; `close()` ends it."""

    def __init__(self, address: str) -> None:
        self._raw = grpc.secure_channel(address, TlsConfig.from_env().channel_credentials(), options=CHANNEL_OPTIONS)
        self.channel: grpc.Channel = intercept_channel(self._raw, client_interceptor())  # type: ignore[no-untyped-call]

    def close(self) -> None:
        self._raw.close()
