"""The development CA: created once and reloaded, one seal per agency, revocation published on a CRL."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from lienthong.errors import InvalidArgument, NotFound
from lienthong.signing.adapters.outbound.devca import SEAL_YEARS, DevCertificateAuthority, agency_code_of
from lienthong.signing.adapters.outbound.keystore import EncryptedFileKeyStore

AGENCY = "000.00.12.H41"
NAME = "Sở Thông tin và Truyền thông"


def test_the_ca_is_a_root_an_issuing_ca_and_a_tsa_persisted_as_pem(tmp_path: Path, ca: DevCertificateAuthority) -> None:
    assert sorted(p.name for p in (tmp_path / "ca").iterdir()) == ["issuing.pem", "root.pem", "tsa.pem"]
    ca.root.verify_directly_issued_by(ca.root)
    ca.issuing.verify_directly_issued_by(ca.root)
    ca.tsa.verify_directly_issued_by(ca.issuing)
    usage = ca.tsa.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert (usage.critical, list(usage.value)) == (True, [x509.oid.ExtendedKeyUsageOID.TIME_STAMPING])  # RFC 3161
    for certificate in ca.chain:
        assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_the_ca_is_reloaded_from_disk_not_created_again(
    tmp_path: Path, ca: DevCertificateAuthority, keys: EncryptedFileKeyStore
) -> None:
    again = DevCertificateAuthority(tmp_path / "ca", keys)
    assert (again.root, again.issuing) == (ca.root, ca.issuing)


def test_a_seal_certificate_names_the_agency_and_carries_its_code(ca: DevCertificateAuthority) -> None:
    seal = ca.issue_seal(AGENCY, NAME).certificate
    seal.verify_directly_issued_by(ca.issuing)
    assert agency_code_of(seal) == AGENCY
    assert seal.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == NAME
    assert seal.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "VN"
    usage = seal.extensions.get_extension_for_class(x509.KeyUsage).value
    assert (usage.digital_signature, usage.content_commitment, usage.key_cert_sign) == (True, True, False)
    assert not seal.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    # No distribution point: the dev CA publishes its CRLs nowhere a verifier could fetch them (see devca.py).
    with pytest.raises(x509.ExtensionNotFound):
        seal.extensions.get_extension_for_class(x509.CRLDistributionPoints)
    lifetime = seal.not_valid_after_utc - seal.not_valid_before_utc
    assert dt.timedelta(days=365 * SEAL_YEARS) <= lifetime < dt.timedelta(days=365 * SEAL_YEARS + 1)


def test_a_ca_certificate_has_no_agency_code(ca: DevCertificateAuthority) -> None:
    assert agency_code_of(ca.root) is None
    assert agency_code_of(ca.issuing) is None


def test_issuing_a_seal_twice_returns_the_same_certificate(
    tmp_path: Path, ca: DevCertificateAuthority, keys: EncryptedFileKeyStore
) -> None:
    first = ca.issue_seal(AGENCY, NAME)
    again = ca.issue_seal(AGENCY, NAME)
    after_restart = DevCertificateAuthority(tmp_path / "ca", keys).issue_seal(AGENCY, NAME)
    assert first.serial == again.serial == after_restart.serial
    assert ca.certificate(first.serial) == first.certificate


def test_each_agency_has_its_own_seal_and_key(ca: DevCertificateAuthority, keys: EncryptedFileKeyStore) -> None:
    department = ca.issue_seal(AGENCY, NAME)
    province = ca.issue_seal("000.00.00.H41", "Ủy ban nhân dân tỉnh Quảng Nam")
    assert department.serial != province.serial
    assert keys.get(department.serial).public_key() == department.certificate.public_key()
    assert keys.get(province.serial).public_key() == province.certificate.public_key()


def test_a_malformed_agency_code_is_refused(ca: DevCertificateAuthority) -> None:
    with pytest.raises(InvalidArgument, match="not an agency identifier code"):
        ca.issue_seal("../../etc", NAME)


def test_an_unknown_serial_is_not_found(ca: DevCertificateAuthority) -> None:
    with pytest.raises(NotFound):
        ca.certificate("abc123")


def test_a_revoked_seal_is_on_a_crl_signed_by_the_issuing_ca(ca: DevCertificateAuthority) -> None:
    seal = ca.issue_seal(AGENCY, NAME)
    at = dt.datetime(2026, 11, 24, 3, 0, tzinfo=dt.UTC)
    crl = ca.revoke(seal.serial, at=at, reason=x509.ReasonFlags.key_compromise)
    assert crl.is_signature_valid(ca.issuing.public_key())  # type: ignore[arg-type]
    assert crl.issuer == ca.issuing.subject
    entry = crl.get_revoked_certificate_by_serial_number(seal.certificate.serial_number)
    assert entry is not None
    assert entry.revocation_date_utc == at
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason is x509.ReasonFlags.key_compromise
    assert ca.is_revoked(seal.serial)
    assert ca.crl() == crl


def test_revoking_twice_changes_nothing_and_each_new_crl_has_a_higher_number(ca: DevCertificateAuthority) -> None:
    seal = ca.issue_seal(AGENCY, NAME)
    first = ca.crl()
    revoked = ca.revoke(seal.serial)
    again = ca.revoke(seal.serial)
    assert len(first) == 0
    assert again == revoked
    numbers = [crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number for crl in (first, revoked)]
    assert numbers == [1, 2]


def test_a_revoked_seal_is_replaced_by_a_new_certificate(ca: DevCertificateAuthority) -> None:
    old = ca.issue_seal(AGENCY, NAME)
    ca.revoke(old.serial)
    new = ca.issue_seal(AGENCY, NAME)
    assert new.serial != old.serial
    assert ca.issue_seal(AGENCY, NAME).serial == new.serial


def test_an_expired_seal_is_replaced_by_a_new_certificate(ca: DevCertificateAuthority) -> None:
    now = dt.datetime.now(dt.UTC)
    old = ca.issue_seal(AGENCY, NAME, now=now - dt.timedelta(days=365 * SEAL_YEARS + 1))
    new = ca.issue_seal(AGENCY, NAME, now=now)
    assert new.serial != old.serial


def test_a_stale_crl_is_signed_again_with_the_same_entries(ca: DevCertificateAuthority) -> None:
    seal = ca.issue_seal(AGENCY, NAME)
    revoked = ca.revoke(seal.serial)
    assert revoked.next_update_utc is not None
    fresh = ca.crl(now=revoked.next_update_utc + dt.timedelta(seconds=1))
    assert fresh.last_update_utc > revoked.last_update_utc
    assert [entry.serial_number for entry in fresh] == [seal.certificate.serial_number]


def test_a_seal_lookup_beside_the_first_checkpoint_finds_every_file_it_lists(tmp_path: Path) -> None:
    """The checkpoint certificate used to be written under its serial and renamed: a `seal_of` in another
    thread listed that file and found it gone (FileNotFoundError in SignPdf under load). A race, so it is run
    on many fresh CAs; with the old code about one round in fifteen failed."""
    failures: list[BaseException] = []
    for round_number in range(60):
        keys = EncryptedFileKeyStore(tmp_path / f"keys-{round_number}", b"test passphrase")
        ca = DevCertificateAuthority(tmp_path / f"ca-{round_number}", keys)
        ca.issue_seal(AGENCY, NAME)
        done = threading.Event()

        def look_up(authority: DevCertificateAuthority = ca, stop: threading.Event = done) -> None:
            while not stop.is_set():
                try:
                    authority.seal_of(AGENCY)
                except BaseException as error:  # collected: the test fails on it
                    failures.append(error)
                    return

        reader = threading.Thread(target=look_up)
        reader.start()
        try:
            ca.sign_checkpoint(b"head")
        finally:
            done.set()
            reader.join()
    assert failures == []
