"""Domain logic stays pure: no module under a service's `domain/` imports an I/O library.

Its modules are read as source (ast), so the test sees each import a domain module writes, including those
inside functions, without running any of them. Pure libraries of ours (errors, the Vietnamese calendar and
text folding) and the `eventsourcing.domain` aggregate base are allowed; anything else of lienthong's
outside a `domain` package is an adapter or an application and is refused too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).parent
DOMAIN_MODULES = sorted(SERVICES.glob("*/src/lienthong/*/domain/**/*.py"))

# Libraries that do I/O (or exist to): a domain module importing one of them, or a module of theirs, fails.
IO_LIBRARIES = {
    "asyncio",
    "boto3",
    "botocore",
    "grpc",
    "http",
    "httpx",
    "nats",
    "os",
    "psycopg",
    "pyhanko",
    "requests",
    "shutil",
    "smtplib",
    "socket",
    "sqlalchemy",
    "sqlite3",
    "subprocess",
    "urllib",
}
PURE_LIENTHONG = {"lienthong.errors", "lienthong.vietnamese"}


def imported_names(source: str) -> list[str]:
    """Every module a piece of source imports, absolute names (relative imports are not used here)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return names


def impurities(source: str) -> list[str]:
    """What of `source`'s imports a domain module may not import."""
    return [name for name in imported_names(source) if not _allowed_in_domain(name)]


def _allowed_in_domain(name: str) -> bool:
    top = name.split(".")[0]
    if top in IO_LIBRARIES:
        return False
    if top == "eventsourcing":
        return name.startswith("eventsourcing.domain")
    if top == "lienthong":
        return ".domain" in name or any(name == pure or name.startswith(pure + ".") for pure in PURE_LIENTHONG)
    return True


def test_every_service_has_a_domain_package() -> None:
    services = {path.name for path in SERVICES.iterdir() if (path / "src").is_dir()}
    with_domain = {path.relative_to(SERVICES).parts[0] for path in DOMAIN_MODULES}
    assert services - {"console"} <= with_domain


@pytest.mark.parametrize("module", DOMAIN_MODULES, ids=lambda path: str(path.relative_to(SERVICES)))
def test_a_domain_module_imports_no_io_library(module: Path) -> None:
    assert impurities(module.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("source", "refused"),
    [
        ("import sqlalchemy", ["sqlalchemy"]),
        ("from grpc import StatusCode", ["grpc"]),
        ("def f():\n    import os\n", ["os"]),
        ("from pyhanko.sign import signers", ["pyhanko.sign"]),
        ("from eventsourcing.application import Application", ["eventsourcing.application"]),
        ("from lienthong.eventstore import StoredApplication", ["lienthong.eventstore"]),
        ("import asyncio, smtplib", ["asyncio", "smtplib"]),
        ("from eventsourcing.domain import Aggregate\nfrom lienthong.errors import InvalidArgument", []),
        ("from lienthong.documents.domain.status import StatusCode", []),
    ],
)
def test_the_check_refuses_what_it_should(source: str, refused: list[str]) -> None:
    assert impurities(source) == refused
