"""`python -m lienthong.documents.migrate`: create the documents service's tables, then exit.

The Helm chart's migration Job runs it before the pods of a new version start, so that replicas never race
to create tables; it is idempotent, and the service would create missing tables at start as well.
"""

from __future__ import annotations

from lienthong.documents.application import DocumentsApp
from lienthong.documents.projections.registers import Registers
from lienthong.eventstore import store_environment
from lienthong.grpcserver import Settings
from lienthong.relay.schema import create_store_tables

SERVICE = "documents"


def main() -> None:
    settings = Settings.from_env(SERVICE)
    app = DocumentsApp(store_environment(SERVICE, settings.database_url))
    tables = [f"{app.name.lower()}_events", *create_store_tables(app)]
    tables += [t.name for t in Registers(app.engine).metadata.sorted_tables]
    print(f"documents: tables ready ({', '.join(sorted(tables))})")


if __name__ == "__main__":
    main()
