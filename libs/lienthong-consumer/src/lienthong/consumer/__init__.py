"""Durable JetStream pull consumers that feed idempotent sinks (SQL projections, event-sourced processors)."""

from lienthong.consumer.consumer import BatchSink, Sink, StreamConsumer
from lienthong.consumer.data import data_of
from lienthong.consumer.errors import UnprocessableEvent
from lienthong.consumer.local import LOCAL_SOURCE, LocalFollower
from lienthong.consumer.projection import ReadModelRewound, SqlProjection, UtcDateTime, utc, utc_row

__all__ = [
    "LOCAL_SOURCE",
    "BatchSink",
    "LocalFollower",
    "ReadModelRewound",
    "Sink",
    "SqlProjection",
    "StreamConsumer",
    "UnprocessableEvent",
    "UtcDateTime",
    "data_of",
    "utc",
    "utc_row",
]
