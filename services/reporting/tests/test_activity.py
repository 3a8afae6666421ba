"""Reporting counts documents from JetStream once each, survives redelivery and rebuilds from zero."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import nats
import pytest
from google.protobuf import struct_pb2
from sqlalchemy import create_engine

from lienthong.consumer import StreamConsumer
from lienthong.errors import InvalidArgument
from lienthong.events.v1 import events_pb2
from lienthong.grpcserver import day_of
from lienthong.relay import NatsLink, StreamNames, ensure_stream
from lienthong.reporting.api import ReportingServicer
from lienthong.reporting.projections.activity import DocumentActivity
from lienthong.reporting.v1 import reporting_pb2
from lienthong.vietnamese.calendar import vietnam_date

SENDER, RECIPIENT = "000.00.12.H41", "000.00.00.H41"


def test_a_reporting_day_is_the_vietnamese_calendar_day() -> None:
    assert vietnam_date(datetime(2026, 3, 1, 18, 30, tzinfo=UTC)) == date(2026, 3, 2)
    assert vietnam_date(datetime(2026, 3, 1, 16, 59, tzinfo=UTC)) == date(2026, 3, 1)
    with pytest.raises(ValueError, match="offset"):
        vietnam_date(datetime(2026, 3, 1))


def test_days_are_parsed_or_refused_with_the_field_name() -> None:
    assert day_of("2026-11-24", "from_day") == date(2026, 11, 24)
    assert day_of("", "from_day") is None
    with pytest.raises(InvalidArgument, match="to_day must be YYYY-MM-DD, got '24/11/2026'"):
        day_of("24/11/2026", "to_day")


def envelope(aggregate: str, event: str, aggregate_id: str, **data: object) -> events_pb2.EventEnvelope:
    payload = struct_pb2.Struct()
    payload.update(data)
    return events_pb2.EventEnvelope(
        service="documents", aggregate=aggregate, aggregate_id=aggregate_id, version=1, event=event, data=payload
    )


def sent(n: int, at: str) -> events_pb2.EventEnvelope:
    recipients = [{"recipient_code": RECIPIENT, "incoming_id": f"in-{n}"}]
    return envelope("OutgoingDocument", "Sent", f"out-{n}", sender_code=SENDER, recipients=recipients, sent_at=at)


def arrived(n: int, at: str) -> events_pb2.EventEnvelope:
    return envelope(
        "IncomingDocument",
        "Arrived",
        f"in-{n}",
        recipient_code=RECIPIENT,
        sender_code=SENDER,
        outgoing_id=f"out-{n}",
        arrived_at=at,
    )


async def publish(url: str, instance: str, messages: list[events_pb2.EventEnvelope]) -> None:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, StreamNames(instance), "documents")
        for message in messages:
            subject = StreamNames(instance).subject("documents", message.aggregate, message.event)
            headers = {"Nats-Msg-Id": f"{message.aggregate_id}:{message.version}"}
            await js.publish(subject, message.SerializeToString(), headers=headers)
    finally:
        await nc.close()


@contextlib.asynccontextmanager
async def consuming(url: str, instance: str, activity: DocumentActivity) -> AsyncIterator[StreamConsumer]:
    link = NatsLink(url, "reporting-test")
    consumer = StreamConsumer(
        link, stream=StreamNames(instance).stream("documents"), durable="reporting", sink=activity
    )
    task = asyncio.create_task(consumer.run())
    try:
        yield consumer
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await link.close()


async def until(condition: object, limit: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + limit
    while not condition():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.05)


async def test_documents_are_counted_per_agency_and_day_once(database_url: str, nats_url: str, instance: str) -> None:
    activity = DocumentActivity(create_engine(database_url))
    await publish(
        nats_url,
        instance,
        [
            sent(1, "2026-11-24T02:00:00+00:00"),
            arrived(1, "2026-11-24T02:00:00+00:00"),
            sent(2, "2026-11-24T18:00:00+00:00"),
        ],
    )
    async with consuming(nats_url, instance, activity) as consumer:
        await until(lambda: consumer.processed == 3)
    # Published again (a relay re-publishing after a crash): de-duplicated by JetStream.
    await publish(nats_url, instance, [sent(1, "2026-11-24T02:00:00+00:00")])
    async with consuming(nats_url, instance, activity) as consumer:
        await asyncio.sleep(0.5)  # give a wrong redelivery the chance to happen
        assert consumer.processed == 0

    sender = activity.agency_activity(SENDER, None, None)
    assert (sender.sent, sender.received) == (2, 0)
    assert [(d.day.isoformat(), d.sent) for d in sender.days] == [("2026-11-24", 1), ("2026-11-25", 1)]
    assert activity.agency_activity(RECIPIENT, date(2026, 11, 24), date(2026, 11, 24)).received == 1
    assert activity.agency_activity(SENDER, date(2026, 11, 25), None).sent == 1


async def test_a_reset_read_model_is_rebuilt_from_the_stream(database_url: str, nats_url: str, instance: str) -> None:
    activity = DocumentActivity(create_engine(database_url))
    await publish(nats_url, instance, [sent(n, "2026-11-24T02:00:00+00:00") for n in range(5)])
    async with consuming(nats_url, instance, activity) as consumer:
        await until(lambda: consumer.processed == 5)
    before = activity.agency_activity(SENDER, None, None)

    activity.reset()
    assert activity.agency_activity(SENDER, None, None).sent == 0
    async with consuming(nats_url, instance, activity) as consumer:
        await until(lambda: consumer.processed == 5)
    assert activity.agency_activity(SENDER, None, None) == before


async def test_a_malformed_day_is_invalid_argument(database_url: str) -> None:
    servicer = ReportingServicer(DocumentActivity(create_engine(database_url)))
    with pytest.raises(InvalidArgument, match="from_day must be YYYY-MM-DD"):
        await servicer.GetAgencyStats(reporting_pb2.GetAgencyStatsRequest(agency_code=SENDER, from_day="x"), None)
    with pytest.raises(InvalidArgument, match="agency_code is required"):
        await servicer.GetAgencyStats(reporting_pb2.GetAgencyStatsRequest(), None)


def test_processing_counts_on_time_late_open_and_the_time_to_done(database_url: str) -> None:
    activity = DocumentActivity(create_engine(database_url))
    events = []
    for n in range(3):
        events.append(arrived(n, "2026-11-02T01:00:00+00:00"))
    events.append(envelope("IncomingDocument", "Assigned", "in-0", due_on="2026-11-05", assignee="P1", at="x"))
    events.append(envelope("IncomingDocument", "Assigned", "in-1", due_on="2026-11-03", assignee="P1", at="x"))
    events.append(envelope("IncomingDocument", "Assigned", "in-2", due_on="2026-11-04", assignee="P1", at="x"))
    events.append(envelope("IncomingDocument", "Completed", "in-0", at="2026-11-03T01:00:00+00:00"))  # 24 h, on time
    events.append(envelope("IncomingDocument", "Completed", "in-1", at="2026-11-04T13:00:00+00:00"))  # 60 h, late
    activity.process_many("S", list(enumerate(events, start=1)))

    stats = activity.processing_of(RECIPIENT, date(2026, 11, 1), date(2026, 11, 30), today=date(2026, 11, 10))
    assert (stats.received, stats.done, stats.done_on_time, stats.done_late) == (3, 2, 1, 1)
    assert (stats.open, stats.open_overdue) == (1, 1)
    assert (stats.average_hours, stats.p90_hours) == (42.0, 60.0)
    assert activity.processing_of(RECIPIENT, date(2026, 12, 1), None, today=date(2026, 12, 10)).received == 0
