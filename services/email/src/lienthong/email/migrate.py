"""`python -m lienthong.email.migrate`: create the email service's tables, then exit (the chart's Job)."""

from __future__ import annotations

from lienthong.email.application.app import EmailApp
from lienthong.email.projections.deadlines import Deadlines
from lienthong.email.projections.mailboxes import MailRegistry
from lienthong.email.projections.outbox import Outbox
from lienthong.eventstore import store_environment
from lienthong.grpcserver import Settings
from lienthong.grpcserver.migration import run_migration
from lienthong.leases import create_lease_table
from lienthong.relay.schema import create_store_tables

SERVICE = "email"


def create_tables(settings: Settings) -> list[str]:
    app = EmailApp(store_environment(SERVICE, settings.database_url))
    projections = (Outbox(app.engine), MailRegistry(app.engine), Deadlines(app.engine))
    return [
        *create_store_tables(app),
        *create_lease_table(app.engine, SERVICE),
        *(t.name for p in projections for t in p.metadata.sorted_tables),
    ]


if __name__ == "__main__":
    run_migration(SERVICE, create_tables)
