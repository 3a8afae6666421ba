"""What each service's `migrate` module runs: create the service's tables, say which, and exit.

The Helm chart's migration Job runs `python -m lienthong.<service>.migrate` before the pods of a new version
start, so that replicas never race to create tables. It is idempotent, and a service still creates missing
tables at start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from lienthong.grpcserver.settings import Settings


def run_migration(service: str, create_tables: Callable[[Settings], Iterable[str]]) -> None:
    """Create `service`'s tables with the settings from the environment and print their names."""
    tables = sorted(create_tables(Settings.from_env(service)))
    print(f"{service}: tables ready ({', '.join(tables)})")
