"""The seeded stores taken the real way to the reports: each service's relay publishes its log to JetStream,
reporting's consumers project every stream into its read models."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

from sqlalchemy import Engine, select

from lienthong.consumer import StreamConsumer
from lienthong.eventstore import StoredApplication
from lienthong.relay import EventRelay, NatsLink, StreamNames
from lienthong.reporting.main import ReadModels


@dataclass(frozen=True)
class Timing:
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


async def relay_all(apps: dict[str, StoredApplication], nats_url: str, names: StreamNames) -> Timing:
    """Run every service's relay until JetStream has acknowledged its whole log."""
    link = NatsLink(nats_url, "seed-relays")
    started = time.monotonic()
    relays = {
        service: EventRelay(app, link, service=service, names=names, batch_size=1000, poll_interval=0.2)
        for service, app in apps.items()
    }
    heads = {service: app.recorder.max_notification_id() or 0 for service, app in apps.items()}
    tasks = [asyncio.create_task(relay.run()) for relay in relays.values()]
    try:
        while any(relays[service].position() < heads[service] for service in relays):
            if failed := [task for task in tasks if task.done()]:
                failed[0].result()
            await asyncio.sleep(0.2)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await link.close()
    return Timing(sum(relay.published for relay in relays.values()), time.monotonic() - started)


async def project_all(models: ReadModels, nats_url: str, names: StreamNames, durable: str = "reporting") -> Timing:
    """Feed every read model everything its stream holds, as the service's consumers do, then stop."""
    link = NatsLink(nats_url, "seed-reporting")
    started = time.monotonic()
    taken = 0
    try:
        for service, sink in models.by_stream().items():
            consumer = StreamConsumer(link, stream=names.stream(service), durable=durable, sink=sink, batch_size=500)
            taken += await consumer.catch_up()
    finally:
        await link.close()
    return Timing(taken, time.monotonic() - started)


def table_contents(models: ReadModels) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table of every read model, in a stable order (dead letters included)."""
    contents: dict[str, list[tuple[object, ...]]] = {}
    for model in models.by_stream().values():
        engine: Engine = model.engine
        with engine.connect() as connection:
            for table in model.metadata.sorted_tables:
                rows = connection.execute(select(table)).all()
                contents[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return contents
