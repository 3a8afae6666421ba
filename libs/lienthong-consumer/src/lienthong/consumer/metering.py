"""Consumer metrics: what a durable consumer applied or put aside, and how far behind its stream it is."""

from __future__ import annotations

from datetime import UTC, datetime

from opentelemetry import metrics

from lienthong.telemetry import DELAY_BUCKETS

EVENTS = "lienthong.consumer.events"
PENDING = "lienthong.consumer.pending"
DELAY = "lienthong.consumer.delay"


class ConsumerMetrics:
    """The instruments of one durable consumer of one stream."""

    def __init__(self, consumer: str, stream: str, meter: metrics.Meter | None = None) -> None:
        meter = meter or metrics.get_meter("lienthong.consumer")
        self._attributes = {"consumer": consumer, "stream": stream}
        self._events = meter.create_counter(
            EVENTS, unit="{event}", description="Events a consumer took, by outcome (applied or quarantined)"
        )
        self._pending = meter.create_gauge(
            PENDING, unit="{event}", description="Events in the stream after the last one the consumer fetched"
        )
        self._delay = meter.create_histogram(
            DELAY,
            unit="s",
            description="Time from JetStream storing an event to the consumer having applied it",
            explicit_bucket_boundaries_advisory=DELAY_BUCKETS,
        )

    def pending(self, count: int) -> None:
        self._pending.set(count, self._attributes)

    def applied(self, published_at: datetime) -> None:
        self._events.add(1, {**self._attributes, "outcome": "applied"})
        self._delay.record(max((datetime.now(UTC) - published_at).total_seconds(), 0.0), self._attributes)

    def quarantined(self) -> None:
        self._events.add(1, {**self._attributes, "outcome": "quarantined"})
