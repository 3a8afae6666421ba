"""Certificates, registration requests, signatures and failed verifications, from the signing service's events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    MetaData,
    String,
    Table,
    case,
    func,
    select,
)

from lienthong.consumer import SqlProjection, UtcDateTime, data_of, utc
from lienthong.consumer.rows import RowCache
from lienthong.events.v1 import events_pb2
from lienthong.reporting.domain.certificates import CertificateRecord, RegistrationRecord, SigningCounts
from lienthong.reporting.projections.periods import within
from lienthong.vietnamese.calendar import vietnam_date


class CertificateRegistry(SqlProjection):
    """The read model of the certificate registry, fed by the `signing` stream.

    - `reporting_certificates`: each certificate with its agency, kind, validity and revocation;
      `reporting_certificate_suspensions`: its suspensions, so that its state can be told at any moment;
    - `reporting_registrations`: each registration request, when it was fulfilled and its certificate active;
    - `reporting_signatures`: one row per signature made (automatic or by a person), per agency and day;
    - `reporting_failed_verifications`: one row per verification that failed, for the agency expected to sign.

    Every row is keyed by its event's aggregate (and version), so an event delivered twice counts once.
    """

    name = "reporting_signing"

    def define_tables(self, metadata: MetaData) -> None:
        self.certificates = Table(
            "reporting_certificates",
            metadata,
            Column("aggregate_id", String(36), primary_key=True),
            Column("serial", String(100), nullable=False),
            Column("agency_code", String(13), nullable=False, index=True),
            Column("kind", String(20), nullable=False),
            Column("issued_at", UtcDateTime(), nullable=False),
            Column("not_before", UtcDateTime(), nullable=False),
            Column("not_after", UtcDateTime(), nullable=False),
            Column("revoked_at", UtcDateTime()),
        )
        self.suspensions = Table(
            "reporting_certificate_suspensions",
            metadata,
            Column("aggregate_id", String(36), primary_key=True),
            Column("version", BigInteger, primary_key=True, autoincrement=False),
            Column("started_at", UtcDateTime(), nullable=False),
            Column("ended_at", UtcDateTime()),
        )
        self.registrations = Table(
            "reporting_registrations",
            metadata,
            Column("aggregate_id", String(36), primary_key=True),
            Column("agency_code", String(13), nullable=False, index=True),
            Column("kind", String(20), nullable=False),
            Column("requested_at", UtcDateTime(), nullable=False),
            Column("fulfilled_at", UtcDateTime()),
            Column("active_from", UtcDateTime()),
        )
        self.signatures = Table(
            "reporting_signatures",
            metadata,
            Column("aggregate_id", String(36), primary_key=True),
            Column("version", BigInteger, primary_key=True, autoincrement=False),
            Column("agency_code", String(13), nullable=False, index=True),
            Column("day", Date, nullable=False, index=True),
            Column("automatic", Boolean, nullable=False),
        )
        self.failures = Table(
            "reporting_failed_verifications",
            metadata,
            Column("aggregate_id", String(36), primary_key=True),
            Column("agency_code", String(13), nullable=False, index=True),  # "" when no agency was expected
            Column("day", Date, nullable=False, index=True),
        )

    def apply(self, connection: Connection, envelope: events_pb2.EventEnvelope) -> None:
        self.apply_batch(connection, [(0, envelope)])

    def apply_batch(self, connection: Connection, events: Sequence[tuple[int, events_pb2.EventEnvelope]]) -> None:
        """The batch's rows read in one SELECT per table, changed in memory, written back set-based."""
        rows = _SigningRows(self, connection)
        rows.preload([envelope for _, envelope in events])
        for _, envelope in events:
            rows.apply(envelope)
        rows.flush()

    def certificates_of(self, codes: set[str]) -> list[CertificateRecord]:
        """Every certificate of agencies `codes`, with its suspensions."""
        c, s = self.certificates.c, self.suspensions.c
        with self.engine.connect() as connection:
            rows = connection.execute(select(self.certificates).where(c.agency_code.in_(codes))).all()
            periods = connection.execute(
                select(s.aggregate_id, s.started_at, s.ended_at)
                .join(self.certificates, c.aggregate_id == s.aggregate_id)
                .where(c.agency_code.in_(codes))
                .order_by(s.aggregate_id, s.version)
            ).all()
        suspended: dict[str, list[tuple[datetime, datetime | None]]] = {}
        for period in periods:
            end = utc(period.ended_at) if period.ended_at else None
            suspended.setdefault(period.aggregate_id, []).append((utc(period.started_at), end))
        return [
            CertificateRecord(
                agency_code=row.agency_code,
                kind=row.kind,
                issued_at=utc(row.issued_at),
                not_before=utc(row.not_before),
                not_after=utc(row.not_after),
                revoked_at=utc(row.revoked_at) if row.revoked_at else None,
                suspensions=tuple(suspended.get(row.aggregate_id, ())),
                serial=row.serial,
            )
            for row in rows
        ]

    def registrations_of(self, codes: set[str]) -> list[RegistrationRecord]:
        """Every registration request of agencies `codes`."""
        r = self.registrations.c
        query = select(r.agency_code, r.kind, r.requested_at, r.fulfilled_at, r.active_from)
        with self.engine.connect() as connection:
            rows = connection.execute(query.where(r.agency_code.in_(codes))).all()
        return [
            RegistrationRecord(
                agency_code=row.agency_code,
                kind=row.kind,
                requested_at=utc(row.requested_at),
                fulfilled_at=utc(row.fulfilled_at) if row.fulfilled_at else None,
                active_from=utc(row.active_from) if row.active_from else None,
            )
            for row in rows
        ]

    def signing_counts(self, codes: set[str], from_day: date | None, to_day: date | None) -> list[SigningCounts]:
        """Signatures (automatic, personal) and failed verifications per agency of `codes` and day of the period."""
        s, f = self.signatures.c, self.failures.c
        signed = within(
            select(
                s.agency_code,
                s.day,
                func.sum(case((s.automatic, 1), else_=0)),
                func.sum(case((s.automatic, 0), else_=1)),
            )
            .where(s.agency_code.in_(codes))
            .group_by(s.agency_code, s.day),
            s.day,
            from_day,
            to_day,
        )
        failed = within(
            select(f.agency_code, f.day, func.count()).where(f.agency_code.in_(codes)).group_by(f.agency_code, f.day),
            f.day,
            from_day,
            to_day,
        )
        with self.engine.connect() as connection:
            counts = [
                SigningCounts(code, day, automatic=int(automatic), personal=int(personal))
                for code, day, automatic, personal in connection.execute(signed)
            ]
            counts += [
                SigningCounts(code, day, verifications_failed=int(n)) for code, day, n in connection.execute(failed)
            ]
        return counts


