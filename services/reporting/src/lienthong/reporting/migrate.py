"""`python -m lienthong.reporting.migrate`: create the reporting service's tables, then exit (the chart's Job)."""

from __future__ import annotations

from lienthong.grpcserver import Settings
from lienthong.grpcserver.migration import run_migration
from lienthong.leases import create_lease_table
from lienthong.reporting.main import read_models

SERVICE = "reporting"


def create_tables(settings: Settings) -> list[str]:
    models = read_models(settings)
    tables = [t.name for model in models.by_stream().values() for t in model.metadata.sorted_tables]
    return [*tables, *create_lease_table(models.activity.engine, SERVICE)]


if __name__ == "__main__":
    run_migration(SERVICE, create_tables)
