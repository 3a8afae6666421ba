"""Tracing, metrics and logging set-up shared by every lienthong process."""

from lienthong.telemetry.logs import configure_logging
from lienthong.telemetry.metrics import DELAY_BUCKETS, configure_metrics
from lienthong.telemetry.propagation import context_from_headers, current_traceparent, headers_with_context
from lienthong.telemetry.tracing import configure_tracing, shutdown_tracing

__all__ = [
    "DELAY_BUCKETS",
    "configure_logging",
    "configure_metrics",
    "configure_tracing",
    "context_from_headers",
    "current_traceparent",
    "headers_with_context",
    "shutdown_tracing",
]
