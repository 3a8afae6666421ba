"""Removing a platform instance's JetStream streams: after a test or a benchmark, and in the restore drill's
disaster step. Apart from `testing`, which imports pytest, so that the drill's command does not need it."""

from __future__ import annotations

import nats

from lienthong.relay.credentials import NatsCredentials


async def delete_streams(url: str, instance: str, credentials: NatsCredentials | None = None) -> None:
    """Delete every stream whose name starts with the instance's prefix."""
    nc = await nats.connect(url, **(credentials or NatsCredentials()).connect_options())
    try:
        js = nc.jetstream()
        prefix = instance.upper() + "_"
        for info in await js.streams_info():
            if info.config.name and info.config.name.startswith(prefix):
                await js.delete_stream(info.config.name)
    finally:
        await nc.close()
