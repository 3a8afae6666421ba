"""XML signatures on edXML envelopes with signxml: an enveloped XMLDSig (XAdES-BES when asked) of the agency
seal, and a report per signature in the same shape as a PDF's (intact, signer, chain)."""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree
from pyhanko.sign import signers
from signxml.algorithms import CanonicalizationMethod, SignatureConstructionMethod
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature, SignXMLException
from signxml.signer import XMLSigner
from signxml.util import X509CertChainVerifier
from signxml.verifier import SignatureConfiguration, XMLVerifier
from signxml.xades.xades import XAdESSignatureConfiguration, XAdESSigner, XAdESVerifier

from lienthong.signing.adapters.outbound.devca import agency_code_of, serial_of
from lienthong.signing.domain.verification import (
    FORMAT_FAILURE,
    HASH_FAILURE,
    NO_CERTIFICATE_CHAIN_FOUND,
    SIG_CRYPTO_FAILURE,
    Indication,
    SignatureReport,
    SignerCertificate,
    VerificationReport,
    overall,
)

MAX_XML_BYTES = 64 * 1024 * 1024  # the gRPC message limit: nothing larger reaches the service anyway
DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
_SIGNATURE = f"{{{DS}}}Signature"
_SIGNING_TIME = f".//{{{XADES}}}SigningTime"
# A placeholder the document may carry where the signature goes (edXML: inside edXMLHeader), per signxml.
PLACEHOLDER_ID = "placeholder"
_DECLARED_ENCODING = re.compile(r"""\A\ufeff?<\?xml[^>]*?encoding\s*=\s*["']([^"']+)["']""")


class NotXml(ValueError):
    """The bytes given are not a well-formed XML document this module accepts (DTDs and entities refused)."""


def _parser() -> etree.XMLParser:
    # No DTD (refused before parsing, see parse_xml), no entity expansion, no network. huge_tree is on
    # because without it libxml2 refuses any text node over 10 MB, and a base64 attachment of 8 MB is one;
    # what huge_tree guards against is bounded here already: no DTD means no entity bomb, the byte limit
    # caps memory, and libxml2 still stops at 2048 levels of nesting.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=True, load_dtd=False, dtd_validation=False
    )


def parse_xml(xml: bytes) -> Any:
    """The root element of `xml`, or NotXml: oversized, malformed, or with a DTD (hence no entity bombs)."""
    if not xml:
        raise NotXml("the XML document is empty")
    if len(xml) > MAX_XML_BYTES:
        raise NotXml(f"the XML document has {len(xml)} bytes; the limit is {MAX_XML_BYTES}")
    if b"\x00" in xml or not _utf8(xml):
        raise NotXml("the XML document is not UTF-8 text (another encoding could hide a DTD)")
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise NotXml("the XML document declares a DTD or entities; they are refused")
    try:
        root = etree.fromstring(xml, parser=_parser())
    except etree.XMLSyntaxError as error:
        raise NotXml(f"the XML document is not well-formed: {error}") from error
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
        raise NotXml("the XML document declares a DTD; DTDs and entities are refused")
    return root


def _utf8(xml: bytes) -> bool:
    """Valid UTF-8 that declares no other encoding."""
    try:
        text = xml.decode("utf-8")
    except UnicodeDecodeError:
        return False
    declared = _DECLARED_ENCODING.match(text)
    return declared is None or declared[1].lower() in ("utf-8", "utf8")


class _AtTime(XAdESSigner):
    """signxml's XAdES signer with the SigningTime the caller records instead of the clock's."""

    def __init__(self, signing_time: datetime, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._signing_time = signing_time

    def add_signing_time(self, signed_signature_properties: Any, sig_root: Any, signing_settings: Any) -> None:
        super().add_signing_time(signed_signature_properties, sig_root, signing_settings)
        found = signed_signature_properties.find(f"{{{XADES}}}SigningTime")
        found.text = self._signing_time.isoformat(timespec="seconds")


class _StoreKey:
    """What signxml asks of a private key (sign, public_key, curve, key_size), with the signature made by the
    key store's pyHanko signer: the key stays in its file or on its PKCS#11 token, as for PAdES."""

    def __init__(self, signer: signers.Signer, certificate: x509.Certificate) -> None:
        public_key = certificate.public_key()
        if not isinstance(public_key, ec.EllipticCurvePublicKey):
            raise ValueError("agency seals are EC keys; this certificate holds another kind")
        self._signer = signer
        self._public_key = public_key
        self.curve = public_key.curve
        self.key_size = public_key.curve.key_size

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._public_key

    def sign(self, data: bytes, signature_algorithm: ec.ECDSA) -> bytes:
        algorithm = signature_algorithm.algorithm
        if not isinstance(algorithm, hashes.HashAlgorithm):
            raise ValueError("the data must not be prehashed")
        digest = algorithm.name.replace("-", "")  # "sha256", as pyHanko names it
        # DER-encoded (r, s), which signxml turns into XMLDSig's r || s. pyHanko signs asynchronously: the
        # service calls sign_xml in a worker thread (no event loop there); a caller inside a loop gets a thread.
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self._signer.async_sign_raw(data, digest))
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, self._signer.async_sign_raw(data, digest)).result()


