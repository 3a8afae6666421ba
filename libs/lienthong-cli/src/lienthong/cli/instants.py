"""Instants as the CLI reads and prints them: ISO 8601, Vietnam time when no offset is given."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from lienthong.cli.calling import fail
from lienthong.vietnamese.calendar import VIETNAM


def when(stamp: Timestamp) -> str:
    """A timestamp in the local time of the machine, to the second; empty when unset."""
    if not stamp.seconds and not stamp.nanos:
        return ""
    return stamp.ToDatetime(tzinfo=UTC).astimezone().isoformat(timespec="seconds")


def instant(text: str) -> Timestamp:
    """An ISO 8601 instant from the command line (without an offset: Vietnam time, +07:00); exit 2 otherwise."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(f"[red]not an ISO 8601 instant[/red]: {text!r} (e.g. 2026-11-25T09:30:00+07:00)", 2)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VIETNAM)
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp
