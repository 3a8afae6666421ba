"""Rebuilding from zero (`rebuild --replay`) gives every table of every read model the rows it had."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nats
import pytest
from sqlalchemy import select

from lienthong.consumer import StreamConsumer
from lienthong.events.v1 import events_pb2
from lienthong.grpcserver import Settings
from lienthong.relay import NatsLink, StreamNames, ensure_stream
from lienthong.reporting.main import ReadModels, read_models

if TYPE_CHECKING:  # the fixtures' types; pytest imports conftest itself
    from conftest import DocumentEvents, EmailEvents, SigningEvents

PROVINCE, DEPARTMENT = "000.00.00.H41", "000.00.12.H41"


def feeds(events: DocumentEvents, signing: SigningEvents, email: EmailEvents) -> dict[str, list[Any]]:
    """Events of every kind each read model counts, per service, in the order their services store them."""
    day = "2026-11-{:02d}T0{}:00:00+00:00".format
    documents = []
    for n in range(1, 41):
        at = day(1 + n % 28, n % 10)
        documents += [events.drafted(n), events.signed(n), events.sent(n, at), events.arrived(n, at)]
        documents += [events.refused(n, at)] if n % 7 == 0 else []
        documents += [events.recalled(n, at)] if n % 11 == 0 else []
        documents += [events.registered(n)]
    signing_events = []
    for n in range(1, 21):
        agency = PROVINCE if n % 3 == 0 else DEPARTMENT
        kind = ("individual", "organisation", "sim_pki")[n % 3]
        signing_events += [
            signing.requested(n, agency, day(1 + n, 1), kind=kind),
            signing.issued(n, agency, day(2 + n, 2), kind=kind),
            signing.fulfilled(n, day(2 + n, 2), day(2 + n, 2)),
            signing.signature(n, 2, day(3 + n, 3), policy="automatic-seal/x/v1" if n % 2 else ""),
        ]
        signing_events += [signing.changed(n, 3, "Suspended", day(4 + n, 4))] if n % 4 == 0 else []
        signing_events += [signing.changed(n, 4, "Revoked", day(4 + n, 4))] if n % 5 == 0 else []
        signing_events += [signing.failed(n, agency, day(5 + n, 5))] if n % 6 == 0 else []
    mail = []
    for n in range(1, 16):
        agency = PROVINCE if n % 2 else DEPARTMENT
        mail += [email.provisioned(n, agency, day(n, 1)), email.queued(n, agency, day(n, 2))]
        mail += [email.outcome(n, 2, ("Sent", "Deferred", "Bounced")[n % 3], day(n, 3))]
        mail += [email.mailbox(n, 2, "Suspended", day(n + 1, 4))] if n % 4 == 0 else []
    identifiers = [events.agency(PROVINCE, "", "UBND tỉnh"), events.agency(DEPARTMENT, PROVINCE, "Sở TTTT")]
    return {"identifiers": identifiers, "documents": documents, "signing": signing_events, "email": mail}


async def publish(nats_url: str, names: StreamNames, service: str, feed: list[events_pb2.EventEnvelope]) -> None:
    """Publish as the relays do: on the event's subject, de-duplicated by `<aggregate id>:<version>`."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, names, service)
        for event in feed:
            subject = names.subject(service, event.aggregate, event.event)
            headers = {"Nats-Msg-Id": f"{event.aggregate_id}:{event.version}"}
            await js.publish(subject, event.SerializeToString(), headers=headers)
    finally:
        await nc.close()


async def consume(nats_url: str, names: StreamNames, models: ReadModels) -> None:
    """Feed every read model as the running service does (its durable consumers), up to each stream's end."""
    link = NatsLink(nats_url, "reporting-test")
    try:
        for service, sink in models.by_stream().items():
            await StreamConsumer(link, stream=names.stream(service), durable="reporting", sink=sink).catch_up()
    finally:
        await link.close()


def snapshot(models: ReadModels, names: StreamNames) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of every read model, table by table, in a stable order; and each position."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    for service, model in models.by_stream().items():
        with model.engine.connect() as connection:
            for table in model.metadata.sorted_tables:
                tables[table.name] = sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
        tables[f"position of {service}"] = [(model.last_position(names.stream(service)),)]
    return tables


def test_rebuilding_from_zero_gives_every_table_the_same_rows(
    database_url: str,
    nats_url: str,
    instance: str,
    tmp_path: Path,
    events: DocumentEvents,
    signing: SigningEvents,
    email: EmailEvents,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = StreamNames(instance)
    published = feeds(events, signing, email)
    for service, feed in published.items():
        asyncio.run(publish(nats_url, names, service, feed))
    monkeypatch.setenv("LIENTHONG_DATABASE_URL", database_url)
    monkeypatch.setenv("LIENTHONG_DATA_DIR", str(tmp_path))
    models = read_models(Settings.from_env("reporting"))
    asyncio.run(consume(nats_url, names, models))
    before = snapshot(models, names)
    env = {key: value for key, value in os.environ.items() if not key.startswith("LIENTHONG_")}
    env |= {
        "LIENTHONG_DATABASE_URL": database_url,
        "LIENTHONG_DATA_DIR": str(tmp_path),
        "LIENTHONG_NATS_URL": nats_url,
        "LIENTHONG_INSTANCE": instance,
    }

    done = subprocess.run(
        [sys.executable, "-m", "lienthong.reporting.main", "rebuild", "--replay"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    after = snapshot(models, names)
    assert after == before
    # Each table was fed (a table empty before and after would prove nothing), and nothing was put aside.
    empty = sorted(name for name, rows in before.items() if not rows and not name.endswith("dead_letters"))
    assert empty == []
    assert all(not rows for name, rows in before.items() if name.endswith("dead_letters"))
    for service, feed in published.items():
        assert f"{names.stream(service)}: replayed {len(feed):,} events" in done.stdout
