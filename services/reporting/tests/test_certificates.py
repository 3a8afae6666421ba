"""Certificate indicators: states at the end of the period, kinds, lead time, signatures (pure and read model)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import create_engine

from lienthong.reporting.domain.certificates import (
    CertificateRecord,
    RegistrationRecord,
    SigningCounts,
    certificate_summary,
)
from lienthong.reporting.projections.certificates import CertificateRegistry

if TYPE_CHECKING:  # the fixtures' types; pytest imports conftest itself
    from conftest import SigningEvents

AGENCY, OTHER = "000.00.12.H41", "000.00.00.H41"
END = datetime(2026, 12, 1, tzinfo=UTC)


def at(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def certificate(**changes: object) -> CertificateRecord:
    fields: dict[str, object] = {
        "agency_code": AGENCY,
        "kind": "individual",
        "issued_at": at(1, 10),
        "not_before": at(1, 10),
        "not_after": at(12, 31),
    } | changes
    return CertificateRecord(**fields)  # type: ignore[arg-type]


def test_a_certificate_is_in_one_state_at_the_end_of_the_period_and_expiry_follows_its_validity() -> None:
    certificates = [
        certificate(),  # active
        certificate(kind="organisation", not_before=at(12, 5)),  # not yet active on 1 December
        certificate(kind="sim_pki", not_after=at(11, 30)),  # expired before the end
        certificate(revoked_at=at(11, 2)),
        certificate(suspensions=((at(11, 1), at(11, 3)), (at(11, 20), None))),  # suspended again, still
        certificate(suspensions=((at(11, 1), at(11, 3)),)),  # suspended, then reactivated: active
        certificate(issued_at=at(12, 2)),  # issued after the period: not counted at all
    ]
    registrations = [
        RegistrationRecord(AGENCY, "individual", at(11, 1)),  # pending
        RegistrationRecord(AGENCY, "individual", at(11, 1), at(11, 5), at(11, 5)),  # fulfilled
        RegistrationRecord(AGENCY, "individual", at(12, 3)),  # after the period
    ]

    summary = certificate_summary(certificates, registrations, [], from_day=None, to_day=None, end=END)

    assert summary.states == {
        "requested": 1,
        "not_yet_active": 1,
        "active": 2,
        "suspended": 1,
        "revoked": 1,
        "expired": 1,
    }
    assert summary.kinds == {"individual": 4, "organisation": 1, "sim_pki": 1}
    assert summary.total == 6


def test_issues_revocations_and_lead_time_count_only_within_the_period() -> None:
    certificates = [
        certificate(issued_at=at(10, 31), revoked_at=at(11, 10)),
        certificate(issued_at=at(11, 15)),
        certificate(issued_at=at(11, 30, 18)),  # 1 December in Vietnam: after the period
    ]
    registrations = [
        RegistrationRecord(AGENCY, "individual", at(10, 1), at(11, 1), at(11, 1)),  # 31 days, active in November
        RegistrationRecord(AGENCY, "individual", at(11, 1), at(11, 3), at(11, 3)),  # 2 days
        RegistrationRecord(AGENCY, "individual", at(11, 1), at(11, 4), at(11, 5)),  # 4 days (validity began later)
        RegistrationRecord(AGENCY, "individual", at(9, 1), at(10, 1), at(10, 1)),  # active before the period
    ]
    signing = [SigningCounts(AGENCY, date(2026, 11, 2), automatic=3, personal=1, verifications_failed=2)]

    summary = certificate_summary(
        certificates, registrations, signing, from_day=date(2026, 11, 1), to_day=date(2026, 11, 30), end=END
    )

    assert (summary.issued, summary.revoked) == (1, 1)
    assert summary.lead_time_average_days == round((31 + 2 + 4) / 3, 2)
    assert summary.lead_time_p90_days == 31
    assert (summary.signatures_automatic, summary.signatures_personal, summary.verifications_failed) == (3, 1, 2)


def test_the_read_model_keeps_certificates_registrations_and_signatures_once_each(
    database_url: str, signing: SigningEvents
) -> None:
    registry = CertificateRegistry(create_engine(database_url))
    feed = [
        signing.requested(1, AGENCY, "2026-11-01T02:00:00+00:00"),
        signing.issued(1, AGENCY, "2026-11-04T02:00:00+00:00", kind="individual"),
        signing.fulfilled(1, "2026-11-04T02:00:00+00:00", "2026-11-04T02:00:00+00:00"),
        signing.issued(2, OTHER, "2026-11-04T03:00:00+00:00"),
        signing.signature(1, 2, "2026-11-05T02:00:00+00:00"),
        signing.signature(2, 2, "2026-11-05T18:00:00+00:00", policy=f"automatic-seal/{OTHER}/v1"),
        signing.changed(1, 3, "Suspended", "2026-11-10T02:00:00+00:00"),
        signing.changed(1, 4, "Reactivated", "2026-11-12T02:00:00+00:00"),
        signing.changed(2, 3, "Revoked", "2026-11-20T02:00:00+00:00"),
        signing.failed(1, AGENCY, "2026-11-21T02:00:00+00:00"),
    ]
    registry.process_many("signing", list(enumerate(feed, start=1)))
    # The same events again under later positions, as a relay re-publishing past JetStream's window would.
    registry.process_many("signing", list(enumerate(feed, start=len(feed) + 1)))

    mine = registry.certificates_of({AGENCY})
    assert [(c.kind, c.suspensions, c.revoked_at) for c in mine] == [
        ("individual", ((at(11, 10, 2), at(11, 12, 2)),), None)
    ]
    assert registry.certificates_of({OTHER})[0].revoked_at == at(11, 20, 2)
    assert registry.registrations_of({AGENCY}) == [
        RegistrationRecord(AGENCY, "individual", at(11, 1, 2), at(11, 4, 2), at(11, 4, 2))
    ]
    counts = registry.signing_counts({AGENCY, OTHER}, None, None)
    assert sorted(counts, key=lambda c: (c.agency_code, c.day, c.verifications_failed)) == [
        SigningCounts(OTHER, date(2026, 11, 6), automatic=1, personal=0),
        SigningCounts(AGENCY, date(2026, 11, 5), automatic=0, personal=1),
        SigningCounts(AGENCY, date(2026, 11, 21), verifications_failed=1),
    ]
    assert registry.signing_counts({AGENCY}, date(2026, 11, 6), None) == [
        SigningCounts(AGENCY, date(2026, 11, 21), verifications_failed=1)
    ]
