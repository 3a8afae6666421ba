"""Structured JSON logs, one object a line, carrying the service name and the active trace id.

Logs never carry document content: callers log ids and codes, never subjects or bodies."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime

from lienthong.telemetry.propagation import current_trace_id


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object with time, level, service, logger, message and trace id."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self._service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        trace_id = current_trace_id()
        if trace_id:
            entry["trace_id"] = trace_id
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            entry.update(extra)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(service: str) -> None:
    """Send JSON logs to stderr at `LIENTHONG_LOG_LEVEL` (default INFO)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(os.environ.get("LIENTHONG_LOG_LEVEL", "INFO").upper())
