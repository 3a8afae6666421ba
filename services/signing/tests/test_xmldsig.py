"""Enveloped XML signatures of an agency seal (XMLDSig, XAdES-BES) and their per-signature verification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509

from lienthong.signing.adapters.inbound.api import SigningServicer
from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority, IssuedCertificate
from lienthong.signing.adapters.outbound.keystore import EncryptedFileKeyStore, KeyStore
from lienthong.signing.adapters.outbound.xmldsig import NotXml, sign_xml, verify_xml
from lienthong.signing.application.app import SigningApp
from lienthong.signing.domain.verification import Indication
from lienthong.signing.v1 import signing_pb2 as pb

AGENCY = "000.00.12.H41"
NAME = "Sở Thông tin và Truyền thông"
NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
ENVELOPE = (
    f'<edXMLEnvelope xmlns="{NS}"><edXMLHeader><MessageHeader><Subject>Báo cáo quý IV</Subject>'
    "<Code><CodeNumber>05</CodeNumber></Code></MessageHeader>"
    '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#" Id="placeholder"/></edXMLHeader>'
    "<edXMLBody/></edXMLEnvelope>"
).encode()


def signed(
    ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, *, xades: bool = False, at: datetime | None = None
) -> bytes:
    issued: IssuedCertificate = ca.issue_seal(AGENCY, NAME)
    xml, _ = sign_xml(
        ENVELOPE,
        signer=keys.signer(issued.serial, issued.certificate, ca.chain),
        certificate=issued.certificate,
        chain=ca.chain,
        xades=xades,
        signing_time=at,
    )
    return xml


def signature_certificate(ca: DevCertificateAuthority) -> x509.Certificate:
    return ca.issue_seal(AGENCY, NAME).certificate


@pytest.mark.parametrize("xades", [False, True])
def test_a_sealed_envelope_passes_for_its_agency(
    ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, xades: bool
) -> None:
    report = verify_xml(signed(ca, keys, xades=xades), trust_roots=[ca.root], expected_agency_code=AGENCY)
    assert report.indication is Indication.TOTAL_PASSED, report.reason
    [signature] = report.signatures
    assert (signature.intact, signature.trusted) == (True, True)
    assert signature.certificate is not None
    assert signature.certificate.agency_code == AGENCY
    assert signature.chain == tuple(c.subject.rfc4514_string() for c in (signature_certificate(ca), *ca.chain))


def test_the_signature_sits_where_the_envelope_keeps_its_placeholder(
    ca: DevCertificateAuthority, keys: EncryptedFileKeyStore
) -> None:
    xml = signed(ca, keys)
    header = xml.split(b"<edXMLBody", 1)[0]
    assert b"SignatureValue" in header
    assert b'Id="placeholder"' not in xml


def test_xades_declares_the_signing_time_given(ca: DevCertificateAuthority, keys: EncryptedFileKeyStore) -> None:
    moment = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    [signature] = verify_xml(signed(ca, keys, xades=True, at=moment), trust_roots=[ca.root]).signatures
    assert signature.signed_at == moment


@pytest.mark.parametrize("xades", [False, True])
def test_a_tampered_element_fails_with_hash_failure(
    ca: DevCertificateAuthority, keys: EncryptedFileKeyStore, xades: bool
) -> None:
    tampered = signed(ca, keys, xades=xades).replace("quý IV".encode(), "quý III".encode())
    report = verify_xml(tampered, trust_roots=[ca.root], expected_agency_code=AGENCY)
    assert report.indication is Indication.TOTAL_FAILED
    [signature] = report.signatures
    assert (signature.sub_indication, signature.intact) == ("HASH_FAILURE", False)


def test_a_signature_value_changed_fails_as_a_crypto_failure(
    ca: DevCertificateAuthority, keys: EncryptedFileKeyStore
) -> None:
    xml = signed(ca, keys)
    start = xml.index(b"<ds:SignatureValue>") + len(b"<ds:SignatureValue>")
    flipped = xml[:start] + (b"A" if xml[start : start + 1] != b"A" else b"B") + xml[start + 1 :]
    [signature] = verify_xml(flipped, trust_roots=[ca.root]).signatures
    assert signature.indication is Indication.TOTAL_FAILED
    assert signature.sub_indication in ("SIG_CRYPTO_FAILURE", "FORMAT_FAILURE")


def test_a_signer_outside_the_trusted_roots_is_indeterminate(
    tmp_path: Path, ca: DevCertificateAuthority, keys: EncryptedFileKeyStore
) -> None:
    stranger = DevCertificateAuthority(tmp_path / "other-ca", keys)
    [signature] = verify_xml(signed(ca, keys), trust_roots=[stranger.root]).signatures
    assert (signature.indication, signature.sub_indication) == (Indication.INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND")
    assert (signature.intact, signature.trusted) == (True, False)


def test_another_agency_expected_fails_and_an_unsigned_envelope_has_no_signature(
    ca: DevCertificateAuthority, keys: EncryptedFileKeyStore
) -> None:
    other = verify_xml(signed(ca, keys), trust_roots=[ca.root], expected_agency_code="000.00.00.H41")
    assert other.reason.startswith("NOT_SIGNED_BY_EXPECTED_AGENCY")
    unsigned = verify_xml(ENVELOPE.replace(b' Id="placeholder"', b""), trust_roots=[ca.root])
    assert unsigned.indication is Indication.TOTAL_FAILED


@pytest.mark.parametrize(
    "xml",
    [
        b"",
        b"<not closed",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>',
        b'<!DOCTYPE x SYSTEM "http://example.invalid/x.dtd"><x/>',
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'.encode("utf-16"),
        b'<?xml version="1.0" encoding="ISO-8859-1"?><x>\xe9</x>',
    ],
)
def test_malformed_xml_dtds_and_entities_are_refused(ca: DevCertificateAuthority, xml: bytes) -> None:
    with pytest.raises(NotXml):
        verify_xml(xml, trust_roots=[ca.root])


class _Names:
    async def name_of(self, code: str) -> str:
        return NAME


async def test_the_service_signs_an_envelope_and_judges_it_by_the_registry_now(
    app: SigningApp, ca: DevCertificateAuthority, keys: EncryptedFileKeyStore
) -> None:
    servicer = SigningServicer(app, ca, keys, _Names(), timestamper=ca.timestamper)  # type: ignore[arg-type]
    signed = await servicer.SignXml(pb.SignXmlRequest(agency_code=AGENCY, xml=ENVELOPE), None)
    verdict = await servicer.VerifyXml(pb.VerifyXmlRequest(xml=signed.signed_xml, expected_agency_code=AGENCY), None)
    assert verdict.indication == pb.INDICATION_TOTAL_PASSED, verdict.reason
    assert [s.certificate.serial for s in verdict.signatures] == [signed.certificate.serial]

    await servicer.RevokeCertificate(
        pb.RevokeCertificateRequest(serial=signed.certificate.serial, reason="lộ khóa"), None
    )
    revoked = await servicer.VerifyXml(pb.VerifyXmlRequest(xml=signed.signed_xml), None)
    assert revoked.indication == pb.INDICATION_TOTAL_FAILED
    assert revoked.signatures[0].sub_indication == "REVOKED"


def test_an_envelope_carrying_a_twenty_megabyte_file_is_signed_and_verified(
    ca: DevCertificateAuthority, keys: EncryptedFileKeyStore
) -> None:
    # libxml2 refuses text nodes over 10 MB unless told otherwise; base64 files are single text nodes.
    large = ENVELOPE.replace(b"<edXMLBody/>", b"<edXMLBody><Content>" + b"QUJD" * 5_000_000 + b"</Content></edXMLBody>")
    issued = ca.issue_seal(AGENCY, NAME)
    signer = keys.signer(issued.serial, issued.certificate, ca.chain)
    xml, _ = sign_xml(large, signer=signer, certificate=issued.certificate, chain=ca.chain)
    assert verify_xml(xml, trust_roots=[ca.root]).indication is Indication.TOTAL_PASSED


def test_a_signature_over_one_element_does_not_vouch_for_the_rest(
    ca: DevCertificateAuthority, keys: EncryptedFileKeyStore
) -> None:
    from lxml import etree
    from signxml.algorithms import SignatureConstructionMethod
    from signxml.signer import XMLSigner

    issued = ca.issue_seal(AGENCY, NAME)
    placeholder = b'<Signature xmlns="http://www.w3.org/2000/09/xmldsig#" Id="placeholder"/>'
    partial = ENVELOPE.replace(b"<Code>", b'<Code Id="code">').replace(placeholder, b"")
    signer = XMLSigner(
        method=SignatureConstructionMethod.enveloped, signature_algorithm="ecdsa-sha256", digest_algorithm="sha256"
    )
    root = signer.sign(
        etree.fromstring(partial),
        key=keys.get(issued.serial),
        cert=[issued.certificate, *ca.chain],
        reference_uri="#code",
    )
    signed = etree.tostring(root, encoding="UTF-8")
    forged = signed.replace("quý IV".encode(), "quý III".encode())  # outside the signed element
    assert forged != signed
    [signature] = verify_xml(forged, trust_roots=[ca.root]).signatures
    assert (signature.indication, signature.sub_indication) == (Indication.TOTAL_FAILED, "FORMAT_FAILURE")
    assert "whole document" in signature.detail


def test_an_envelope_is_sealed_with_a_key_on_either_key_store(
    tmp_path: Path, keys: EncryptedFileKeyStore, holder_keys: KeyStore
) -> None:
    # The PKCS#11 token never gives its key out: signxml signs through the store's pyHanko signer.
    ca = DevCertificateAuthority(tmp_path / "ca-with-holder-keys", keys, holder_keys=holder_keys)
    issued = ca.issue_seal(AGENCY, NAME)
    signer = holder_keys.signer(issued.serial, issued.certificate, ca.chain)
    for xades in (False, True):
        xml, _ = sign_xml(ENVELOPE, signer=signer, certificate=issued.certificate, chain=ca.chain, xades=xades)
        report = verify_xml(xml, trust_roots=[ca.root], expected_agency_code=AGENCY)
        assert report.indication is Indication.TOTAL_PASSED, report.reason
