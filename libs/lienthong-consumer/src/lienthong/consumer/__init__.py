"""Durable JetStream pull consumers that feed idempotent sinks (SQL projections, event-sourced processors)."""

from lienthong.consumer.consumer import BatchSink, Sink, StreamConsumer
from lienthong.consumer.errors import UnprocessableEvent
from lienthong.consumer.local import LOCAL_SOURCE, LocalFollower
from lienthong.consumer.projection import SqlProjection, UtcDateTime, utc, utc_row

__all__ = [
    "LOCAL_SOURCE",
    "BatchSink",
    "LocalFollower",
    "Sink",
    "SqlProjection",
    "StreamConsumer",
    "UnprocessableEvent",
    "UtcDateTime",
    "utc",
    "utc_row",
]
