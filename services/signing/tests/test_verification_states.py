"""Each certificate state produced for real by the development CA, with the test's clock, and the verdict
verification gives a signature made in it: judged as the certificate was at signing time, the time a
timestamp proves (B-T) or, without one, the time the signer claims."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority
from lienthong.signing.adapters.outbound.keystore import EncryptedFileKeyStore
from lienthong.signing.adapters.outbound.pades import Level, TrustData, verify_pdf
from lienthong.signing.domain.verification import Indication

AGENCY = "000.00.12.H41"
NAME = "Sở Thông tin và Truyền thông"
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
NOW = datetime.now(UTC).replace(microsecond=0)


def verdict(ca: DevCertificateAuthority, signed: bytes) -> tuple[Indication, str]:
    report = verify_pdf(signed, trust=TrustData([ca.root], ca.crls()), expected_agency_code=AGENCY)
    return report.indication, report.sub_indication


def test_a_valid_certificate_passes(
    old_ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, sign: Callable[..., bytes]
) -> None:
    issued = old_ca.issue_seal(AGENCY, NAME, now=NOW - DAY)
    assert verdict(old_ca, sign(old_ca, keys, issued, at=NOW - HOUR, level=Level.B_T)) == (Indication.TOTAL_PASSED, "")


@pytest.mark.parametrize("level", [Level.B_B, Level.B_T])
def test_a_certificate_revoked_before_signing_fails(
    old_ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, sign: Callable[..., bytes], level: Level
) -> None:
    issued = old_ca.issue_seal(AGENCY, NAME, now=NOW - 3 * HOUR)
    old_ca.revoke(issued.serial, at=NOW - 2 * HOUR)
    signed = sign(old_ca, keys, issued, at=NOW - HOUR, level=level)
    report = verify_pdf(signed, trust=TrustData([old_ca.root], old_ca.crls()))
    assert (report.indication, report.sub_indication) == (Indication.TOTAL_FAILED, "REVOKED")
    assert "revoked on" in report.signatures[0].detail  # with the revocation time


def test_a_certificate_revoked_after_a_timestamped_signature_passes_at_signing_time(
    old_ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, sign: Callable[..., bytes]
) -> None:
    issued = old_ca.issue_seal(AGENCY, NAME, now=NOW - 3 * HOUR)
    signed = sign(old_ca, keys, issued, at=NOW - 2 * HOUR, level=Level.B_T)
    old_ca.revoke(issued.serial, at=NOW - HOUR)
    report = verify_pdf(signed, trust=TrustData([old_ca.root], old_ca.crls()))
    assert (report.indication, report.sub_indication) == (Indication.TOTAL_PASSED, "")
    assert report.signatures[0].timestamped_at == NOW - 2 * HOUR


def test_a_certificate_revoked_after_an_untimestamped_signature_is_indeterminate(
    old_ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, sign: Callable[..., bytes]
) -> None:
    # Without a timestamp nothing proves the signature is older than the revocation (EN 319 102-1).
    issued = old_ca.issue_seal(AGENCY, NAME, now=NOW - 3 * HOUR)
    signed = sign(old_ca, keys, issued, at=NOW - 2 * HOUR, level=Level.B_B)
    old_ca.revoke(issued.serial, at=NOW - HOUR)
    assert verdict(old_ca, signed) == (Indication.INDETERMINATE, "REVOKED_NO_POE")


def test_a_signature_made_with_an_expired_certificate_fails(
    old_ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, sign: Callable[..., bytes]
) -> None:
    issued = old_ca.issue_seal(AGENCY, NAME, now=NOW - 4 * 365 * DAY)  # valid three years, a year ago
    assert issued.certificate.not_valid_after_utc < NOW - HOUR
    assert verdict(old_ca, sign(old_ca, keys, issued, at=NOW - HOUR, level=Level.B_T)) == (
        Indication.TOTAL_FAILED,
        "EXPIRED",
    )


def test_a_timestamped_signature_passes_after_its_certificate_expired(
    old_ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, sign: Callable[..., bytes]
) -> None:
    issued = old_ca.issue_seal(AGENCY, NAME, now=NOW - 4 * 365 * DAY)
    signed = sign(old_ca, keys, issued, at=issued.certificate.not_valid_after_utc - 30 * DAY, level=Level.B_T)
    assert verdict(old_ca, signed) == (Indication.TOTAL_PASSED, "")


def test_a_signature_made_before_its_certificate_was_valid_fails(
    old_ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, sign: Callable[..., bytes]
) -> None:
    issued = old_ca.issue_seal(AGENCY, NAME, now=NOW + DAY)
    signed = sign(old_ca, keys, issued, at=NOW - HOUR, level=Level.B_T)
    assert verdict(old_ca, signed) == (Indication.TOTAL_FAILED, "NOT_YET_VALID")


def test_a_certificate_of_an_unknown_issuer_is_indeterminate(
    tmp_path: Path, old_ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, sign: Callable[..., bytes]
) -> None:
    stranger = DevCertificateAuthority(tmp_path / "stranger", keys, created_at=NOW - DAY)
    issued = stranger.issue_seal(AGENCY, NAME, now=NOW - HOUR)
    signed = sign(stranger, keys, issued, at=NOW - HOUR / 2, level=Level.B_T)
    report = verify_pdf(signed, trust=TrustData([old_ca.root], old_ca.crls()))
    assert (report.indication, report.sub_indication) == (Indication.INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND")
    assert report.signatures[0].chain == ()


def test_a_b_lt_pdf_with_one_byte_changed_fails(
    ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, sign: Callable[..., bytes]
) -> None:
    signed = sign(ca, keys, ca.issue_seal(AGENCY, NAME))
    assert verdict(ca, signed) == (Indication.TOTAL_PASSED, "")
    tampered = bytearray(signed)
    position = tampered.index(b"Bao cao tinh hinh")  # inside the signed range: the page's content stream
    tampered[position] ^= 0x01
    assert verdict(ca, bytes(tampered)) == (Indication.TOTAL_FAILED, "HASH_FAILURE")