class _SigningRows:
    """The rows of the certificate registry one batch changes (see `RowCache`); a row keyed by its event's
    aggregate (and version) that is there already is left as it is, so an event delivered twice counts once."""

    def __init__(self, registry: CertificateRegistry, connection: Connection) -> None:
        self.certificates = RowCache(connection, registry.certificates)
        self.suspensions = RowCache(connection, registry.suspensions)
        self.registrations = RowCache(connection, registry.registrations)
        self.signatures = RowCache(connection, registry.signatures)
        self.failures = RowCache(connection, registry.failures)
        self._connection = connection
        self._suspensions_table = registry.suspensions

    def preload(self, envelopes: Sequence[events_pb2.EventEnvelope]) -> None:
        keys: dict[str, list[Any]] = {"Certificate": [], "RegistrationRequest": [], "FailedVerification": []}
        versioned = []
        for envelope in envelopes:
            keys.get(envelope.aggregate, []).append(envelope.aggregate_id)
            if envelope.event in ("SignatureMade", "Suspended"):
                versioned.append((envelope.aggregate_id, envelope.version))
        self.certificates.preload(keys["Certificate"])
        self.registrations.preload(keys["RegistrationRequest"])
        self.failures.preload(keys["FailedVerification"])
        self.signatures.preload(versioned)
        self.suspensions.preload(versioned)

    def flush(self) -> None:
        for rows in (self.certificates, self.suspensions, self.registrations, self.signatures, self.failures):
            rows.flush()

    def apply(self, envelope: events_pb2.EventEnvelope) -> None:
        data = data_of(envelope)
        key = envelope.aggregate_id
        occurred_at = envelope.occurred_at.ToDatetime(tzinfo=UTC)
        match envelope.aggregate, envelope.event:
            case "Certificate", "Issued":
                self._first(
                    self.certificates,
                    key,
                    {
                        "aggregate_id": key,
                        "serial": data["serial"],
                        "agency_code": data["agency_code"],
                        "kind": data["kind"],
                        "issued_at": occurred_at,
                        "not_before": _moment(data["not_before"]),
                        "not_after": _moment(data["not_after"]),
                    },
                )
            case "Certificate", "Suspended":
                started = {"aggregate_id": key, "version": envelope.version, "started_at": _moment(data["at"])}
                self._first(self.suspensions, (key, envelope.version), started)
            case "Certificate", "Reactivated":
                self._end_suspensions(key, _moment(data["at"]))
            case "Certificate", "Revoked":
                self.certificates.update(key, revoked_at=_moment(data["at"]))
            case "Certificate", "SignatureMade":
                certificate = self.certificates.get(key)
                self._first(
                    self.signatures,
                    (key, envelope.version),
                    {
                        "aggregate_id": key,
                        "version": envelope.version,
                        "agency_code": certificate["agency_code"] if certificate else "",
                        "day": vietnam_date(_moment(data["signed_at"])),
                        "automatic": bool(data.get("policy")),
                    },
                )
            case "RegistrationRequest", "Requested":
                requested = {
                    "aggregate_id": key,
                    "agency_code": data["agency_code"],
                    "kind": data["kind"],
                    "requested_at": _moment(data["requested_at"]),
                }
                self._first(self.registrations, key, requested)
            case "RegistrationRequest", "Fulfilled":
                self.registrations.update(
                    key, fulfilled_at=_moment(data["issued_at"]), active_from=_moment(data["active_from"])
                )
            case "FailedVerification", "Recorded":
                failed = {
                    "aggregate_id": key,
                    "agency_code": data.get("expected_agency_code", ""),
                    "day": vietnam_date(occurred_at),
                }
                self._first(self.failures, key, failed)
            case _:
                pass  # seals assigned, policies set: not an indicator; the position is recorded all the same

    @staticmethod
    def _first(rows: RowCache, key: Any, row: dict[str, Any]) -> None:
        if rows.get(key) is None:
            rows.put(row)

    def _end_suspensions(self, key: str, at: datetime) -> None:
        """End the certificate's open suspensions: those stored already (read here, rare) and this batch's."""
        table = self._suspensions_table
        stored = self._connection.execute(
            select(table.c.version).where(table.c.aggregate_id == key, table.c.ended_at.is_(None))
        ).scalars()
        self.suspensions.preload((key, version) for version in stored)
        for suspension in self.suspensions.rows_where(lambda row: row["aggregate_id"] == key):
            if suspension["ended_at"] is None:
                self.suspensions.update((key, suspension["version"]), ended_at=at)


def _moment(text: str) -> datetime:
    """An event's ISO-8601 timestamp; one without an offset is refused (ValueError), its moment being unknowable."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no offset")
    return moment
