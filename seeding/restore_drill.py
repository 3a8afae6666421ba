"""The restore drill of docs/operations.md over a seeded province year.

python -m seeding.restore_drill [--documents 100000]   (from the repository's root)

The drill's database gets the year's stores first (`write_year`, as bench/readside.py seeds it), then the
platform starts on it, its relays publish the year and reporting takes it, and the drill backs up, wipes,
restores, republishes, rebuilds and verifies as `lienthong.launcher.drill` does, printing each step's time.
"""

from __future__ import annotations

import argparse

from lienthong.email.application.app import EmailApp
from lienthong.launcher.drill import Populate, drill_and_report
from lienthong.relay import StreamNames
from seeding.province_year import Shape, applications, write_year


def seeded_year(shape: Shape) -> Populate:
    """The drill's first step: the year written into the drill database's stores."""

    def populate(database_url: str, instance: str) -> tuple[str, str]:
        apps = applications(database_url)
        written = write_year(apps, shape)
        # The year's notifications are in the email store already, as if its service had consumed the whole
        # documents stream: its position there is the log's end (the relays publish each log in order, from
        # sequence 1), so it does not tell every agency again of a year of arrivals when it starts.
        email = apps["email"]
        assert isinstance(email, EmailApp)
        email.queue([], stream=StreamNames(instance).stream("documents"), position=written.events["documents"])
        print(f"  seeded {written.total:,} events {written.events}", flush=True)
        return shape.first_day.isoformat(), shape.last_day.isoformat()

    return populate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=100_000, help="documents of the seeded year")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds any one step may take")
    args = parser.parse_args()
    drill_and_report(2, populate=seeded_year(Shape(documents=args.documents)), timeout=args.timeout)


if __name__ == "__main__":
    main()
