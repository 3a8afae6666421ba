"""The mailbox registry and the log of delivery outcomes, as SQL tables for listings and usage counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Boolean, Column, Connection, Integer, MetaData, String, Table, Text, func, select

from lienthong.consumer import SqlProjection, UtcDateTime, data_of, utc_row
from lienthong.consumer.rows import RowCache
from lienthong.email.domain.mailbox import NOTIFICATION_KINDS
from lienthong.events.v1 import events_pb2
from lienthong.vietnamese.calendar import start_of_vietnam_day

# Notification event → the delivery outcome it counts as.
_OUTCOMES = {"Sent": "sent", "DeliveryConfirmed": "sent", "Deferred": "deferred", "Bounced": "bounced"}


class _RegistryRows:
    """The rows of the mail registry one batch changes (see `RowCache`)."""

    def __init__(self, registry: MailRegistry, connection: Connection) -> None:
        self.mailboxes = RowCache(connection, registry.mailboxes)
        self.deliveries = RowCache(connection, registry.deliveries)
        self.states = RowCache(connection, registry.states)
        self.agencies = RowCache(connection, registry.agencies)

    def flush(self) -> None:
        for rows in (self.mailboxes, self.deliveries, self.states, self.agencies):
            rows.flush()

    def apply(self, envelope: events_pb2.EventEnvelope) -> None:
        at = envelope.occurred_at.ToDatetime(tzinfo=UTC)
        key = envelope.aggregate_id
        if envelope.aggregate == "Mailbox":
            data = data_of(envelope)
            if envelope.event == "Provisioned":
                self.mailboxes.put(
                    {
                        "mailbox_id": key,
                        "address": data["address"],
                        "agency_code": data["agency_code"],
                        "holder": data["holder"],
                        "state": "active",
                        "provisioned_at": at,
                        "kinds": ",".join(NOTIFICATION_KINDS),
                        "digest": False,
                    }
                )
                self._state_changed(envelope, data["agency_code"], "active", at)
            elif envelope.event == "PreferencesSet":
                kinds = ",".join(data.get("kinds", []))
                self.mailboxes.update(key, kinds=kinds, digest=bool(data.get("digest", False)))
            else:
                state = {"Reactivated": "active", "Suspended": "suspended", "Deleted": "deleted"}[envelope.event]
                mailbox = self.mailboxes.update(key, state=state)
                if mailbox is None:
                    raise LookupError(f"no mailbox {key} was provisioned")
                self._state_changed(envelope, mailbox["agency_code"], state, at)
        elif envelope.aggregate == "Notification":
            if envelope.event == "Queued":
                self.agencies.put({"notification_id": key, "agency_code": data_of(envelope)["agency_code"]})
                return
            outcome = _OUTCOMES.get(envelope.event)
            if outcome is None:  # an attempt started or interrupted is no outcome
                return
            notification = self.agencies.get(key)
            if notification is None:
                raise LookupError(f"no notification {key} was queued")
            self.deliveries.put(
                {
                    "notification_id": key,
                    "version": str(envelope.version),
                    "agency_code": notification["agency_code"],
                    "outcome": outcome,
                    "at": at,
                }
            )

    def _state_changed(self, envelope: events_pb2.EventEnvelope, agency: str, state: str, at: datetime) -> None:
        row = {"mailbox_id": envelope.aggregate_id, "version": envelope.version, "agency_code": agency}
        self.states.put(row | {"state": state, "at": at})


@dataclass(frozen=True)
class MailboxRow:
    address: str
    agency_code: str
    holder: str
    state: str
    provisioned_at: datetime
    kinds: str  # the notification kinds wanted, comma-separated
    digest: bool  # in a daily digest rather than one mail per event

    def wants(self, kind: str) -> bool:
        return kind in self.kinds.split(",")


@dataclass(frozen=True)
class MailUsage:
    mailboxes_provisioned: int
    mailboxes_active: int
    sent: int
    deferred: int
    bounced: int


class MailRegistry(SqlProjection):
    """`email_mailboxes` (one row per address) and `email_deliveries` (one row per delivery attempt)."""

    name = "email_registry"

    def define_tables(self, metadata: MetaData) -> None:
        self.mailboxes = Table(
            "email_mailboxes",
            metadata,
            Column("mailbox_id", String(36), primary_key=True),
            Column("address", Text, nullable=False, unique=True),
            Column("agency_code", String(13), nullable=False, index=True),
            Column("holder", Text, nullable=False),
            Column("state", String(10), nullable=False),
            Column("provisioned_at", UtcDateTime(), nullable=False),
            Column("kinds", Text, nullable=False),
            Column("digest", Boolean, nullable=False),
        )
        self.deliveries = Table(
            "email_deliveries",
            metadata,
            Column("notification_id", String(36), primary_key=True),
            Column("version", String(10), primary_key=True),
            Column("agency_code", String(13), nullable=False, index=True),
            Column("outcome", String(10), nullable=False),
            Column("at", UtcDateTime(), nullable=False, index=True),
        )
        self.states = Table(  # every change of state, to tell which mailboxes were active at a past instant
            "email_mailbox_states",
            metadata,
            Column("mailbox_id", String(36), primary_key=True),
            Column("version", Integer, primary_key=True, autoincrement=False),
            Column("agency_code", String(13), nullable=False, index=True),
            Column("state", String(10), nullable=False),
            Column("at", UtcDateTime(), nullable=False),
        )
        self.agencies = Table(  # which agency a notification is for, to count its outcomes
            "email_notification_agencies",
            metadata,
            Column("notification_id", String(36), primary_key=True),
            Column("agency_code", String(13), nullable=False),
        )

    def apply(self, connection: Connection, envelope: events_pb2.EventEnvelope) -> None:
        self.apply_batch(connection, [(0, envelope)])

    def apply_batch(self, connection: Connection, events: Sequence[tuple[int, events_pb2.EventEnvelope]]) -> None:
        """The batch's rows read in one SELECT per table, changed in memory, written back set-based."""
        rows = _RegistryRows(self, connection)
        envelopes = [envelope for _, envelope in events]
        rows.mailboxes.preload(
            e.aggregate_id for e in envelopes if e.aggregate == "Mailbox" and e.event != "Provisioned"
        )
        rows.agencies.preload(
            e.aggregate_id for e in envelopes if e.aggregate == "Notification" and e.event in _OUTCOMES
        )
        for envelope in envelopes:
            rows.apply(envelope)
        rows.flush()

    def state_of(self, address: str) -> str | None:
        with self.engine.connect() as connection:
            state = connection.execute(
                select(self.mailboxes.c.state).where(self.mailboxes.c.address == address.lower())
            ).scalar_one_or_none()
        return str(state) if state is not None else None

    def mailbox(self, address: str) -> MailboxRow | None:
        rows = self._mailboxes(self.mailboxes.c.address == address.strip().lower())
        return rows[0] if rows else None

    def mailboxes_of(self, agency_code: str) -> list[MailboxRow]:
        return self._mailboxes(self.mailboxes.c.agency_code == agency_code if agency_code else None)

    def _mailboxes(self, condition: object) -> list[MailboxRow]:
        columns = [c for c in self.mailboxes.c if c.name != "mailbox_id"]
        query = select(*columns).order_by(self.mailboxes.c.address)
        if condition is not None:
            query = query.where(condition)  # type: ignore[arg-type]
        with self.engine.connect() as connection:
            return [MailboxRow(**utc_row(row._mapping)) for row in connection.execute(query)]

    def usage(self, agency_code: str, from_day: date | None, to_day: date | None) -> MailUsage:
        """Mailboxes provisioned by the end of the period and active at its end (now when it has none);
        delivery outcomes in the period."""
        start = start_of_vietnam_day(from_day) if from_day else None
        end = start_of_vietnam_day(to_day + timedelta(days=1)) if to_day else None
        boxes = select(func.count()).select_from(self.mailboxes)
        deliveries = select(self.deliveries.c.outcome, func.count()).group_by(self.deliveries.c.outcome)
        if agency_code:
            boxes = boxes.where(self.mailboxes.c.agency_code == agency_code)
            deliveries = deliveries.where(self.deliveries.c.agency_code == agency_code)
        if end:
            boxes = boxes.where(self.mailboxes.c.provisioned_at < end)
            deliveries = deliveries.where(self.deliveries.c.at < end)
        if start:
            deliveries = deliveries.where(self.deliveries.c.at >= start)
        with self.engine.connect() as connection:
            provisioned = int(connection.execute(boxes).scalar_one())
            active = self._active_at(connection, agency_code, end)
            outcomes = {str(outcome): int(count) for outcome, count in connection.execute(deliveries)}
        return MailUsage(
            provisioned, active, outcomes.get("sent", 0), outcomes.get("deferred", 0), outcomes.get("bounced", 0)
        )

    def _active_at(self, connection: Connection, agency_code: str, end: datetime | None) -> int:
        """How many mailboxes were active at `end` (now when None): each one's last state before it."""
        query = select(self.states.c.mailbox_id, self.states.c.state).order_by(self.states.c.at, self.states.c.version)
        if agency_code:
            query = query.where(self.states.c.agency_code == agency_code)
        if end:
            query = query.where(self.states.c.at < end)
        last = {str(mailbox): str(state) for mailbox, state in connection.execute(query)}
        return sum(state == "active" for state in last.values())
