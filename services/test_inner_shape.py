"""Every service has the same inner shape (README, Layout): a module sits in the room of what it is."""

from __future__ import annotations

from pathlib import Path

import pytest

SERVICES = Path(__file__).parent
PACKAGES = sorted(path for path in SERVICES.glob("*/src/lienthong/*") if path.is_dir())

# At a service package's top: the layers and the two entry points (the chart, images and launcher run
# `python -m lienthong.<service>.main` / `.migrate`); `templates/` is data a loader finds next to the package.
TOP = {"domain", "application", "adapters", "projections", "main.py", "migrate.py", "__init__.py", "templates"}
ADAPTERS = {"inbound", "outbound", "__init__.py"}


def entries(folder: Path) -> set[str]:
    return {path.name for path in folder.iterdir() if path.name != "__pycache__"}


def test_every_service_is_found() -> None:
    assert {p.name for p in PACKAGES} >= {"documents", "signing", "identifiers", "email", "reporting", "console"}


@pytest.mark.parametrize("package", PACKAGES, ids=lambda path: path.name)
def test_a_service_package_holds_only_its_layers(package: Path) -> None:
    assert entries(package) - TOP == set(), "a module outside domain/application/adapters/projections"
    assert {"application", "adapters", "main.py"} <= entries(package)
    assert entries(package / "adapters") <= ADAPTERS
    assert (package / "adapters" / "inbound").is_dir()
