"""Certificates of a report (DOMAIN.md §7): states at the end of the period, kinds, issues and revocations
in it, registration lead time, signatures made and verifications failed — pure computation over rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from lienthong.reporting.domain.statistics import average, p90
from lienthong.vietnamese.calendar import vietnam_date

KINDS = ("individual", "organisation", "sim_pki")
# Where a certificate (or its registration) is at a moment; "requested": registered for, not issued yet.
STATES = ("requested", "not_yet_active", "active", "suspended", "revoked", "expired")


@dataclass(frozen=True)
class CertificateRecord:
    """One certificate of the registry as the read model keeps it."""

    agency_code: str
    kind: str
    issued_at: datetime
    not_before: datetime
    not_after: datetime
    revoked_at: datetime | None = None
    suspensions: tuple[tuple[datetime, datetime | None], ...] = ()  # (from, to); to None: still suspended
    serial: str = ""

    def state_at(self, moment: datetime) -> str:
        """The certificate's state at `moment` (the signing service judges signatures the same way)."""
        if self.revoked_at is not None and moment >= self.revoked_at:
            return "revoked"
        if moment < self.not_before:
            return "not_yet_active"
        if moment > self.not_after:
            return "expired"
        if any(start <= moment and (end is None or moment < end) for start, end in self.suspensions):
            return "suspended"
        return "active"


@dataclass(frozen=True)
class RegistrationRecord:
    """One registration request (đăng ký chứng thư số): when made, when fulfilled, when its certificate could
    first sign (None while pending)."""

    agency_code: str
    kind: str
    requested_at: datetime
    fulfilled_at: datetime | None = None
    active_from: datetime | None = None


@dataclass(frozen=True)
class SigningCounts:
    """Signatures made with an agency's certificates and verifications failed for it, on one day."""

    agency_code: str
    day: date
    automatic: int = 0  # made under an automatic-seal policy, no person in the loop
    personal: int = 0  # made at a person's request
    verifications_failed: int = 0


@dataclass(frozen=True)
class CertificateSummary:
    """The certificate indicators of one line of the report."""

    states: dict[str, int]  # every state of STATES at the end of the period
    kinds: dict[str, int]  # certificates issued by the end of the period, every kind of KINDS
    issued: int  # in the period
    revoked: int  # in the period
    lead_time_average_days: float  # registration request → certificate active, for those active in the period
    lead_time_p90_days: float
    signatures_automatic: int
    signatures_personal: int
    verifications_failed: int

    @property
    def total(self) -> int:
        """Certificates issued by the end of the period, whatever their state."""
        return sum(self.kinds.values())


def certificate_summary(
    certificates: Sequence[CertificateRecord],
    registrations: Sequence[RegistrationRecord],
    signing: Sequence[SigningCounts],
    *,
    from_day: date | None,
    to_day: date | None,
    end: datetime,
) -> CertificateSummary:
    """The indicators of rows already restricted to a line's agencies; `end` is the moment the period ends
    (states are taken then; a certificate whose validity ended before it counts as expired)."""

    def in_period(moment: datetime | None) -> bool:
        if moment is None or moment >= end:
            return False
        day = vietnam_date(moment)
        return (from_day is None or day >= from_day) and (to_day is None or day <= to_day)

    held = [c for c in certificates if c.issued_at < end]
    states = dict.fromkeys(STATES, 0)
    for certificate in held:
        states[certificate.state_at(end)] += 1
    states["requested"] = sum(
        1 for r in registrations if r.requested_at < end and (r.fulfilled_at is None or r.fulfilled_at > end)
    )
    kinds = dict.fromkeys(KINDS, 0)
    for certificate in held:
        kinds[certificate.kind] = kinds.get(certificate.kind, 0) + 1
    days = sorted(
        (r.active_from - r.requested_at).total_seconds() / 86400
        for r in registrations
        if r.active_from is not None and in_period(r.active_from)
    )
    return CertificateSummary(
        states=states,
        kinds=kinds,
        issued=sum(1 for c in certificates if in_period(c.issued_at)),
        revoked=sum(1 for c in certificates if in_period(c.revoked_at)),
        lead_time_average_days=average(days),
        lead_time_p90_days=p90(days),
        signatures_automatic=sum(s.automatic for s in signing),
        signatures_personal=sum(s.personal for s in signing),
        verifications_failed=sum(s.verifications_failed for s in signing),
    )
