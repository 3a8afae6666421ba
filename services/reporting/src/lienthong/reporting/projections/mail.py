"""Official mailboxes and the outcome of each mail to them, from the email service's events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Connection, Date, MetaData, String, Table, case, func, select

from lienthong.consumer import SqlProjection, UtcDateTime, data_of, utc
from lienthong.events.v1 import events_pb2
from lienthong.reporting.domain.mail import MailboxRecord, MailCounts
from lienthong.reporting.projections.periods import within
from lienthong.reporting.projections.upserts import insert_new
from lienthong.vietnamese.calendar import vietnam_date

# mailbox event → the state it leaves the mailbox in
MAILBOX_STATES = {"Provisioned": "active", "Reactivated": "active", "Suspended": "suspended", "Deleted": "deleted"}
# notification event → the outcome it counts as (a delivery found in the server's log after a crash is sent)
OUTCOMES = {"Sent": "sent", "DeliveryConfirmed": "sent", "Deferred": "deferred", "Bounced": "bounced"}


class MailActivity(SqlProjection):
    """The read model of official mail, fed by the `email` stream.

    - `reporting_mailboxes`: each mailbox with its agency and when it was provisioned;
      `reporting_mailbox_states`: each change of its state, so that it can be told active at any moment;
    - `reporting_notifications`: the agency each notification is addressed to;
    - `reporting_mail_outcomes`: one row per attempt's outcome (sent, deferred, bounced) per agency and day.

    Every row is keyed by its event's aggregate (and version), so an event delivered twice counts once.
    """

    name = "reporting_mail"

    def define_tables(self, metadata: MetaData) -> None:
        self.mailboxes = Table(
            "reporting_mailboxes",
            metadata,
            Column("aggregate_id", String(36), primary_key=True),
            Column("agency_code", String(13), nullable=False, index=True),
            Column("provisioned_at", UtcDateTime(), nullable=False),
        )
        self.states = Table(
            "reporting_mailbox_states",
            metadata,
            Column("aggregate_id", String(36), primary_key=True),
            Column("version", BigInteger, primary_key=True, autoincrement=False),
            Column("at", UtcDateTime(), nullable=False),
            Column("state", String(20), nullable=False),
        )
        self.notifications = Table(
            "reporting_notifications",
            metadata,
            Column("aggregate_id", String(36), primary_key=True),
            Column("agency_code", String(13), nullable=False),
        )
        self.outcomes = Table(
            "reporting_mail_outcomes",
            metadata,
            Column("aggregate_id", String(36), primary_key=True),
            Column("version", BigInteger, primary_key=True, autoincrement=False),
            Column("agency_code", String(13), nullable=False, index=True),
            Column("day", Date, nullable=False, index=True),
            Column("outcome", String(10), nullable=False),
        )

    def apply(self, connection: Connection, envelope: events_pb2.EventEnvelope) -> None:
        self.apply_batch(connection, [(0, envelope)])

    def apply_batch(self, connection: Connection, events: Sequence[tuple[int, events_pb2.EventEnvelope]]) -> None:
        """The batch's rows gathered in memory, then one INSERT per table; a row already there stays (the
        notifications' agencies the outcomes need are read in one SELECT)."""
        rows = _MailRows()
        for _, envelope in events:
            rows.add(envelope)
        known = self.notifications.c
        unknown = sorted(rows.agency_wanted - rows.notifications.keys())
        for start in range(0, len(unknown), _KEYS_PER_SELECT):
            query = select(known.aggregate_id, known.agency_code).where(
                known.aggregate_id.in_(unknown[start : start + _KEYS_PER_SELECT])
            )
            rows.agencies_stored.update({row.aggregate_id: row.agency_code for row in connection.execute(query)})
        insert_new(connection, self.mailboxes, list(rows.mailboxes.values()))
        insert_new(connection, self.states, rows.states)
        insert_new(connection, self.notifications, list(rows.notifications.values()))
        insert_new(connection, self.outcomes, rows.outcomes())

    def mailboxes_of(self, codes: set[str]) -> list[MailboxRecord]:
        """Every mailbox of agencies `codes` with its changes of state, oldest first."""
        m, s = self.mailboxes.c, self.states.c
        with self.engine.connect() as connection:
            rows = connection.execute(select(self.mailboxes).where(m.agency_code.in_(codes))).all()
            changes = connection.execute(
                select(s.aggregate_id, s.at, s.state)
                .join(self.mailboxes, m.aggregate_id == s.aggregate_id)
                .where(m.agency_code.in_(codes))
                .order_by(s.aggregate_id, s.version)
            ).all()
        history: dict[str, list[tuple[datetime, str]]] = {}
        for change in changes:
            history.setdefault(change.aggregate_id, []).append((utc(change.at), change.state))
        return [
            MailboxRecord(row.agency_code, utc(row.provisioned_at), tuple(history.get(row.aggregate_id, ())))
            for row in rows
        ]

    def mail_counts(self, codes: set[str], from_day: date | None, to_day: date | None) -> list[MailCounts]:
        """Mails sent, deferred and bounced per agency of `codes` and day of the period."""
        o = self.outcomes.c
        totals = [func.sum(case((o.outcome == outcome, 1), else_=0)) for outcome in ("sent", "deferred", "bounced")]
        query = select(o.agency_code, o.day, *totals).where(o.agency_code.in_(codes)).group_by(o.agency_code, o.day)
        with self.engine.connect() as connection:
            return [
                MailCounts(code, day, int(sent), int(deferred), int(bounced))
                for code, day, sent, deferred, bounced in connection.execute(within(query, o.day, from_day, to_day))
            ]


