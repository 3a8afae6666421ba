"""RPC metrics: how many calls each method served, with which status, and how long they took."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from opentelemetry import metrics

from lienthong.grpcserver.wrapping import PerMethod

# OpenTelemetry's RPC semantic conventions; Prometheus sees rpc_server_call_duration_seconds_{bucket,count,sum}
DURATION = "rpc.server.call.duration"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class RpcMetricsInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]
    """Records every unary call's duration with its service, method and gRPC status code."""

    def __init__(self, meter: metrics.Meter | None = None) -> None:
        meter = meter or metrics.get_meter("lienthong.grpcserver")
        self._duration = meter.create_histogram(
            DURATION,
            unit="s",
            description="Duration of gRPC calls served, by service, method and status code",
            explicit_bucket_boundaries_advisory=BUCKETS,
        )
        self._handlers = PerMethod(
            lambda handler, method: grpc.unary_unary_rpc_method_handler(
                self._measured(handler.unary_unary, method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        )

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any]:
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler  # streams are not measured: their duration is the client's, not the server's
        return self._handlers(handler, handler_call_details.method)

    def _measured(self, inner: Any, method: str) -> Any:
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
