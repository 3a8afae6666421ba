"""B-T now, B-LT right after: a PDF sealed at B-T gets the validation data of its signatures (certificates and
CRLs in the DSS) in an incremental update, and then verifies offline like one sealed at B-LT in one go."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority
from lienthong.signing.adapters.outbound.keystore import EncryptedFileKeyStore
from lienthong.signing.adapters.outbound.pades import (
    Level,
    NotAPdf,
    NotExtendable,
    TrustData,
    extend_to_long_term,
    verify_pdf,
)
from lienthong.signing.domain.verification import Indication

AGENCY = "000.00.12.H41"
NAME = "Sở Thông tin và Truyền thông"


@pytest.fixture
def sealed_at_b_t(ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, sign: Callable[..., bytes]) -> bytes:
    return sign(ca, keys, ca.issue_seal(AGENCY, NAME), level=Level.B_T)


def test_a_b_t_seal_extended_verifies_strictly_with_only_its_embedded_data(
    ca: DevCertificateAuthority, sealed_at_b_t: bytes
) -> None:
    extended, added = extend_to_long_term(sealed_at_b_t, trust=TrustData([ca.root], ca.crls()))
    assert added
    # The seal's bytes are untouched: the extension is an update appended after them.
    assert extended.startswith(sealed_at_b_t)
    strict = verify_pdf(extended, trust=TrustData([ca.root]), expected_agency_code=AGENCY, strict=True)
    assert strict.indication is Indication.TOTAL_PASSED, strict.reason
    [signature] = strict.signatures
    assert signature.timestamped_at is not None


def test_extending_a_b_lt_pdf_again_adds_nothing(ca: DevCertificateAuthority, sealed_at_b_t: bytes) -> None:
    trust = TrustData([ca.root], ca.crls())
    once, _ = extend_to_long_term(sealed_at_b_t, trust=trust)
    again, added = extend_to_long_term(once, trust=trust)
    assert (again, added) == (once, False)


def test_a_b_b_signature_cannot_be_extended(
    ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, sign: Callable[..., bytes]
) -> None:
    signed = sign(ca, keys, ca.issue_seal(AGENCY, NAME), level=Level.B_B)
    with pytest.raises(NotExtendable, match="no timestamp"):
        extend_to_long_term(signed, trust=TrustData([ca.root], ca.crls()))


def test_a_pdf_without_signature_or_not_a_pdf_is_refused(ca: DevCertificateAuthority, report_pdf: bytes) -> None:
    trust = TrustData([ca.root], ca.crls())
    with pytest.raises(NotAPdf, match="no signature"):
        extend_to_long_term(report_pdf, trust=trust)
    with pytest.raises(NotAPdf, match="not a PDF"):
        extend_to_long_term(b"hello", trust=trust)


def test_a_seal_of_an_untrusted_ca_is_not_extended(tmp_path: Path, sealed_at_b_t: bytes) -> None:
    other = DevCertificateAuthority(tmp_path / "other-ca", EncryptedFileKeyStore(tmp_path / "other", b"x"))
    with pytest.raises(NotExtendable, match="does not validate"):
        extend_to_long_term(sealed_at_b_t, trust=TrustData([other.root], other.crls()))


def test_pyhankos_validators_accept_the_extended_pdf_offline(
    tmp_path: Path, ca: DevCertificateAuthority, sealed_at_b_t: bytes, offline: list[str], pyhanko_cli: Path
) -> None:
    pdf = tmp_path / "extended.pdf"
    pdf.write_bytes(extend_to_long_term(sealed_at_b_t, trust=TrustData([ca.root], ca.crls())).pdf)
    root = tmp_path / "root.pem"
    root.write_bytes(ca.root.public_bytes(serialization.Encoding.PEM))
    trust = ["--trust", str(root), "--trust-replace"]
    ades = [str(pyhanko_cli), "sign", "adesverify", *trust, "--executive-summary", str(pdf)]
    result = subprocess.run([*offline, *ades], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert ":VALID" in result.stdout, result.stdout
    plain = [str(pyhanko_cli), "sign", "validate", *trust, str(pdf)]
    result = subprocess.run([*offline, *plain], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert ":INTACT:TRUSTED," in result.stdout, result.stdout
    assert "TIMESTAMP_TOKEN<INTACT:TRUSTED>" in result.stdout, result.stdout


def test_a_pdf_sealed_at_b_lt_in_one_go_is_not_extended_again(
    ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, sign: Callable[..., bytes]
) -> None:
    signed = sign(ca, keys, ca.issue_seal(AGENCY, NAME), level=Level.B_LT)
    assert extend_to_long_term(signed, trust=TrustData([ca.root], ca.crls())) == (signed, False)