_KEYS_PER_SELECT = 500


class _MailRows:
    """The rows one batch of email events adds, in the order of its events (see `MailActivity.apply_batch`)."""

    def __init__(self) -> None:
        self.mailboxes: dict[str, dict[str, Any]] = {}  # the first Provisioned of a mailbox wins
        self.states: list[dict[str, Any]] = []
        self.notifications: dict[str, dict[str, Any]] = {}
        self._outcomes: list[dict[str, Any]] = []
        self.agency_wanted: set[str] = set()  # notifications whose agency an outcome needs
        self.agencies_stored: dict[str, str] = {}  # their agencies, read from the table

    def add(self, envelope: events_pb2.EventEnvelope) -> None:
        key = envelope.aggregate_id
        occurred_at = envelope.occurred_at.ToDatetime(tzinfo=UTC)
        if envelope.aggregate == "Mailbox" and envelope.event in MAILBOX_STATES:
            if envelope.event == "Provisioned":
                agency_code = data_of(envelope)["agency_code"]
                self.mailboxes.setdefault(
                    key, {"aggregate_id": key, "agency_code": agency_code, "provisioned_at": occurred_at}
                )
            state = MAILBOX_STATES[envelope.event]
            self.states.append({"aggregate_id": key, "version": envelope.version, "at": occurred_at, "state": state})
        elif envelope.aggregate == "Notification" and envelope.event == "Queued":
            agency_code = data_of(envelope)["agency_code"]
            self.notifications.setdefault(key, {"aggregate_id": key, "agency_code": agency_code})
        elif envelope.aggregate == "Notification" and envelope.event in OUTCOMES:
            self.agency_wanted.add(key)
            self._outcomes.append(
                {
                    "aggregate_id": key,
                    "version": envelope.version,
                    "day": vietnam_date(occurred_at),
                    "outcome": OUTCOMES[envelope.event],
                }
            )
        # other events (preferences, attempts started, digests): not an indicator; the position is recorded

    def outcomes(self) -> list[dict[str, Any]]:
        """The outcomes with the agency of their notification ("" for one never queued)."""

        def agency_of(key: str) -> str:
            if key in self.notifications:
                return str(self.notifications[key]["agency_code"])
            return self.agencies_stored.get(key, "")

        return [{**outcome, "agency_code": agency_of(outcome["aggregate_id"])} for outcome in self._outcomes]