def sign_xml(
    xml: bytes,
    *,
    signer: signers.Signer,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate],
    xades: bool = False,
    signing_time: datetime | None = None,
) -> tuple[bytes, datetime]:
    """`xml` with an enveloped signature (Reference URI="" over the whole document, ECDSA-SHA256), placed
    where the document has a `<ds:Signature Id="placeholder"/>`, else appended to the root. The signer's
    certificate and `chain` go into KeyInfo. With `xades`, a XAdES-BES signature carrying `signing_time`."""
    signed_at = (signing_time or datetime.now(UTC)).replace(microsecond=0)
    root = parse_xml(xml)
    options: dict[str, Any] = {
        "method": SignatureConstructionMethod.enveloped,
        "signature_algorithm": "ecdsa-sha256",
        "digest_algorithm": "sha256",
    }
    xml_signer = _AtTime(signed_at, **options) if xades else XMLSigner(**options)
    xml_signer._parser = _parser()  # signxml re-parses with its own parser, which has huge_tree off
    # signxml signs into the placeholder where it sits, so SignedInfo is canonicalised in the namespace context
    # it ends up in (the axis' layout declares edXML: on the envelope, below the root). Its XAdES digest of
    # KeyInfo is wrong when the placeholder redeclares the default namespace (<Signature xmlns="…dsig#">): it
    # signs into a fresh ds:Signature instead.
    placeholder = root.find(f".//{_SIGNATURE}[@Id='{PLACEHOLDER_ID}']")
    if placeholder is not None:
        fresh = etree.Element(_SIGNATURE, {"Id": PLACEHOLDER_ID}, nsmap={"ds": DS})
        fresh.tail = placeholder.tail
        placeholder.getparent().replace(placeholder, fresh)
    try:
        # signxml only calls the methods _StoreKey has; its annotation names concrete key classes.
        key: Any = _StoreKey(signer, certificate)
        signed = xml_signer.sign(root, key=key, cert=[certificate, *chain])
    except SignXMLException as error:
        raise NotXml(f"the XML document cannot be signed: {error}") from error
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8"), signed_at


class _TrustedRoots(X509CertChainVerifier):
    """signxml's chain verifier with the roots given in memory instead of a PEM file."""

    def __init__(self, roots: Sequence[x509.Certificate], at: datetime) -> None:
        super().__init__(ca_pem_file="-", verification_time=at)  # type: ignore[no-untyped-call]
        self._roots = list(roots)

    @property
    def store(self) -> x509.verification.Store:
        return x509.verification.Store(self._roots)

    def path(self, leaf: x509.Certificate, others: list[x509.Certificate]) -> list[x509.Certificate]:
        """The chain from `leaf` up to a trusted root (signer first), with the signxml policies (key usage)."""
        try:
            return list(self.verifier.verify(leaf=leaf, intermediates=others).chain)
        except x509.verification.VerificationError as error:
            raise InvalidCertificate(error) from error


def verify_xml(
    xml: bytes, *, trust_roots: Sequence[x509.Certificate], expected_agency_code: str | None = None
) -> VerificationReport:
    """A report on every `ds:Signature` of `xml`: intact (digests and signature value, checked against the
    certificate in KeyInfo), trusted (that certificate chains to `trust_roots`, valid at the claimed XAdES
    signing time or now), and who signed. Each signature is checked over the document without the other
    signatures (parallel signatures); a document without any gets NO_SIGNATURE. Raises NotXml."""
    root = parse_xml(xml)
    signatures = list(root.iter(_SIGNATURE))
    reports = []
    for index, signature in enumerate(signatures, start=1):
        name = signature.get("Id") or f"Signature{index}"
        alone = _without_others(root, index - 1)
        reports.append(_verify_one(alone, name, trust_roots))
    return overall(tuple(reports), expected_agency_code)


def _without_others(root: Any, keep: int) -> bytes:
    copy = etree.fromstring(etree.tostring(root), parser=_parser())
    for index, signature in enumerate(list(copy.iter(_SIGNATURE))):
        if index != keep:
            _detach(signature)
    return bytes(etree.tostring(copy))


