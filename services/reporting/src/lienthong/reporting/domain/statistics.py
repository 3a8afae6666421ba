"""The two figures every duration indicator of the reports gives: the average and the 90th percentile."""

from __future__ import annotations

from collections.abc import Sequence


def average(values: Sequence[float]) -> float:
    """The mean of `values`, to two decimals (0 when there are none)."""
    return round(sum(values) / len(values), 2) if values else 0.0


def p90(ordered: Sequence[float]) -> float:
    """The 90th percentile (nearest rank) of `ordered`, sorted shortest first, to two decimals (0 when empty)."""
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))], 2) if ordered else 0.0
