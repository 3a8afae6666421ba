"""Trace context across process boundaries that gRPC instrumentation does not cover: NATS headers
and stored events (W3C `traceparent`)."""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import context, propagate, trace


def current_traceparent() -> str:
    """The W3C traceparent of the active span, or "" outside any span."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent", "")


def headers_with_context(headers: Mapping[str, str] | None = None, traceparent: str = "") -> dict[str, str]:
    """`headers` plus the trace context: the given traceparent, else the active span's."""
    carrier = dict(headers or {})
    if traceparent:
        carrier["traceparent"] = traceparent
    else:
        propagate.inject(carrier)
    return carrier


def context_from_headers(headers: Mapping[str, str] | None) -> context.Context:
    """The trace context carried by message headers (an empty context when there is none)."""
    return propagate.extract(dict(headers or {}))


def trace_id_of(traceparent: str) -> str:
    """The 32-hex-digit trace id inside a traceparent, or ""."""
    parts = traceparent.split("-")
    return parts[1] if len(parts) == 4 else ""


def current_trace_id() -> str:
    """The active span's trace id as 32 hex digits, or ""."""
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else ""
