"""`python -m lienthong.signing.migrate`: create the signing service's tables, then exit.

The Helm chart's migration Job runs it before the pods of a new version start, so that replicas never race
to create tables; it is idempotent, and the service would create missing tables at start as well.
"""

from __future__ import annotations

from lienthong.eventstore import store_environment
from lienthong.grpcserver import Settings
from lienthong.relay.schema import create_store_tables
from lienthong.signing.application import SigningApp

SERVICE = "signing"


def main() -> None:
    settings = Settings.from_env(SERVICE)
    app = SigningApp(store_environment(SERVICE, settings.database_url))
    tables = [f"{app.name.lower()}_events", *create_store_tables(app)]
    print(f"signing: tables ready ({', '.join(sorted(tables))})")


if __name__ == "__main__":
    main()
