"""`python -m lienthong.identifiers.migrate`: create the identifiers service's tables, then exit (the chart's Job)."""

from __future__ import annotations

from lienthong.eventstore import store_environment
from lienthong.grpcserver import Settings
from lienthong.grpcserver.migration import run_migration
from lienthong.identifiers.application.app import IdentifiersApp
from lienthong.identifiers.projections.registry import Registry
from lienthong.leases import create_lease_table
from lienthong.relay.schema import create_store_tables

SERVICE = "identifiers"


def create_tables(settings: Settings) -> list[str]:
    app = IdentifiersApp(store_environment(SERVICE, settings.database_url))
    return [
        *create_store_tables(app),
        *create_lease_table(app.engine, SERVICE),
        *(t.name for t in Registry(app.engine).metadata.sorted_tables),
    ]


if __name__ == "__main__":
    run_migration(SERVICE, create_tables)
