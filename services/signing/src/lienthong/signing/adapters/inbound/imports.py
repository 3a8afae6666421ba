"""Reading certificates and CRLs a real CA delivered: PEM or DER certificates, PKCS#12 bundles with their
key (password protected), and CRLs, checked against the CA certificate that signed them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from lienthong.errors import InvalidArgument
from lienthong.signing.adapters.outbound.keystore import StoredKey


@dataclass(frozen=True)
class DeliveredCertificate:
    """A certificate as delivered, with its private key when it came in a PKCS#12 bundle."""

    certificate: x509.Certificate
    key: StoredKey | None = None


@dataclass(frozen=True)
class Revocation:
    """One entry of a CRL: which certificate, since when, why."""

    serial: str
    at: datetime
    reason: str


def read_certificate(data: bytes, password: bytes | None = None) -> DeliveredCertificate:
    """A certificate from PEM, DER or PKCS#12 bytes (PKCS#12 needs `password` when it has one)."""
    if not data:
        raise InvalidArgument("the certificate file is empty")
    if data.lstrip().startswith(b"-----BEGIN"):
        try:
            return DeliveredCertificate(x509.load_pem_x509_certificate(data))
        except ValueError as error:
            raise InvalidArgument(f"the PEM file holds no readable certificate: {error}") from error
    try:
        return DeliveredCertificate(x509.load_der_x509_certificate(data))
    except ValueError:
        pass  # not a DER certificate: maybe a PKCS#12 bundle
    try:
        key, certificate, _ = pkcs12.load_key_and_certificates(data, password or None)
    except ValueError as error:
        raise InvalidArgument(
            "the file is neither a PEM or DER certificate nor a PKCS#12 bundle this password opens"
        ) from error
    if certificate is None:
        raise InvalidArgument("the PKCS#12 bundle holds no certificate")
    if key is not None and not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise InvalidArgument("the PKCS#12 key is neither an EC nor an RSA key")
    if key is not None and key.public_key() != certificate.public_key():
        raise InvalidArgument("the PKCS#12 key does not belong to its certificate")
    return DeliveredCertificate(certificate, key)


def read_crl(data: bytes, issuers: Sequence[x509.Certificate]) -> tuple[x509.Name, list[Revocation]]:
    """The issuer and entries of a CRL (PEM or DER) signed by one of `issuers`; a CRL nobody trusted signed
    is refused."""
    try:
        crl = x509.load_pem_x509_crl(data) if data.lstrip().startswith(b"-----BEGIN") else x509.load_der_x509_crl(data)
    except ValueError as error:
        raise InvalidArgument(f"the file is not a CRL: {error}") from error
    # Matched by key, not only by name: two CAs may share a name (every development CA does).
    if not any(_signed(crl, issuer) for issuer in issuers if issuer.subject == crl.issuer):
        raise InvalidArgument(f"the CRL of {crl.issuer.rfc4514_string()} is not signed by a trusted CA")
    revocations = []
    for entry in crl:
        try:
            reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason.value
        except x509.ExtensionNotFound:
            reason = "unspecified"
        revocations.append(Revocation(format(entry.serial_number, "x"), entry.revocation_date_utc, reason))
    return crl.issuer, revocations


def _signed(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    public_key = issuer.public_key()
    return isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey) and crl.is_signature_valid(public_key)


def issued_by(certificate: x509.Certificate, issuers: Sequence[x509.Certificate]) -> bool:
    """Whether one of `issuers` signed `certificate` (the import refuses certificates of unknown CAs)."""
    for issuer in issuers:
        try:
            certificate.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return True
    return False
