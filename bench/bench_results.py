"""bench/results.json: every benchmark writes its own section and keeps the others."""

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
