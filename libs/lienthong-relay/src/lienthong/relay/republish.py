"""`python -m lienthong.relay.republish [--delete-streams]`: publish every stored event to JetStream again.

The event stores are the system of record and JetStream is derived from them, so a lost or outdated stream is
rebuilt, not restored: with the services stopped, `--delete-streams` removes the instance's streams from NATS
(needed after a database restore put the stores behind the streams, whose de-duplication would otherwise drop
events published again under the same ids), then every relay's position is set back to 0. On start, each relay
re-creates its stream and publishes its whole log again, in the same order, so that stream sequence numbers,
and the positions consumers saved with their rows, mean what they meant before.

Reads LIENTHONG_DATABASE_URL (else the SQLite files under LIENTHONG_DATA_DIR), LIENTHONG_INSTANCE and
LIENTHONG_NATS_URL (with the operators' credentials, LIENTHONG_NATS_USER=admin and its password file), like the
services.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path

import nats
from nats.js.errors import NotFoundError
from sqlalchemy import create_engine

from lienthong.relay.credentials import NatsCredentials
from lienthong.relay.positions import PositionTable
from lienthong.relay.streams import StreamNames
from lienthong.relay.topology import PUBLISHERS


def database_url(service: str) -> str:
    data_dir = Path(os.environ.get("LIENTHONG_DATA_DIR", "var"))
    return os.environ.get("LIENTHONG_DATABASE_URL") or f"sqlite:///{data_dir / service}.db"


def reset_relays(names: StreamNames) -> dict[str, int]:
    """Set each relay's saved position to 0; return the positions they had."""
    previous: dict[str, int] = {}
    for service in PUBLISHERS:
        engine = create_engine(database_url(service))
        try:
            positions = PositionTable(engine, prefix=service)
            relay = f"relay:{names.stream(service)}"
            previous[service] = positions.read(relay)
            positions.write(relay, 0)
        finally:
            engine.dispose()
    return previous


async def delete_streams(url: str, names: StreamNames) -> list[str]:
    """Delete the instance's streams; return the names of those that existed."""
    # fail fast, unlike the services' link; as the operators' NATS user (LIENTHONG_NATS_USER=admin) if NATS has users
    client = await nats.connect(url, name="lienthong-republish", **NatsCredentials.from_env().connect_options())
    deleted = []
    try:
        js = client.jetstream()
        for service in PUBLISHERS:
            try:
                await js.delete_stream(names.stream(service))
                deleted.append(names.stream(service))
            except NotFoundError:
                pass
    finally:
        await client.close()
    return deleted


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--delete-streams", action="store_true", help="delete the instance's streams first")
    args = parser.parse_args(argv)
    names = StreamNames(os.environ.get("LIENTHONG_INSTANCE", "lienthong"))
    if args.delete_streams:
        url = os.environ.get("LIENTHONG_NATS_URL", "nats://127.0.0.1:4222")
        deleted = asyncio.run(delete_streams(url, names))
        print(f"streams deleted: {', '.join(deleted) or 'none existed'}")
    for service, position in reset_relays(names).items():
        print(f"{service}: relay reset from position {position} to 0; it publishes its whole log again on start")


if __name__ == "__main__":
    main()
