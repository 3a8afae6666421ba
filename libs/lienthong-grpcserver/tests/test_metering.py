"""Every unary call served is measured with its method and the status it ended with."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from lienthong.grpcserver.metering import DURATION, RpcMetricsInterceptor


def recorded(reader: InMemoryMetricReader) -> dict[tuple[str, str], int]:
    """Calls counted per (method, status code)."""
    data = reader.get_metrics_data()
    counts: dict[tuple[str, str], int] = {}
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name != DURATION:
                    continue
                for point in metric.data.data_points:
                    attributes: Any = point.attributes
                    counts[(attributes["rpc.method"], attributes["rpc.grpc.status_code"])] = point.count  # type: ignore[union-attr]
    return counts


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
    finally:
        await server.stop(None)

    assert recorded(reader) == {("Check", "OK"): 2, ("Check", "NOT_FOUND"): 1}
