"""The chart tests import their helpers (rendering, policy) from this folder, which is not a package."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from rendering import VALUES_FILES


@pytest.fixture(params=sorted(VALUES_FILES), ids=str)
def values_files(request: pytest.FixtureRequest) -> list[Path]:
    return VALUES_FILES[request.param]
