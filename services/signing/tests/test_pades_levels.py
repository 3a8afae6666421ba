"""PAdES B-T and B-LT: a timestamp from the development TSA (over HTTP, RFC 3161), and validation data
embedded so that a B-LT document verifies offline, in lienthong and in pyHanko's own command-line validator."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.timestamps import HTTPTimeStamper

from lienthong.signing.adapters.inbound.devca_http import DevCaHttpServer
from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority, IssuedCertificate
from lienthong.signing.adapters.outbound.keystore import EncryptedFileKeyStore
from lienthong.signing.adapters.outbound.pades import ContainerSizes, Level, TrustData, sign_pdf, verify_pdf
from lienthong.signing.domain.verification import Indication

AGENCY = "000.00.12.H41"
NAME = "Sở Thông tin và Truyền thông"


def test_a_b_t_signature_is_timestamped_by_the_dev_tsa_over_http(
    ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, report_pdf: bytes
) -> None:
    issued = ca.issue_seal(AGENCY, NAME)
    server = DevCaHttpServer(ca).start()
    try:
        signed, signed_at = sign_pdf(
            report_pdf,
            signer=keys.signer(issued.serial, issued.certificate, ca.chain),
            certificate=issued.certificate,
            reason="Ban hành",
            level=Level.B_T,
            timestamper=HTTPTimeStamper(server.tsa_url),
        )
    finally:
        server.close()
    report = verify_pdf(signed, trust=TrustData([ca.root]), expected_agency_code=AGENCY)
    assert report.indication is Indication.TOTAL_PASSED
    [signature] = report.signatures
    assert signature.timestamped_at is not None
    assert signed_at <= signature.timestamped_at


class CountingSizes(ContainerSizes):
    """ContainerSizes that counts the estimates pyHanko makes (each a whole dummy CMS, timestamp included)."""

    def __init__(self) -> None:
        super().__init__()
        self.estimates = 0

    def remember(self, certificate: x509.Certificate, level: Level, size: int) -> None:
        self.estimates += 1
        super().remember(certificate, level, size)


def test_the_room_for_a_signature_is_estimated_once_per_certificate_and_level(
    ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, report_pdf: bytes
) -> None:
    seal, other = ca.issue_seal(AGENCY, NAME), ca.issue_seal("000.00.13.H41", "Sở Tài chính")
    sizes = CountingSizes()
    server = DevCaHttpServer(ca).start()
    try:
        timestamper = HTTPTimeStamper(server.tsa_url)

        def signed(issued: IssuedCertificate, level: Level) -> bytes:
            pdf, _ = sign_pdf(
                report_pdf,
                signer=keys.signer(issued.serial, issued.certificate, ca.chain),
                certificate=issued.certificate,
                reason="Ban hành",
                level=level,
                timestamper=timestamper,
                sizes=sizes,
            )
            return pdf

        first = signed(seal, Level.B_T)
        assert sizes.estimates == 1
        assert sizes.get(seal.certificate, Level.B_T) is not None
        again = [signed(seal, Level.B_T) for _ in range(2)]
        assert sizes.estimates == 1  # the seal's room at B-T is known: no more dummy containers
        signed(seal, Level.B_B)
        signed(other, Level.B_T)
        assert sizes.estimates == 3  # another level, another certificate: estimated each once
    finally:
        server.close()
    for pdf in (first, *again):
        report = verify_pdf(pdf, trust=TrustData([ca.root]), expected_agency_code=AGENCY)
        assert report.indication is Indication.TOTAL_PASSED
        assert report.signatures[0].timestamped_at is not None
    # Signed into the same room, the PDFs of one certificate and level have the same length.
    assert {len(pdf) for pdf in again} == {len(first)}


def test_the_dev_ca_serves_its_crls_over_http(ca: DevCertificateAuthority) -> None:
    import urllib.request

    server = DevCaHttpServer(ca).start()
    try:
        with urllib.request.urlopen(f"{server.url}/crl", timeout=5) as answer:
            crl = answer.read()
    finally:
        server.close()
    assert crl == ca.crl().public_bytes(serialization.Encoding.DER)


def test_a_b_b_signature_has_no_timestamp(
    ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, sign: Callable[..., bytes]
) -> None:
    [signature] = verify_pdf(
        sign(ca, keys, ca.issue_seal(AGENCY, NAME), level=Level.B_B), trust=TrustData([ca.root])
    ).signatures
    assert signature.timestamped_at is None


def test_b_t_and_b_lt_need_a_time_stamping_authority(
    ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, report_pdf: bytes
) -> None:
    issued = ca.issue_seal(AGENCY, NAME)
    with pytest.raises(ValueError, match="time-stamping authority"):
        sign_pdf(
            report_pdf,
            signer=keys.signer(issued.serial, issued.certificate, ca.chain),
            certificate=issued.certificate,
            reason="",
            level=Level.B_LT,
        )


def test_a_b_lt_signature_verifies_strictly_with_only_its_embedded_data(
    ca: DevCertificateAuthority,
    keys: EncryptedFileKeyStore,
    sign: Callable[..., bytes],
    network_calls: Callable[[], AbstractContextManager[list[str]]],
) -> None:
    signed = sign(ca, keys, ca.issue_seal(AGENCY, NAME), level=Level.B_LT)
    # No CRL given to the verifier, and every certificate below the root must have revocation data: only
    # what the PDF carries can satisfy it (the CRL address in the certificates, .invalid, never resolves).
    with network_calls() as calls:
        report = verify_pdf(signed, trust=TrustData([ca.root]), expected_agency_code=AGENCY, strict=True)
    assert calls == []
    assert report.indication is Indication.TOTAL_PASSED, report.reason
    [signature] = report.signatures
    assert [subject.split(",")[0] for subject in signature.chain] == [
        f"Common Name: {NAME}",
        "Common Name: lienthong development issuing CA",
        "Common Name: lienthong development root CA",
    ]


def test_a_b_t_signature_does_not_verify_strictly_without_revocation_data(
    ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, sign: Callable[..., bytes]
) -> None:
    # The control for the test above: the same strict check fails when nothing is embedded.
    signed = sign(ca, keys, ca.issue_seal(AGENCY, NAME), level=Level.B_T)
    report = verify_pdf(signed, trust=TrustData([ca.root]), expected_agency_code=AGENCY, strict=True)
    assert report.indication is not Indication.TOTAL_PASSED


@pytest.mark.parametrize(("level", "passes"), [(Level.B_LT, True), (Level.B_T, False)])
def test_pyhankos_own_validator_accepts_a_b_lt_pdf_offline(
    tmp_path: Path,
    ca: DevCertificateAuthority,
    keys: EncryptedFileKeyStore,
    sign: Callable[..., bytes],
    level: Level,
    passes: bool,
    offline: list[str],
    pyhanko_cli: Path,
) -> None:
    pdf = tmp_path / "signed.pdf"
    pdf.write_bytes(sign(ca, keys, ca.issue_seal(AGENCY, NAME), level=level))
    root = tmp_path / "root.pem"
    root.write_bytes(ca.root.public_bytes(serialization.Encoding.PEM))
    # `adesverify` is ETSI EN 319 102-1 validation requiring revocation data for every certificate.
    command = [str(pyhanko_cli), "sign", "adesverify", "--trust", str(root), "--trust-replace", "--executive-summary"]
    result = subprocess.run([*offline, *command, str(pdf)], capture_output=True, text=True, check=False)
    assert (result.returncode == 0) is passes, result.stdout + result.stderr
    assert (":VALID" in result.stdout) is passes, result.stdout
