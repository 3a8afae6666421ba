"""Mailbox indicators: provisioned in the period, active at its end, mails sent, deferred, bounced."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import create_engine

from lienthong.reporting.domain.mail import MailboxRecord, MailCounts, mail_summary
from lienthong.reporting.projections.mail import MailActivity

if TYPE_CHECKING:  # the fixtures' types; pytest imports conftest itself
    from conftest import EmailEvents

AGENCY, OTHER = "000.00.12.H41", "000.00.00.H41"


def at(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def test_a_mailbox_counts_as_active_when_its_last_change_before_the_end_left_it_so() -> None:
    mailboxes = [
        MailboxRecord(AGENCY, at(10, 1), ((at(10, 1), "active"),)),
        MailboxRecord(AGENCY, at(11, 2), ((at(11, 2), "active"), (at(11, 3), "suspended"))),
        MailboxRecord(AGENCY, at(11, 2), ((at(11, 2), "active"), (at(11, 3), "suspended"), (at(11, 4), "active"))),
        MailboxRecord(AGENCY, at(11, 5), ((at(11, 5), "active"), (at(12, 3), "deleted"))),  # deleted after the end
        MailboxRecord(AGENCY, at(12, 2), ((at(12, 2), "active"),)),  # provisioned after the end
    ]
    counts = [MailCounts(AGENCY, date(2026, 11, 3), sent=5, deferred=2, bounced=1)]

    summary = mail_summary(mailboxes, counts, from_day=date(2026, 11, 1), to_day=date(2026, 11, 30), end=at(11, 30, 17))

    assert (summary.provisioned, summary.active) == (3, 3)
    assert (summary.sent, summary.deferred, summary.bounced) == (5, 2, 1)


def test_the_read_model_keeps_mailboxes_and_outcomes_once_each(database_url: str, email: EmailEvents) -> None:
    mail = MailActivity(create_engine(database_url))
    feed = [
        email.provisioned(1, AGENCY, "2026-11-01T02:00:00+00:00"),
        email.mailbox(1, 2, "Suspended", "2026-11-02T02:00:00+00:00"),
        email.mailbox(1, 3, "Reactivated", "2026-11-03T02:00:00+00:00"),
        email.provisioned(2, OTHER, "2026-11-01T02:00:00+00:00"),
        email.queued(1, AGENCY, "2026-11-04T02:00:00+00:00"),
        email.outcome(1, 2, "AttemptStarted", "2026-11-04T02:00:00+00:00"),
        email.outcome(1, 3, "Deferred", "2026-11-04T02:00:01+00:00"),
        email.outcome(1, 4, "AttemptStarted", "2026-11-04T18:00:00+00:00"),
        email.outcome(1, 5, "Sent", "2026-11-04T18:00:01+00:00"),  # 5 November in Vietnam
        email.queued(2, AGENCY, "2026-11-04T02:00:00+00:00"),
        email.outcome(2, 2, "Bounced", "2026-11-04T02:00:01+00:00"),
    ]
    mail.process_many("email", list(enumerate(feed, start=1)))
    mail.process_many("email", list(enumerate(feed, start=len(feed) + 1)))  # re-published: counted once

    [mailbox] = mail.mailboxes_of({AGENCY})
    assert mailbox.changes == (
        (at(11, 1, 2), "active"),
        (at(11, 2, 2), "suspended"),
        (at(11, 3, 2), "active"),
    )
    assert sorted(mail.mail_counts({AGENCY, OTHER}, None, None), key=lambda c: c.day) == [
        MailCounts(AGENCY, date(2026, 11, 4), sent=0, deferred=1, bounced=1),
        MailCounts(AGENCY, date(2026, 11, 5), sent=1, deferred=0, bounced=0),
    ]
    assert mail.mail_counts({AGENCY}, date(2026, 11, 5), date(2026, 11, 5)) == [
        MailCounts(AGENCY, date(2026, 11, 5), sent=1)
    ]
