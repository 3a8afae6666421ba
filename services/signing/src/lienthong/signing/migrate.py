"""`python -m lienthong.signing.migrate`: create the signing service's tables, then exit (the chart's Job)."""

from __future__ import annotations

from lienthong.eventstore import store_environment
from lienthong.grpcserver import Settings
from lienthong.grpcserver.migration import run_migration
from lienthong.leases import create_lease_table
from lienthong.relay.schema import create_store_tables
from lienthong.signing.application.app import SigningApp

SERVICE = "signing"


def create_tables(settings: Settings) -> list[str]:
    app = SigningApp(store_environment(SERVICE, settings.database_url))
    return [*create_store_tables(app), *create_lease_table(app.engine, SERVICE)]


if __name__ == "__main__":
    run_migration(SERVICE, create_tables)
