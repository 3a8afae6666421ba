"""RPC metrics: how many calls each method served, with which status, and how long they took."""

from __future__ import annotations

import time
from typing import Any

import grpc
from opentelemetry import metrics

from lienthong.grpcserver.interceptors import UnaryBehaviour, UnaryInterceptor

# OpenTelemetry's RPC semantic conventions; Prometheus sees rpc_server_call_duration_seconds_{bucket,count,sum}
DURATION = "rpc.server.call.duration"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class RpcMetricsInterceptor(UnaryInterceptor):
    """Records every unary call's duration with its service, method and gRPC status code."""

    def __init__(self, meter: metrics.Meter | None = None) -> None:
        meter = meter or metrics.get_meter("lienthong.grpcserver")
        self._duration = meter.create_histogram(
            DURATION,
            unit="s",
            description="Duration of gRPC calls served, by service, method and status code",
            explicit_bucket_boundaries_advisory=BUCKETS,
        )

    def wrap(self, inner: UnaryBehaviour, method: str) -> UnaryBehaviour:
        service, _, name = method.lstrip("/").rpartition("/")
        duration = self._duration

        async def unary_unary(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            started = time.perf_counter()
            failed = False
            try:
                return await inner(request, context)
            except BaseException:
                failed = True
                raise
            finally:
                code = context.code()
                status = code.name if isinstance(code, grpc.StatusCode) else ("UNKNOWN" if failed else "OK")
                duration.record(
                    time.perf_counter() - started,
                    {"rpc.system": "grpc", "rpc.service": service, "rpc.method": name, "rpc.grpc.status_code": status},
                )

        return unary_unary