def _detach(element: Any) -> None:
    parent = element.getparent()
    if element.tail:  # keep the text that followed the element
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _verify_one(document: bytes, name: str, roots: Sequence[x509.Certificate]) -> SignatureReport:
    signature = parse_xml(document).find(f".//{_SIGNATURE}")
    signed_at = _signing_time(signature)
    try:
        certificates = [
            x509.load_der_x509_certificate(_base64(element.text or ""))
            for element in signature.iterfind(f".//{{{DS}}}X509Certificate")
        ]
    except ValueError as error:
        return _failed(name, FORMAT_FAILURE, f"a certificate in KeyInfo cannot be read: {error}", signed_at=signed_at)
    if not certificates:
        return _failed(name, FORMAT_FAILURE, "the signature carries no X.509 certificate", signed_at=signed_at)
    xades = signature.find(f".//{{{XADES}}}QualifyingProperties") is not None
    at = signed_at or datetime.now(UTC)
    leaf = _leaf(certificates)
    try:
        if xades:
            XAdESVerifier().verify(
                document,
                x509_cert=leaf,
                expect_config=XAdESSignatureConfiguration(verification_time=at),
                parser=_parser(),
            )
        else:
            XMLVerifier().verify(
                document, x509_cert=leaf, expect_config=SignatureConfiguration(verification_time=at), parser=_parser()
            )
    except InvalidDigest as error:
        return _failed(name, HASH_FAILURE, f"the signed XML was changed after signing ({error})", leaf, signed_at)
    except InvalidCertificate as error:
        return _failed(name, "OUT_OF_BOUNDS_NO_POE", f"the certificate was not valid then: {error}", leaf, signed_at)
    except InvalidSignature as error:
        why = f"the signature value does not match the signer's key ({error})"
        return _failed(name, SIG_CRYPTO_FAILURE, why, leaf, signed_at)
    except (InvalidInput, SignXMLException, ValueError) as error:
        return _failed(name, FORMAT_FAILURE, f"the signature cannot be validated: {error}", leaf, signed_at)
    if not _signs_whole_document(signature):
        # "See what is signed": a valid signature over one element would vouch for none of the others.
        why = 'it does not sign the whole document (a Reference URI="" with the enveloped-signature transform)'
        return _failed(name, FORMAT_FAILURE, why, leaf, signed_at)
    try:
        path = _TrustedRoots(roots, at).path(leaf, [c for c in certificates if c is not leaf])
    except InvalidCertificate as error:
        return SignatureReport(
            field_name=name,
            indication=Indication.INDETERMINATE,
            sub_indication=NO_CERTIFICATE_CHAIN_FOUND,
            intact=True,
            trusted=False,
            certificate=_signer(leaf),
            signed_at=signed_at,
            detail=f"the signer's certificate does not chain to a trusted root: {error}",
        )
    return SignatureReport(
        field_name=name,
        indication=Indication.TOTAL_PASSED,
        sub_indication="",
        intact=True,
        trusted=True,
        certificate=_signer(leaf),
        signed_at=signed_at,
        detail="intact, and signed with a trusted certificate",
        chain=tuple(c.subject.rfc4514_string() for c in path),
    )


_WHOLE_DOCUMENT_TRANSFORMS = {SignatureConstructionMethod.enveloped.value} | {m.value for m in CanonicalizationMethod}


def _signs_whole_document(signature: Any) -> bool:
    """Whether a reference covers the document the signature sits in: URI="", enveloped-signature, and no
    transform that could select a part (only canonicalisation besides)."""
    for reference in signature.iterfind(f"{{{DS}}}SignedInfo/{{{DS}}}Reference"):
        if reference.get("URI") == "":
            algorithms = {t.get("Algorithm") for t in reference.iterfind(f"{{{DS}}}Transforms/{{{DS}}}Transform")}
            return (
                SignatureConstructionMethod.enveloped.value in algorithms and algorithms <= _WHOLE_DOCUMENT_TRANSFORMS
            )
    return False


def _leaf(certificates: list[x509.Certificate]) -> x509.Certificate:
    """The end-entity certificate: the one that certifies no other in the list."""
    issuers = {c.issuer for c in certificates}
    for certificate in certificates:
        if certificate.subject not in issuers:
            return certificate
    return certificates[0]


def _base64(text: str) -> bytes:
    return base64.b64decode("".join(text.split()))


def _signing_time(signature: Any) -> datetime | None:
    found = signature.find(_SIGNING_TIME)
    if found is None or not found.text:
        return None
    try:
        moment = datetime.fromisoformat(found.text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)


def _signer(certificate: x509.Certificate) -> SignerCertificate:
    return SignerCertificate(
        serial=serial_of(certificate),
        subject=certificate.subject.rfc4514_string(),
        agency_code=agency_code_of(certificate),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        pem=certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
    )


def _failed(
    name: str,
    sub_indication: str,
    why: str,
    certificate: x509.Certificate | None = None,
    signed_at: datetime | None = None,
) -> SignatureReport:
    return SignatureReport(
        field_name=name,
        indication=Indication.TOTAL_FAILED,
        sub_indication=sub_indication,
        intact=sub_indication not in (HASH_FAILURE, SIG_CRYPTO_FAILURE, FORMAT_FAILURE),
        trusted=False,
        certificate=_signer(certificate) if certificate is not None else None,
        signed_at=signed_at,
        detail=why,
    )
