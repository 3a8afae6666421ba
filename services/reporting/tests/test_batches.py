"""The registry and mail read models applied a whole batch at a time, set-based, hold what applying their
events one at a time holds; an event that cannot be applied is put aside alone."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, select

from lienthong.consumer import SqlProjection
from lienthong.events.v1 import events_pb2
from lienthong.launcher.testing import fresh_database
from lienthong.reporting.projections.agencies import AgencyTree
from lienthong.reporting.projections.mail import MailActivity

if TYPE_CHECKING:  # the fixtures' types; pytest imports conftest itself
    from conftest import DocumentEvents, EmailEvents

AGENCY, OTHER = "000.00.12.H41", "000.00.00.H41"


def rows(model: SqlProjection) -> dict[str, list[tuple[Any, ...]]]:
    with model.engine.connect() as connection:
        return {
            table.name: sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
            for table in model.metadata.sorted_tables
        }


def agency_change(agency: events_pb2.EventEnvelope, version: int, event: str, **data: Any) -> events_pb2.EventEnvelope:
    change = events_pb2.EventEnvelope()
    change.CopyFrom(agency)
    change.version, change.event = version, event
    change.data.Clear()
    change.data.update(data)
    change.occurred_at.FromJsonString(f"2026-11-2{version}T18:00:00Z")  # the next day in Vietnam
    return change


def agency_feed(events: DocumentEvents) -> list[events_pb2.EventEnvelope]:
    province, department = events.agency(OTHER, "", "UBND tỉnh"), events.agency(AGENCY, OTHER, "Sở TTTT")
    return [
        province,
        department,
        agency_change(department, 2, "Updated", name="Sở Khoa học và Công nghệ"),
        agency_change(department, 3, "Locked", reason="sáp nhập"),
        agency_change(department, 4, "Unlocked"),
        agency_change(province, 2, "Locked", reason="kiểm tra"),
        agency_change(department, 5, "Dissolved", ending="merged", successors=[OTHER], effective_on="2026-12-01"),
    ]


def mail_feed(email: EmailEvents) -> list[events_pb2.EventEnvelope]:
    return [
        email.provisioned(1, AGENCY, "2026-11-01T02:00:00+00:00"),
        email.mailbox(1, 2, "Suspended", "2026-11-02T02:00:00+00:00"),
        email.queued(1, AGENCY, "2026-11-04T02:00:00+00:00"),
        email.outcome(1, 2, "AttemptStarted", "2026-11-04T02:00:00+00:00"),
        email.outcome(1, 3, "Deferred", "2026-11-04T02:00:01+00:00"),
        email.outcome(1, 4, "Sent", "2026-11-04T18:00:01+00:00"),
        email.outcome(2, 2, "Bounced", "2026-11-04T02:00:01+00:00"),  # mail-2 is queued in an earlier batch
        email.provisioned(2, OTHER, "2026-11-05T02:00:00+00:00"),
        email.provisioned(2, OTHER, "2026-11-06T02:00:00+00:00"),  # published twice: the first one counts
    ]


def test_a_batch_of_registry_events_leaves_the_rows_one_at_a_time_leaves(
    database_url: str, tmp_path: Path, events: DocumentEvents
) -> None:
    feed = list(enumerate(agency_feed(events), start=1))
    with fresh_database(tmp_path / "other.db") as other_url:
        one_by_one, batched = AgencyTree(create_engine(database_url)), AgencyTree(create_engine(other_url))
        for position, envelope in feed:
            one_by_one.process_many("identifiers", [(position, envelope)])
        batched.process_many("identifiers", feed)

        assert rows(batched) == rows(one_by_one)
        nodes = batched.nodes()
        changes = batched.changes_of({AGENCY}, None, None)
    assert (nodes[AGENCY].name, nodes[AGENCY].state, nodes[OTHER].state) == (
        "Sở Khoa học và Công nghệ",
        "dissolved",
        "locked",
    )
    assert changes == {
        "issued": 1,
        "changed": 1,
        "locked": 1,
        "unlocked": 1,
        "dissolved": 1,
    }


def test_a_change_of_an_agency_never_registered_is_put_aside_and_the_rest_of_its_batch_applied(
    database_url: str, events: DocumentEvents
) -> None:
    tree = AgencyTree(create_engine(database_url))
    stray = agency_change(events.agency("000.00.99.H41", OTHER, "Không có"), 2, "Locked", reason="?")
    feed = agency_feed(events)
    tree.process_many("identifiers", list(enumerate([*feed[:3], stray, *feed[3:]], start=1)))

    [(_, position, reason)] = tree.dead_letter_reasons()
    assert position == 4
    assert "never registered" in reason
    assert tree.nodes()[AGENCY].state == "dissolved"
    assert tree.last_position("identifiers") == len(feed) + 1


def test_a_batch_of_mail_events_leaves_the_rows_one_at_a_time_leaves(
    database_url: str, tmp_path: Path, email: EmailEvents
) -> None:
    earlier = [(1, email.queued(2, OTHER, "2026-11-03T02:00:00+00:00"))]
    feed = list(enumerate(mail_feed(email), start=2))
    with fresh_database(tmp_path / "other.db") as other_url:
        one_by_one, batched = MailActivity(create_engine(database_url)), MailActivity(create_engine(other_url))
        for position, envelope in [*earlier, *feed]:
            one_by_one.process_many("email", [(position, envelope)])
        batched.process_many("email", earlier)
        batched.process_many("email", feed)

        assert rows(batched) == rows(one_by_one)
        held = rows(batched)
    outcomes = held["reporting_mail_outcomes"]
    assert sorted((row[0], row[2], row[4]) for row in outcomes) == [
        ("mail-1", AGENCY, "deferred"),
        ("mail-1", AGENCY, "sent"),
        ("mail-2", OTHER, "bounced"),
    ]
    provisioned = {row[0]: row[2] for row in held["reporting_mailboxes"]}
    assert provisioned["mailbox-2"].day == 5
