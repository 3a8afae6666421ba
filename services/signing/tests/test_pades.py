"""Seal-signing a document and verifying it: intact, trusted and by the expected agency, or why not."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from lienthong.documents.rendering import render_document_pdf
from lienthong.signing.devca import DevCertificateAuthority, agency_code_of
from lienthong.signing.domain.verification import Indication
from lienthong.signing.keystore import EncryptedFileKeyStore
from lienthong.signing.pades import NotAPdf, sign_pdf, verify_pdf

AGENCY = "000.00.12.H41"


@pytest.fixture
def keys(tmp_path: Path) -> EncryptedFileKeyStore:
    return EncryptedFileKeyStore(tmp_path / "keys", b"test passphrase")


@pytest.fixture
def ca(tmp_path: Path, keys: EncryptedFileKeyStore) -> DevCertificateAuthority:
    return DevCertificateAuthority(tmp_path / "ca", keys)


def document() -> bytes:
    return render_document_pdf(
        agency_name="Sở Thông tin và Truyền thông",
        code="01/BC-STTTT",
        issued_on=date(2026, 11, 24),
        type_name="Báo cáo",
        subject="Báo cáo tình hình ứng dụng công nghệ thông tin",
    )


def sealed(ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, agency: str = AGENCY) -> bytes:
    seal = ca.issue_seal(agency, "Sở Thông tin và Truyền thông")
    signed, _ = sign_pdf(
        document(),
        key=keys.get(seal.serial),
        certificate=seal.certificate,
        chain=ca.chain,
        reason="Ban hành 01/BC-STTTT",
    )
    return signed


def test_the_ca_is_created_once_and_reloaded(tmp_path: Path, keys: EncryptedFileKeyStore) -> None:
    first = DevCertificateAuthority(tmp_path / "ca", keys)
    again = DevCertificateAuthority(tmp_path / "ca", keys)
    assert first.root == again.root
    assert first.issuing.issuer == first.root.subject


def test_a_seal_certificate_carries_the_agency_code(ca: DevCertificateAuthority) -> None:
    seal = ca.issue_seal(AGENCY, "Sở Thông tin và Truyền thông")
    assert agency_code_of(seal.certificate) == AGENCY
    assert ca.certificate(seal.serial) == seal.certificate


def test_a_sealed_document_passes_for_its_agency(ca: DevCertificateAuthority, keys: EncryptedFileKeyStore) -> None:
    report = verify_pdf(sealed(ca, keys), trust_roots=[ca.root], expected_agency_code=AGENCY)
    assert report.indication is Indication.TOTAL_PASSED
    [signature] = report.signatures
    assert (signature.intact, signature.trusted) == (True, True)
    assert signature.certificate is not None
    assert signature.certificate.agency_code == AGENCY


def test_a_seal_of_another_agency_fails(ca: DevCertificateAuthority, keys: EncryptedFileKeyStore) -> None:
    report = verify_pdf(sealed(ca, keys), trust_roots=[ca.root], expected_agency_code="000.00.00.H41")
    assert report.indication is Indication.TOTAL_FAILED
    assert report.reason.startswith("NOT_SIGNED_BY_EXPECTED_AGENCY")


def test_a_document_changed_after_signing_fails(ca: DevCertificateAuthority, keys: EncryptedFileKeyStore) -> None:
    signed = bytearray(sealed(ca, keys))
    position = signed.index(b"Bao cao tinh hinh")
    signed[position] = ord("X")
    report = verify_pdf(bytes(signed), trust_roots=[ca.root], expected_agency_code=AGENCY)
    assert report.indication is Indication.TOTAL_FAILED
    assert report.reason.startswith("HASH_FAILURE")


def test_a_seal_from_an_untrusted_ca_is_not_passed(
    tmp_path: Path, ca: DevCertificateAuthority, keys: EncryptedFileKeyStore
) -> None:
    stranger = DevCertificateAuthority(tmp_path / "other-ca", keys)
    report = verify_pdf(sealed(stranger, keys), trust_roots=[ca.root], expected_agency_code=AGENCY)
    assert report.indication is Indication.INDETERMINATE
    assert report.reason.startswith("NO_CERTIFICATE_CHAIN_FOUND")


def test_an_unsigned_pdf_has_no_signature(ca: DevCertificateAuthority) -> None:
    report = verify_pdf(document(), trust_roots=[ca.root], expected_agency_code=None)
    assert (report.indication, report.reason.split(":")[0]) == (Indication.TOTAL_FAILED, "NO_SIGNATURE")


def test_bytes_that_are_not_a_pdf_are_refused(ca: DevCertificateAuthority) -> None:
    with pytest.raises(NotAPdf, match="not a PDF"):
        verify_pdf(b"hello", trust_roots=[ca.root], expected_agency_code=None)


def test_keys_do_not_load_with_a_wrong_passphrase(tmp_path: Path, ca: DevCertificateAuthority) -> None:
    seal = ca.issue_seal(AGENCY, "Sở Thông tin và Truyền thông")
    wrong = EncryptedFileKeyStore(tmp_path / "keys", b"wrong passphrase")
    with pytest.raises(ValueError, match="password"):
        wrong.get(seal.serial)
