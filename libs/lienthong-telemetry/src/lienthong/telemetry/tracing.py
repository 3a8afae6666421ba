"""OpenTelemetry tracer provider: one per process, exporting where the environment says.

Exporters, chosen by environment variables:
- `LIENTHONG_TRACES_DIR`: append every finished span as one JSON line to `<dir>/<service>.jsonl`
  (what `make run` and the end-to-end tests read);
- `OTEL_EXPORTER_OTLP_ENDPOINT`: send spans over OTLP/gRPC to a collector
  (`opentelemetry-exporter-otlp-proto-grpc`, a dependency of this package).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

_provider: TracerProvider | None = None


class JsonLinesSpanExporter(SpanExporter):
    """Writes each span as one line of OpenTelemetry's JSON to a file (appending, thread-safe)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = "".join(span.to_json(indent=None) + "\n" for span in spans)
        with self._lock, self._path.open("a", encoding="utf-8") as out:
            out.write(lines)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        """Nothing is held open between exports."""


def configure_tracing(service_name: str) -> TracerProvider:
    """Install the process-wide tracer provider for `service_name` (idempotent)."""
    global _provider
    if _provider is not None:
        return _provider
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    traces_dir = os.environ.get("LIENTHONG_TRACES_DIR")
    if traces_dir:
        exporter = JsonLinesSpanExporter(Path(traces_dir) / f"{service_name}.jsonl")
        provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=200))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        _add_otlp_exporter(provider)
    trace.set_tracer_provider(provider)
    _provider = provider
    return provider


def _add_otlp_exporter(provider: TracerProvider) -> None:
    # imported only when used: the exporter loads its own protobuf modules
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))


def shutdown_tracing() -> None:
    """Flush every pending span; called on graceful shutdown."""
    if _provider is not None:
        _provider.force_flush()
        _provider.shutdown()
