"""`python -m lienthong.documents.migrate`: create the documents service's tables, then exit (the chart's Job)."""

from __future__ import annotations

from lienthong.documents.application.app import DocumentsApp
from lienthong.documents.projections.records import RecordsRegister
from lienthong.documents.projections.registers import Registers
from lienthong.eventstore import store_environment
from lienthong.grpcserver import Settings
from lienthong.grpcserver.migration import run_migration
from lienthong.leases import create_lease_table
from lienthong.relay.schema import create_store_tables

SERVICE = "documents"


def create_tables(settings: Settings) -> list[str]:
    app = DocumentsApp(store_environment(SERVICE, settings.database_url))
    projections = (Registers(app.engine), RecordsRegister(app.engine))
    return [
        *create_store_tables(app),
        *create_lease_table(app.engine, SERVICE),
        *(t.name for p in projections for t in p.metadata.sorted_tables),
    ]


if __name__ == "__main__":
    run_migration(SERVICE, create_tables)
