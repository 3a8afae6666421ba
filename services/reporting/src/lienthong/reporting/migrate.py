"""`python -m lienthong.reporting.migrate`: create the reporting service's tables, then exit.

The Helm chart's migration Job runs it before the pods of a new version start, so that replicas never race
to create tables; it is idempotent, and the service would create missing tables at start as well.
"""

from __future__ import annotations

from lienthong.grpcserver import Settings
from lienthong.reporting.main import projection

SERVICE = "reporting"


def main() -> None:
    settings = Settings.from_env(SERVICE)
    tables = [t.name for t in projection(settings).metadata.sorted_tables]
    print(f"reporting: tables ready ({', '.join(sorted(tables))})")


if __name__ == "__main__":
    main()
