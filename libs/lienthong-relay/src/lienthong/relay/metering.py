"""Relay metrics: how far JetStream is behind a service's event store, in events and in time."""

from __future__ import annotations

from datetime import UTC, datetime

from opentelemetry import metrics

from lienthong.telemetry import DELAY_BUCKETS

PUBLISHED = "lienthong.relay.published"
LAG = "lienthong.relay.lag"
DELAY = "lienthong.relay.delay"


class RelayMetrics:
    """The instruments of one relay, labelled with the stream it publishes to."""

    def __init__(self, stream: str, meter: metrics.Meter | None = None) -> None:
        meter = meter or metrics.get_meter("lienthong.relay")
        self._attributes = {"stream": stream}
        self._published = meter.create_counter(
            PUBLISHED, unit="{event}", description="Events the relay published and JetStream acknowledged"
        )
        self._lag = meter.create_gauge(
            LAG,
            unit="{event}",
            description="Events stored but not yet acknowledged by JetStream (store head minus relayed position)",
        )
        self._delay = meter.create_histogram(
            DELAY,
            unit="s",
            description="Time from an event being stored to JetStream acknowledging it",
            explicit_bucket_boundaries_advisory=DELAY_BUCKETS,
        )

    def behind(self, head: int, position: int) -> None:
        """The store's newest notification id is `head`; JetStream has everything up to `position`."""
        self._lag.set(max(head - position, 0), self._attributes)

    def published(self, stored_at: datetime) -> None:
        """One event, stored at `stored_at`, was acknowledged by JetStream now."""
        self._published.add(1, self._attributes)
        self._delay.record(max((datetime.now(UTC) - stored_at).total_seconds(), 0.0), self._attributes)
