"""`python -m lienthong.email.migrate`: create the email service's tables, then exit.

The Helm chart's migration Job runs it before the pods of a new version start, so that replicas never race
to create tables; it is idempotent, and the service would create missing tables at start as well.
"""

from __future__ import annotations

from lienthong.email.application import EmailApp
from lienthong.email.projections.mailboxes import MailRegistry
from lienthong.email.projections.outbox import Outbox
from lienthong.eventstore import store_environment
from lienthong.grpcserver import Settings
from lienthong.relay.schema import create_store_tables

SERVICE = "email"


def main() -> None:
    settings = Settings.from_env(SERVICE)
    app = EmailApp(store_environment(SERVICE, settings.database_url))
    tables = [f"{app.name.lower()}_events", *create_store_tables(app)]
    for projection in (Outbox(app.engine), MailRegistry(app.engine)):
        tables += [t.name for t in projection.metadata.sorted_tables]
    print(f"email: tables ready ({', '.join(sorted(tables))})")


if __name__ == "__main__":
    main()
