"""A development certificate authority: a root and an issuing CA that issue agency seal certificates.

For `make run` and tests only; production trusts the configured CA certificates of the Government's
specialised digital-signature service instead. The agency's identifier code is written into the
certificate subject as `organizationIdentifier` (OID 2.5.4.97), where `agency_code_of` reads it back.
EC P-256 keys: small, fast to generate, and accepted by pyHanko and PAdES verifiers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lienthong.signing.keystore import KeyStore

ROOT_YEARS = 20
ISSUING_YEARS = 10
SEAL_YEARS = 3


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate issued by the CA; its key went to the key store under its serial."""

    certificate: x509.Certificate

    @property
    def serial(self) -> str:
        return format(self.certificate.serial_number, "x")


def agency_code_of(certificate: x509.Certificate) -> str | None:
    """The agency identifier code a seal certificate is bound to, if any."""
    values = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)
    return str(values[0].value) if values else None


def serial_of(certificate: x509.Certificate) -> str:
    return format(certificate.serial_number, "x")


class DevCertificateAuthority:
    """Root and issuing CA kept as PEM files in `directory`; created on first use, loaded after that."""

    def __init__(self, directory: Path, keys: KeyStore) -> None:
        self._directory = directory
        self._keys = keys
        directory.mkdir(parents=True, exist_ok=True)
        if not (directory / "root.pem").exists():
            self._create()
        self.root = _load(directory / "root.pem")
        self.issuing = _load(directory / "issuing.pem")

    @property
    def chain(self) -> list[x509.Certificate]:
        """The issuing CA then the root: what a signature embeds beside the signer's certificate."""
        return [self.issuing, self.root]

    def issue_seal(self, agency_code: str, agency_name: str, now: dt.datetime | None = None) -> IssuedCertificate:
        """A new agency seal (organisation) certificate, its key stored in the key store."""
        now = now or dt.datetime.now(dt.UTC)
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, agency_name),
                x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, agency_code),
                x509.NameAttribute(NameOID.COMMON_NAME, agency_name),
            ]
        )
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.issuing.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=365 * SEAL_YEARS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(signing=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.issuing.public_key()),  # type: ignore[arg-type]
                critical=False,
            )
        )
        certificate = builder.sign(self._keys.get(serial_of(self.issuing)), hashes.SHA256())
        self._keys.put(serial_of(certificate), key)
        (self._directory / f"{serial_of(certificate)}.pem").write_bytes(
            certificate.public_bytes(serialization.Encoding.PEM)
        )
        return IssuedCertificate(certificate)

    def certificate(self, serial: str) -> x509.Certificate:
        """A certificate this CA issued, by serial."""
        return _load(self._directory / f"{serial}.pem")

    def _create(self) -> None:
        now = dt.datetime.now(dt.UTC)
        root_key = ec.generate_private_key(ec.SECP256R1())
        root_name = _ca_name("lienthong development root CA")
        root = _ca_builder(root_name, root_name, root_key.public_key(), root_key.public_key(), now, ROOT_YEARS, 1)
        root_certificate = root.sign(root_key, hashes.SHA256())
        issuing_key = ec.generate_private_key(ec.SECP256R1())
        issuing_name = _ca_name("lienthong development issuing CA")
        issuing = _ca_builder(
            issuing_name, root_name, issuing_key.public_key(), root_key.public_key(), now, ISSUING_YEARS, 0
        )
        issuing_certificate = issuing.sign(root_key, hashes.SHA256())
        self._keys.put(serial_of(root_certificate), root_key)
        self._keys.put(serial_of(issuing_certificate), issuing_key)
        (self._directory / "issuing.pem").write_bytes(issuing_certificate.public_bytes(serialization.Encoding.PEM))
        # Written last: its presence means the CA is complete.
        (self._directory / "root.pem").write_bytes(root_certificate.public_bytes(serialization.Encoding.PEM))


def _load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _ca_name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "lienthong (development only)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*, signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=signing,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signing,
        crl_sign=not signing,
        encipher_only=False,
        decipher_only=False,
    )


def _ca_builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    issuer_key: ec.EllipticCurvePublicKey,
    now: dt.datetime,
    years: int,
    path_length: int,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_key_usage(signing=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key), critical=False)
    )
