"""Official mailboxes of a report (DOMAIN.md §7): provisioned in the period, active at its end, and the
mails delivered, deferred and bounced — pure computation over rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from lienthong.vietnamese.calendar import vietnam_date


@dataclass(frozen=True)
class MailboxRecord:
    """One mailbox: its agency, when it was provisioned, and each change of its state, oldest first."""

    agency_code: str
    provisioned_at: datetime
    changes: tuple[tuple[datetime, str], ...]  # (when, "active" | "suspended" | "deleted")

    def active_at(self, moment: datetime) -> bool:
        """Whether the mailbox was active at `moment`: its last change by then made it so."""
        state = None
        for at, changed_to in self.changes:
            if at > moment:
                break
            state = changed_to
        return state == "active"


@dataclass(frozen=True)
class MailCounts:
    """Outcomes of mail to an agency's mailboxes on one day."""

    agency_code: str
    day: date
    sent: int = 0  # handed to the mail server (or found delivered after a crash)
    deferred: int = 0  # refused for now, tried again later
    bounced: int = 0  # given up on


@dataclass(frozen=True)
class MailSummary:
    """The mailbox indicators of one line of the report."""

    provisioned: int  # in the period
    active: int  # at the end of the period
    sent: int
    deferred: int
    bounced: int


def mail_summary(
    mailboxes: Sequence[MailboxRecord],
    counts: Sequence[MailCounts],
    *,
    from_day: date | None,
    to_day: date | None,
    end: datetime,
) -> MailSummary:
    """The indicators of rows already restricted to a line's agencies (`counts` to the period as well)."""

    def in_period(moment: datetime) -> bool:
        day = vietnam_date(moment)
        return moment < end and (from_day is None or day >= from_day) and (to_day is None or day <= to_day)

    return MailSummary(
        provisioned=sum(1 for m in mailboxes if in_period(m.provisioned_at)),
        active=sum(1 for m in mailboxes if m.active_at(end)),
        sent=sum(c.sent for c in counts),
        deferred=sum(c.deferred for c in counts),
        bounced=sum(c.bounced for c in counts),
    )
