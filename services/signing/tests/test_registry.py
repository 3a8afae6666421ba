"""The certificate registry: requests and their lead time, personal and SIM PKI certificates, certificates
and CRLs imported from a CA, and an individual's signature followed by the agency's seal on one PDF."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from lienthong.errors import FailedPrecondition, InvalidArgument
from lienthong.signing.adapters.inbound.imports import read_certificate, read_crl
from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority
from lienthong.signing.adapters.outbound.keystore import EncryptedFileKeyStore
from lienthong.signing.adapters.outbound.pades import Level, TrustData, verify_pdf
from lienthong.signing.application.app import SigningApp
from lienthong.signing.domain.certificate import CertificateKind, CertificateState, RequestState
from lienthong.signing.domain.verification import Indication

AGENCY = "000.00.12.H41"
NAME = "Sở Thông tin và Truyền thông"
LEADER = ("Nguyễn Văn An", "CCCVN-001089012345")
NOW = datetime.now(UTC).replace(microsecond=0)
DAY = timedelta(days=1)


def test_a_request_is_fulfilled_by_a_personal_certificate_and_its_lead_time_is_kept(
    app: SigningApp, ca: DevCertificateAuthority
) -> None:
    request = app.request_certificate(
        kind="individual",
        agency_code=AGENCY,
        person_name=LEADER[0],
        person_id=LEADER[1],
        reason="giám đốc mới",
        at=NOW - 9 * DAY,
    )
    assert (request.state, request.lead_time) == (RequestState.REQUESTED, None)
    certificate = app.issue_requested(ca, app.registration_request(request.id), NAME, NOW)
    again = app.registration_request(request.id)
    assert again.state is RequestState.FULFILLED
    assert again.serial == certificate.serial
    assert again.lead_time == 9 * DAY  # requested nine days ago, active from its issue now
    assert (certificate.kind, certificate.person, certificate.agency_code) == ("individual", LEADER[1], AGENCY)
    assert certificate.state_at(NOW) is CertificateState.ACTIVE
    with pytest.raises(FailedPrecondition, match="fulfilled already"):
        app.issue_requested(ca, again, NAME, NOW)


def test_a_sim_pki_request_gets_a_sim_pki_certificate(app: SigningApp, ca: DevCertificateAuthority) -> None:
    request = app.request_certificate(
        kind="sim_pki", agency_code=AGENCY, person_name=LEADER[0], person_id=LEADER[1], reason="", at=NOW
    )
    certificate = app.issue_requested(ca, request, NAME, NOW)
    assert certificate.kind == "sim_pki"
    assert "OU=SIM PKI" in certificate.subject


def test_a_seal_request_is_fulfilled_by_the_agencys_seal(app: SigningApp, ca: DevCertificateAuthority) -> None:
    request = app.request_certificate(
        kind="organisation", agency_code=AGENCY, person_name="", person_id="", reason="", at=NOW
    )
    seal = app.issue_requested(ca, request, NAME, NOW)
    assert seal == app.seal_of(AGENCY)
    assert app.registration_request(request.id).serial == seal.serial


@pytest.mark.parametrize(
    ("kind", "person_name", "person_id"),
    [("individual", "", ""), ("organisation", *LEADER), ("director", *LEADER)],
)
def test_a_request_that_does_not_fit_its_kind_is_refused(
    app: SigningApp, kind: str, person_name: str, person_id: str
) -> None:
    with pytest.raises(InvalidArgument):
        app.request_certificate(
            kind=kind, agency_code=AGENCY, person_name=person_name, person_id=person_id, reason="", at=NOW
        )


def test_an_issued_certificate_is_not_active_before_its_validity_starts(
    app: SigningApp, ca: DevCertificateAuthority
) -> None:
    request = app.request_certificate(
        kind="individual", agency_code=AGENCY, person_name=LEADER[0], person_id=LEADER[1], reason="", at=NOW
    )
    certificate = app.issue_requested(ca, request, NAME, NOW + 2 * DAY)  # the CA dates it from the day after tomorrow
    assert certificate.state_at(NOW) is CertificateState.NOT_YET_VALID
    assert certificate.state_at(NOW + 3 * DAY) is CertificateState.ACTIVE


@pytest.fixture
def real_ca(tmp_path: Path, keys: EncryptedFileKeyStore) -> DevCertificateAuthority:
    """Stands in for the Government CA: certificates from it are imported, not issued by the platform."""
    return DevCertificateAuthority(tmp_path / "real-ca", keys)


def delivered_as(kind: str, real_ca: DevCertificateAuthority, keys: EncryptedFileKeyStore) -> tuple[bytes, str]:
    issued = real_ca.issue_personal(AGENCY, NAME, *LEADER, now=NOW)
    if kind == "pem":
        return issued.certificate.public_bytes(serialization.Encoding.PEM), issued.serial
    if kind == "der":
        return issued.certificate.public_bytes(serialization.Encoding.DER), issued.serial
    bundle = pkcs12.serialize_key_and_certificates(
        b"leader",
        keys.get(issued.serial),
        issued.certificate,
        None,
        serialization.BestAvailableEncryption(b"p12 password"),
    )
    return bundle, issued.serial


@pytest.mark.parametrize("form", ["pem", "der", "pkcs12"])
def test_a_certificate_from_a_trusted_ca_is_imported(
    tmp_path: Path, app: SigningApp, real_ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, form: str
) -> None:
    data, serial = delivered_as(form, real_ca, keys)
    store = EncryptedFileKeyStore(tmp_path / "service-keys", b"service passphrase")
    delivered = read_certificate(data, b"p12 password" if form == "pkcs12" else None)
    certificate = app.import_certificate(
        delivered,
        kind=CertificateKind.INDIVIDUAL,
        agency_code=None,  # read from the certificate
        request=None,
        issuers=[real_ca.issuing],
        keys=store,
        at=NOW,
    )
    assert (certificate.serial, certificate.agency_code, certificate.origin) == (serial, AGENCY, "imported")
    assert (serial in store) is (form == "pkcs12")


def test_a_pkcs12_bundle_needs_its_password(real_ca: DevCertificateAuthority, keys: EncryptedFileKeyStore) -> None:
    data, _ = delivered_as("pkcs12", real_ca, keys)
    with pytest.raises(InvalidArgument, match="PKCS#12"):
        read_certificate(data, b"wrong")


def test_a_certificate_of_an_unknown_ca_is_not_imported(
    app: SigningApp, ca: DevCertificateAuthority, real_ca: DevCertificateAuthority, keys: EncryptedFileKeyStore
) -> None:
    data, _ = delivered_as("pem", real_ca, keys)
    with pytest.raises(InvalidArgument, match="not from a trusted CA"):
        app.import_certificate(
            read_certificate(data),
            kind=CertificateKind.INDIVIDUAL,
            agency_code=AGENCY,
            request=None,
            issuers=[ca.issuing],
            keys=keys,
            at=NOW,
        )


def test_an_imported_crl_revokes_the_certificates_it_lists_as_of_its_time(
    app: SigningApp, real_ca: DevCertificateAuthority, keys: EncryptedFileKeyStore
) -> None:
    data, serial = delivered_as("pem", real_ca, keys)
    kept_data, kept = delivered_as("der", real_ca, keys)
    for delivered in (data, kept_data):
        app.import_certificate(
            read_certificate(delivered),
            kind=CertificateKind.INDIVIDUAL,
            agency_code=AGENCY,
            request=None,
            issuers=[real_ca.issuing],
            keys=keys,
            at=NOW,
        )
    real_ca.revoke(serial, at=NOW - DAY)
    crl = real_ca.crl().public_bytes(serialization.Encoding.DER)
    issuer, revocations = read_crl(crl, [real_ca.issuing])
    assert app.apply_revocations(revocations, issuer) == [serial]
    assert app.apply_revocations(revocations, issuer) == []  # importing the same CRL again changes nothing
    revoked, untouched = app.certificate(serial), app.certificate(kept)
    assert revoked is not None
    assert untouched is not None
    assert revoked.revoked_at == NOW - DAY
    assert untouched.state_at(NOW) is CertificateState.ACTIVE


def test_a_crl_not_signed_by_a_trusted_ca_is_refused(
    ca: DevCertificateAuthority, real_ca: DevCertificateAuthority
) -> None:
    with pytest.raises(InvalidArgument, match="not signed by a trusted CA"):
        read_crl(real_ca.crl().public_bytes(serialization.Encoding.PEM), [ca.issuing])


def test_the_leader_signs_then_the_agency_seals_one_pdf(
    ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, sign: Callable[..., bytes], report_pdf: bytes
) -> None:
    leader = ca.issue_personal(AGENCY, NAME, *LEADER)
    signed_by_leader = sign(ca, keys, leader, level=Level.B_T)
    only_leader = verify_pdf(signed_by_leader, trust=TrustData([ca.root]), expected_agency_code=AGENCY)
    assert only_leader.sub_indication == "NOT_SIGNED_BY_EXPECTED_AGENCY"  # a person is not the agency's seal

    seal = ca.issue_seal(AGENCY, NAME)
    both = sign(ca, keys, seal, level=Level.B_LT, pdf=signed_by_leader)
    report = verify_pdf(both, trust=TrustData([ca.root], ca.crls()), expected_agency_code=AGENCY)
    assert report.indication is Indication.TOTAL_PASSED, report.reason
    assert [(s.field_name, s.certificate.person if s.certificate else "") for s in report.signatures] == [
        ("Signature", LEADER[1]),
        ("AgencySeal", None),
    ]
