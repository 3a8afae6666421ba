"""Prometheus metrics for a process: an OpenTelemetry meter provider read by a `/metrics` HTTP endpoint.

`LIENTHONG_METRICS_PORT` set (the Helm chart sets it when `metrics.enabled`): serve the process's metrics on
`0.0.0.0:<port>/metrics` for Prometheus. Unset: instruments stay OpenTelemetry's no-op ones and cost nothing.
"""

from __future__ import annotations

import os

from opentelemetry import metrics
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from prometheus_client import start_http_server

METRICS_PORT = "LIENTHONG_METRICS_PORT"
# Histogram buckets (seconds) for how long an event takes along the pipeline (store → JetStream → consumer):
# milliseconds when all is well, up to an hour when a part was down.
DELAY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
_provider: MeterProvider | None = None


def configure_metrics(service_name: str) -> MeterProvider | None:
    """Install the process-wide meter provider and start the `/metrics` server, when the port is set
    (idempotent); None when metrics are off."""
    global _provider
    port = os.environ.get(METRICS_PORT)
    if _provider is not None or not port:
        return _provider
    provider = MeterProvider(
        resource=Resource.create({"service.name": service_name}), metric_readers=[PrometheusMetricReader()]
    )
    metrics.set_meter_provider(provider)
    start_http_server(int(port), addr=os.environ.get("LIENTHONG_METRICS_ADDR", "0.0.0.0"))
    _provider = provider
    return provider
