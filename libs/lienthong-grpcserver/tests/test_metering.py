"""Every unary call served is measured with its method and the status it ended with."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from lienthong.grpcserver.metering import DURATION, RpcMetricsInterceptor
from lienthong.telemetry.readings import metric_points


def recorded(reader: InMemoryMetricReader) -> dict[tuple[str, str], float]:
    """Calls counted per (method, status code)."""
    return {
        (dict(labels)["rpc.method"], dict(labels)["rpc.grpc.status_code"]): count
        for labels, count in metric_points(reader, DURATION).items()
    }


async def test_calls_are_counted_by_method_and_status() -> None:
    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader]).get_meter("test")
    server = grpc.aio.server(interceptors=[RpcMetricsInterceptor(meter)])
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            await stub.Check(health_pb2.HealthCheckRequest(service=""))
            await stub.Check(health_pb2.HealthCheckRequest(service=""))
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.Check(health_pb2.HealthCheckRequest(service="no.such.Service"))
            assert refused.value.code() == grpc.StatusCode.NOT_FOUND
        # An aborted call's status reaches the client before the handler has unwound through the interceptor,
        # which records it: wait for that before stopping the server (which would cancel it).
        for _ in range(200):
            if sum(recorded(reader).values()) >= 3:
                break
            await asyncio.sleep(0.01)
    finally:
        await server.stop(None)

    assert recorded(reader) == {("Check", "OK"): 2, ("Check", "NOT_FOUND"): 1}
