"""What every benchmark shares: percentiles of its timings, and its section of bench/results.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results.json"


def record(section: str, figures: Any) -> None:
    """Save `figures` under `section` of bench/results.json, keeping the other benchmarks' sections."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[section] = figures
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


def percentile(values: list[float], p: float) -> float:
    """The value below which a share `p` (0..1) of `values` lies, nearest-rank; 0.0 for no values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else 0.0
