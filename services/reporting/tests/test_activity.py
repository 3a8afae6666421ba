"""Reporting counts documents from JetStream once each, survives redelivery and restarts, rebuilds from zero."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import create_engine

from lienthong.reporting.projections.activity import DayCount, DocumentActivity

if TYPE_CHECKING:  # the fixtures' types; pytest imports conftest itself
    from conftest import DocumentEvents, DocumentsStream

MORNING = "2026-11-24T02:00:00+00:00"  # 09:00 on 24 November in Vietnam
EVENING = "2026-11-24T18:00:00+00:00"  # 01:00 on 25 November in Vietnam


async def until(condition: Callable[[], bool], what: str, limit: float = 20.0) -> None:
    """Return once `condition()` holds; fail after `limit` seconds."""
    deadline = asyncio.get_running_loop().time() + limit
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {limit:.0f}s waiting for {what}")
        await asyncio.sleep(0.02)


async def test_documents_are_counted_per_agency_on_their_vietnamese_day(
    database_url: str, documents: DocumentsStream, events: DocumentEvents
) -> None:
    activity = DocumentActivity(create_engine(database_url))
    await documents.publish(events.sent(1, MORNING), events.arrived(1, MORNING), events.sent(2, EVENING))

    async with documents.consuming(activity) as consumer:
        await until(lambda: consumer.processed == 3, "three events")

    sender = activity.agency_stats(events.sender, None, None)
    assert (sender.sent, sender.received) == (2, 0)
    assert sender.days == (DayCount(date(2026, 11, 24), 1, 0), DayCount(date(2026, 11, 25), 1, 0))
    recipient = activity.agency_stats(events.recipient, None, None)
    assert (recipient.sent, recipient.received) == (0, 1)


async def test_a_period_keeps_the_days_between_its_bounds_inclusive(
    database_url: str, documents: DocumentsStream, events: DocumentEvents
) -> None:
    activity = DocumentActivity(create_engine(database_url))
    days = ["2026-11-22T02:00:00+07:00", "2026-11-23T02:00:00+07:00", "2026-11-24T02:00:00+07:00"]
    await documents.publish(*(events.sent(n, at) for n, at in enumerate(days)))
    async with documents.consuming(activity) as consumer:
        await until(lambda: consumer.processed == 3, "three events")

    middle = activity.agency_stats(events.sender, date(2026, 11, 23), date(2026, 11, 23))
    assert (middle.sent, [d.day for d in middle.days]) == (1, [date(2026, 11, 23)])
    since = activity.agency_stats(events.sender, date(2026, 11, 23), None)
    assert [d.day for d in since.days] == [date(2026, 11, 23), date(2026, 11, 24)]
    until_23 = activity.agency_stats(events.sender, None, date(2026, 11, 23))
    assert until_23.sent == 2
    assert activity.agency_stats("000.00.99.H99", None, None).days == ()


async def test_other_events_are_ignored_but_their_positions_are_recorded(
    database_url: str, documents: DocumentsStream, events: DocumentEvents
) -> None:
    activity = DocumentActivity(create_engine(database_url))
    await documents.publish(events.registered(1), events.sent(1, MORNING), events.registered(2))

    async with documents.consuming(activity) as consumer:
        await until(lambda: consumer.processed == 3, "three events")

    assert activity.last_position(documents.stream) == 3
    assert activity.agency_stats(events.sender, None, None).sent == 1


async def test_a_restarted_consumer_resumes_after_what_it_counted(
    database_url: str, documents: DocumentsStream, events: DocumentEvents
) -> None:
    await documents.publish(events.sent(1, MORNING), events.arrived(1, MORNING), events.sent(2, MORNING))
    first = DocumentActivity(create_engine(database_url))
    async with documents.consuming(first) as consumer:
        await until(lambda: consumer.processed == 3, "three events")

    restarted = DocumentActivity(create_engine(database_url))  # as a new process would
    async with documents.consuming(restarted) as consumer:
        # The stream delivers in order: the first event this consumer handles must be the new one.
        await documents.publish(events.sent(3, MORNING))
        await until(lambda: consumer.processed >= 1, "the new event")
        stats = restarted.agency_stats(events.sender, None, None)
        assert (consumer.processed, stats.sent) == (1, 3)

    assert restarted.agency_stats(events.recipient, None, None).received == 1
    assert restarted.last_position(documents.stream) == 4


async def test_an_event_published_again_with_its_message_id_is_stored_once(
    database_url: str, documents: DocumentsStream, events: DocumentEvents
) -> None:
    acks = await documents.publish(events.sent(1, MORNING), events.sent(1, MORNING))

    assert [bool(ack.duplicate) for ack in acks] == [False, True]
    assert await documents.stored() == 1
    activity = DocumentActivity(create_engine(database_url))
    async with documents.consuming(activity) as consumer:
        await until(lambda: consumer.processed == 1, "the event")
    assert activity.agency_stats(events.sender, None, None).sent == 1


async def test_a_document_published_again_after_the_deduplication_window_is_counted_once(
    database_url: str, documents: DocumentsStream, events: DocumentEvents
) -> None:
    # A relay that lost its position a day later publishes again under new message ids: JetStream keeps both.
    await documents.publish(events.sent(1, MORNING), events.arrived(1, MORNING))
    await documents.publish(events.sent(1, MORNING), message_id="republished-sent")
    await documents.publish(events.arrived(1, MORNING), message_id="republished-arrived")
    assert await documents.stored() == 4

    activity = DocumentActivity(create_engine(database_url))
    async with documents.consuming(activity) as consumer:
        await until(lambda: consumer.processed == 4, "four events")

    assert activity.agency_stats(events.sender, None, None).sent == 1
    assert activity.agency_stats(events.recipient, None, None).received == 1


async def test_a_reset_read_model_is_rebuilt_from_the_stream(
    database_url: str, documents: DocumentsStream, events: DocumentEvents
) -> None:
    activity = DocumentActivity(create_engine(database_url))
    await documents.publish(*(events.sent(n, MORNING if n % 2 else EVENING) for n in range(5)))
    await documents.publish(events.arrived(7, EVENING))
    async with documents.consuming(activity) as consumer:
        await until(lambda: consumer.processed == 6, "six events")
    before = (activity.agency_stats(events.sender, None, None), activity.agency_stats(events.recipient, None, None))

    activity.reset()
    assert activity.agency_stats(events.sender, None, None).days == ()
    assert activity.last_position(documents.stream) == 0
    async with documents.consuming(activity) as consumer:
        await until(lambda: consumer.processed == 6, "the six events again")

    after = (activity.agency_stats(events.sender, None, None), activity.agency_stats(events.recipient, None, None))
    assert after == before


def test_emptying_says_how_many_rows_it_removed(database_url: str, events: DocumentEvents) -> None:
    activity = DocumentActivity(create_engine(database_url))
    feed = [events.sent(1, MORNING), events.sent(2, EVENING), events.arrived(1, MORNING)]
    activity.process_many("S", list(enumerate(feed, start=1)))

    # 3 daily rows (sender 24th and 25th, recipient 24th), 2 sent documents, 1 arrival.
    assert activity.empty() == 6
    assert (activity.agency_stats(events.sender, None, None).days, activity.last_position("S")) == ((), 0)


def test_processing_counts_on_time_late_open_and_the_time_to_done(database_url: str, events: DocumentEvents) -> None:
    activity = DocumentActivity(create_engine(database_url))
    feed = [events.arrived(n, "2026-11-02T01:00:00+00:00") for n in range(3)]
    feed += [
        events.envelope("IncomingDocument", "Assigned", "in-0", due_on="2026-11-05", assignee="P1", at="x"),
        events.envelope("IncomingDocument", "Assigned", "in-1", due_on="2026-11-03", assignee="P1", at="x"),
        events.envelope("IncomingDocument", "Assigned", "in-2", due_on="2026-11-04", assignee="P1", at="x"),
        events.envelope("IncomingDocument", "Completed", "in-0", at="2026-11-03T01:00:00+00:00"),  # 24 h, on time
        events.envelope("IncomingDocument", "Completed", "in-1", at="2026-11-04T13:00:00+00:00"),  # 60 h, late
    ]
    activity.process_many("S", list(enumerate(feed, start=1)))

    stats = activity.processing_of(events.recipient, date(2026, 11, 1), date(2026, 11, 30), today=date(2026, 11, 10))
    assert (stats.received, stats.done, stats.done_on_time, stats.done_late) == (3, 2, 1, 1)
    assert (stats.open, stats.open_overdue) == (1, 1)
    assert (stats.average_hours, stats.p90_hours) == (42.0, 60.0)
    assert activity.processing_of(events.recipient, date(2026, 12, 1), None, today=date(2026, 12, 10)).received == 0


def test_signed_refused_and_recalled_documents_are_counted(database_url: str, events: DocumentEvents) -> None:
    activity = DocumentActivity(create_engine(database_url))
    feed = [events.drafted(1), events.signed(1), events.sent(1, MORNING), events.drafted(2), events.sent(2, MORNING)]
    feed += [events.sent(1, MORNING)]  # the same document published again: counted once
    feed += [events.arrived(1, MORNING), events.arrived(2, MORNING), events.refused(1, MORNING)]
    feed += [events.recalled(2, EVENING), events.recalled(9, EVENING)]  # a copy reporting never saw is not counted
    activity.process_many("S", list(enumerate(feed, start=1)))

    sender = activity.agency_stats(events.sender, None, None)
    assert (sender.sent, sender.sent_signed) == (2, 1)
    recipient = activity.agency_stats(events.recipient, None, None)
    assert (recipient.received, recipient.refused, recipient.recalled) == (2, 1, 1)
    assert [(d.day, d.recalled) for d in recipient.days] == [(date(2026, 11, 24), 0), (date(2026, 11, 25), 1)]
