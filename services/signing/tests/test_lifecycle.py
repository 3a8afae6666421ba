"""Certificates through their life, and signatures judged by the certificate's state when they were made."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lienthong.errors import FailedPrecondition
from lienthong.signing.domain.certificate import Certificate, CertificateState
from lienthong.signing.domain.verification import (
    Indication,
    SignatureReport,
    SignerCertificate,
    VerificationReport,
    judged_by_registry,
)

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def certificate() -> Certificate:
    return Certificate(
        serial="0abc",
        agency_code="000.00.12.H41",
        kind="organisation",
        subject="CN=Sở TT&TT",
        not_before=T0,
        not_after=T0 + timedelta(days=365),
        pem="",
    )


def test_a_certificate_is_judged_at_each_moment_of_its_life() -> None:
    cert = certificate()
    cert.suspend(reason="mất token", at=T0 + HOUR)
    cert.reactivate(at=T0 + 2 * HOUR)
    cert.revoke(reason="lộ khóa", at=T0 + 3 * HOUR)
    states = [cert.state_at(T0 + n * HOUR) for n in (-1, 0, 1, 2, 3)]
    assert states == [
        CertificateState.NOT_YET_VALID,
        CertificateState.ACTIVE,
        CertificateState.SUSPENDED,
        CertificateState.ACTIVE,
        CertificateState.REVOKED,
    ]
    assert cert.state_at(T0 + timedelta(days=400)) is CertificateState.REVOKED
    assert certificate().state_at(T0 + timedelta(days=400)) is CertificateState.EXPIRED


def test_only_an_active_certificate_signs_and_changes_state() -> None:
    cert = certificate()
    cert.suspend(reason="", at=T0 + HOUR)
    with pytest.raises(FailedPrecondition, match="is suspended; it cannot sign"):
        cert.record_signature(document_sha256="a", signed_sha256="b", reason="", signed_at=T0 + HOUR)
    with pytest.raises(FailedPrecondition, match="only an active one is suspended"):
        cert.suspend(reason="", at=T0 + HOUR)
    cert.revoke(reason="", at=T0 + 2 * HOUR)
    with pytest.raises(FailedPrecondition, match="revoked already"):
        cert.revoke(reason="", at=T0 + 2 * HOUR)


def passed_at(moment: datetime) -> VerificationReport:
    signer = SignerCertificate("0abc", "CN=Sở TT&TT", "000.00.12.H41", T0, T0 + timedelta(days=365), "")
    signature = SignatureReport("AgencySeal", Indication.TOTAL_PASSED, "", True, True, signer, moment)
    return VerificationReport(Indication.TOTAL_PASSED, "ok", (signature,))


def test_a_signature_made_before_revocation_passes_and_one_made_after_fails() -> None:
    cert = certificate()
    cert.revoke(reason="lộ khóa", at=T0 + 2 * HOUR)

    def state_at(serial: str, moment: datetime) -> str | None:
        return cert.state_at(moment).value if serial == cert.serial else None

    before = judged_by_registry(passed_at(T0 + HOUR), state_at, "000.00.12.H41")
    after = judged_by_registry(passed_at(T0 + 3 * HOUR), state_at, "000.00.12.H41")
    assert before.indication is Indication.TOTAL_PASSED
    assert (after.indication, after.reason.split(":")[0]) == (Indication.TOTAL_FAILED, "REVOKED")


def test_a_signature_made_while_suspended_is_indeterminate() -> None:
    cert = certificate()
    cert.suspend(reason="", at=T0 + HOUR)
    report = judged_by_registry(passed_at(T0 + HOUR), lambda s, m: cert.state_at(m).value, None)
    assert report.indication is Indication.INDETERMINATE
