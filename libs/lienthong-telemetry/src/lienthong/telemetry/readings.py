"""Reading recorded metrics back in-process (tests and checks), without a Prometheus scrape."""

from __future__ import annotations

from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader, NumberDataPoint

Labels = frozenset[tuple[str, str]]


def metric_points(reader: InMemoryMetricReader, name: str, *, histogram_sums: bool = False) -> dict[Labels, float]:
    """The current points of metric `name`, by their attributes: a counter's or gauge's value, a histogram's
    count of recordings (or their sum, with `histogram_sums`)."""
    found: dict[Labels, float] = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name != name:
                    continue
                for point in metric.data.data_points:
                    labels = frozenset((str(k), str(v)) for k, v in (point.attributes or {}).items())
                    if isinstance(point, HistogramDataPoint):
                        found[labels] = float(point.sum if histogram_sums else point.count)
                    elif isinstance(point, NumberDataPoint):
                        found[labels] = float(point.value)
    return found
