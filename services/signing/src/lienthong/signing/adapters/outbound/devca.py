"""A development certificate authority: a root, an issuing CA, agency seal certificates and their CRL.

For `make run` and tests only; production trusts the CA certificates of the Government's specialised
digital-signature service (Ban Cơ yếu Chính phủ) instead. Everything is PEM in one directory:

    root.pem, issuing.pem    the two CA certificates (their keys are in the key store, under their serials)
    root-crl.pem             the root's CRL (empty: the dev CA never revokes its issuing CA)
    tsa.pem                  the time-stamping unit's certificate (RFC 3161 TSA, see timestamper())
    <serial>.pem             every seal certificate issued, named by its serial in lowercase hex
    crl.pem                  the issuing CA's current certificate revocation list

The agency identifier code is written into the seal's subject as `organizationIdentifier` (OID 2.5.4.97,
the attribute ETSI EN 319 412-3 reserves for a legal person's registration identifier), where
`agency_code_of` reads it back. Keys are EC P-256: generated in milliseconds (RSA-2048 takes ~100 ms,
RSA-4096 seconds), small signatures, and accepted by PAdES verifiers and pyHanko.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from lienthong.errors import InvalidArgument, NotFound
from lienthong.signing.adapters.outbound.devtsa import LoadedKeyTimeStamper
from lienthong.signing.adapters.outbound.files import write_replacing
from lienthong.signing.adapters.outbound.keystore import (
    EncryptedFileKeyStore,
    KeyStore,
    PublicKey,
    asn1_certificate,
    private_key_info,
)

ROOT_YEARS = 20
ISSUING_YEARS = 10
SEAL_YEARS = 3
TLS_YEARS = 2
CRL_DAYS = 7
# Certificates start a little in the past so a verifier whose clock lags ours does not see "not yet valid".
CLOCK_SKEW = dt.timedelta(minutes=5)
# The dev CA's certificates declare no CRL distribution point: it publishes its CRLs nowhere a verifier
# could fetch them (callers hand `crls()` to the verifier, and a B-LT signature carries them in its DSS), and
# a declared point nobody can reach makes every offline validator that does not read the DSS (pyHanko's
# plain `sign validate`) fail "no revocation information could be found". Our verifier checks the CRLs it
# holds whether or not a certificate declares where to fetch them (pades.py). A CA that does publish its
# CRLs passes `crl_url`.
SIM_PKI_UNIT = "SIM PKI"
_AGENCY_CODE = re.compile(r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}")
ROOT_CRL = "root-crl.pem"
CHECKPOINTS = "checkpoints.pem"
# The platform's own certificate for signing checkpoints of the event logs: never an agency's seal.
CHECKPOINT_NAME = "lienthong audit checkpoints"  # lienthong.audit.checkpoints checks it
_CA_FILES = {"root.pem", "issuing.pem", "crl.pem", "tsa.pem", ROOT_CRL, CHECKPOINTS}


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate issued by the CA; its private key is in the key store under `serial`."""

    certificate: x509.Certificate

    @property
    def serial(self) -> str:
        return serial_of(self.certificate)

    @property
    def agency_code(self) -> str | None:
        return agency_code_of(self.certificate)


def agency_code_of(certificate: x509.Certificate) -> str | None:
    """The agency identifier code a certificate is bound to (an agency's seal, or an individual of the
    agency); None for any other certificate."""
    values = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)
    return str(values[0].value) if values else None


def person_of(certificate: x509.Certificate) -> str | None:
    """The person an individual's (or SIM PKI holder's) certificate is bound to: the subject's serialNumber
    (ETSI EN 319 412-1 §5.1.3, e.g. "CCCVN-001089012345"); None for an agency seal."""
    values = certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    return str(values[0].value) if values else None


def is_sim_pki(certificate: x509.Certificate) -> bool:
    units = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    return any(unit.value == SIM_PKI_UNIT for unit in units)


def serial_of(certificate: x509.Certificate) -> str:
    """A certificate's serial number as lowercase hex: the label of its key and the name of its file."""
    return format(certificate.serial_number, "x")


class DevCertificateAuthority:
    """Root and issuing CA kept as PEM files in `directory`: created on first use, loaded after that."""

    def __init__(
        self,
        directory: Path,
        keys: EncryptedFileKeyStore,
        *,
        holder_keys: KeyStore | None = None,
        crl_url: str | None = None,
        created_at: dt.datetime | None = None,
    ) -> None:
        """`keys` holds the CA's own keys (root, issuing, TSA); `holder_keys` the keys of the certificates it
        issues (a PKCS#11 token in production-like set-ups), by default the same store. `created_at` dates a
        new CA (tests back-date it to sign and timestamp in the past); an existing one is loaded as it is."""
        self._directory = directory
        self._keys = keys
        self._holder_keys: KeyStore = holder_keys if holder_keys is not None else keys
        self._crl_url = crl_url
        # The service calls in from worker threads; issuing and revoking read-modify-write files.
        self._lock = threading.Lock()
        directory.mkdir(parents=True, exist_ok=True)
        created_at = created_at or dt.datetime.now(dt.UTC)
        if not (directory / "root.pem").exists():
            self._create(created_at)
        self.root = _load(directory / "root.pem")
        self.issuing = _load(directory / "issuing.pem")
        if not (directory / "tsa.pem").exists():  # a CA directory made before the CA had a TSA
            self._create_tsa(created_at)
        self.tsa = _load(directory / "tsa.pem")

    def timestamper(self, at: dt.datetime | None = None) -> DummyTimeStamper:
        """The CA's RFC 3161 time-stamping unit (served over HTTP by tsa.py); `at` fixes its clock (tests)."""
        key = self._keys.get(serial_of(self.tsa))
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TypeError("the time-stamping unit's key is not an RSA key")
        return LoadedKeyTimeStamper(
            key=key,
            tsa_cert=asn1_certificate(self.tsa),
            tsa_key=private_key_info(key),
            certs_to_embed=[asn1_certificate(c) for c in self.chain],
            fixed_dt=at,
        )

    @property
    def chain(self) -> list[x509.Certificate]:
        """The issuing CA then the root: what a signature embeds beside the signer's certificate."""
        return [self.issuing, self.root]

    def issue_seal(self, agency_code: str, agency_name: str, now: dt.datetime | None = None) -> IssuedCertificate:
        """The agency's seal (organisation) certificate: its current one if usable, otherwise a new one.

        Idempotent: asking twice returns the same certificate, whatever the name (a renamed agency keeps its
        seal until it is revoked). A seal revoked here (`revoke`) or outside its validity period at `now` is
        replaced by a new certificate with a new key.
        """
        if not _AGENCY_CODE.fullmatch(agency_code):
            raise InvalidArgument(f"{agency_code!r} is not an agency identifier code (NNN.NN.NN.XNN)")
        if not agency_name.strip():
            raise InvalidArgument("the agency name of a seal certificate must not be empty")
        now = now or dt.datetime.now(dt.UTC)
        with self._lock:
            existing = self.seal_of(agency_code, now)
            if existing is not None:
                return existing
            return IssuedCertificate(self._issue(_seal_subject(agency_code, agency_name.strip()), now))

    def seal_of(self, agency_code: str, now: dt.datetime | None = None) -> IssuedCertificate | None:
        """The agency's newest seal certificate that is not revoked and is valid at `now`, if any."""
        now = now or dt.datetime.now(dt.UTC)
        revoked = self._revoked_serials()
        usable = [
            certificate
            for certificate in self._issued()
            if agency_code_of(certificate) == agency_code
            and person_of(certificate) is None
            and certificate.serial_number not in revoked
            and certificate.not_valid_before_utc <= now < certificate.not_valid_after_utc
        ]
        if not usable:
            return None
        return IssuedCertificate(max(usable, key=lambda c: c.not_valid_before_utc))

    def issue_personal(
        self,
        agency_code: str,
        agency_name: str,
        person_name: str,
        person_id: str,
        *,
        sim_pki: bool = False,
        now: dt.datetime | None = None,
    ) -> IssuedCertificate:
        """A new certificate for a person who signs for the agency (the leader), or for a SIM PKI holder:
        bound to the agency by its identifier code and to the person by `person_id`."""
        if not _AGENCY_CODE.fullmatch(agency_code):
            raise InvalidArgument(f"{agency_code!r} is not an agency identifier code (NNN.NN.NN.XNN)")
        if not person_name.strip() or not person_id.strip():
            raise InvalidArgument("a personal certificate needs the person's name and identifier")
        attributes = [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, agency_name.strip() or agency_code),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, agency_code),
            *([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, SIM_PKI_UNIT)] if sim_pki else []),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, person_id.strip()),
            x509.NameAttribute(NameOID.COMMON_NAME, person_name.strip()),
        ]
        with self._lock:
            return IssuedCertificate(self._issue(x509.Name(attributes), now or dt.datetime.now(dt.UTC)))

    def certificate(self, serial: str) -> x509.Certificate:
        """A certificate this CA issued, by serial (lowercase hex)."""
        if not serial.isalnum() or not serial.isascii():
            raise InvalidArgument(f"{serial!r} is not a certificate serial")
        path = self._directory / f"{serial.lower()}.pem"
        if f"{serial.lower()}.pem" in _CA_FILES or not path.exists():
            raise NotFound(f"the development CA issued no certificate with serial {serial}")
        return _load(path)

    def revoke(
        self, serial: str, *, at: dt.datetime | None = None, reason: x509.ReasonFlags | None = None
    ) -> x509.CertificateRevocationList:
        """Put a certificate on the CRL as revoked since `at` (default now) and publish the new CRL.

        Revoking a certificate already on the CRL changes nothing. `at` may be in the past: the moment the
        key was compromised, not the moment someone noticed.
        """
        certificate = self.certificate(serial)
        at = _next_whole_second(at or dt.datetime.now(dt.UTC))
        with self._lock:
            current = self._stored_crl()
            if current is not None and current.get_revoked_certificate_by_serial_number(certificate.serial_number):
                return current
            entry = x509.RevokedCertificateBuilder().serial_number(certificate.serial_number).revocation_date(at)
            if reason is not None:
                entry = entry.add_extension(x509.CRLReason(reason), critical=False)
            return self._publish([*(current or []), entry.build()], dt.datetime.now(dt.UTC))

    def crl(self, now: dt.datetime | None = None) -> x509.CertificateRevocationList:
        """The issuing CA's current CRL; re-signed (same entries) once its next update is due."""
        now = now or dt.datetime.now(dt.UTC)
        with self._lock:
            current = self._stored_crl()
            if current is not None and current.next_update_utc is not None and now < current.next_update_utc:
                return current
            return self._publish(list(current or []), now)

    def root_crl(self, now: dt.datetime | None = None) -> x509.CertificateRevocationList:
        """The root's CRL (it never revokes the issuing CA here): a strict verifier (pyHanko's AdES
        validation) wants revocation data for every certificate below the root, the issuing CA too."""
        now = now or dt.datetime.now(dt.UTC)
        with self._lock:
            current = self._stored_crl(ROOT_CRL)
            if current is not None and current.next_update_utc is not None and now < current.next_update_utc:
                return current
            return self._publish([], now, issuer=self.root, name=ROOT_CRL)

    def crls(self, now: dt.datetime | None = None) -> list[x509.CertificateRevocationList]:
        """Every CRL a verifier needs for a certificate of this CA: what a B-LT signature embeds."""
        return [self.crl(now), self.root_crl(now)]

    def crl_files_stamp(self) -> tuple[tuple[int, int], ...]:
        """Modification time and size of the CRL files: changes when a CRL is published (by any process)."""
        stamps = []
        for name in ("crl.pem", ROOT_CRL):
            try:
                found = (self._directory / name).stat()
            except FileNotFoundError:
                stamps.append((0, 0))
                continue
            stamps.append((found.st_mtime_ns, found.st_size))
        return tuple(stamps)

    def is_revoked(self, serial: str) -> bool:
        return self.certificate(serial).serial_number in self._revoked_serials()

    def sign_checkpoint(self, message: bytes, now: dt.datetime | None = None) -> tuple[bytes, x509.Certificate]:
        """Sign a checkpoint of an event log (ECDSA P-256, SHA-256) with the platform's checkpoint key, kept
        with the CA's own keys; its certificate is issued on first use. Returns the signature and certificate."""
        with self._lock:
            path = self._directory / CHECKPOINTS
            if not path.exists():
                self._issue(
                    _ca_name(CHECKPOINT_NAME), now or dt.datetime.now(dt.UTC), own_key=True, file_name=path.name
                )
            certificate = _load(path)
        key = self._keys.get(serial_of(certificate))
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TypeError("the checkpoint key is not an EC key")
        return key.sign(message, ec.ECDSA(hashes.SHA256())), certificate

    def issue_tls(
        self,
        common_name: str,
        public_key: PublicKey,
        *,
        uris: Sequence[str] = (),
        hosts: Sequence[str] = (),
        years: int = TLS_YEARS,
        now: dt.datetime | None = None,
    ) -> x509.Certificate:
        """A TLS certificate (server and client authentication) for a key held elsewhere: the platform's
        services and callers (platformtls.py). `hosts` become DNS or IP address names, `uris` URI names.

        It is not kept in the CA's register of seals and personal certificates, and carries no agency
        identifier code, so it can never be taken for an agency's seal.
        """
        now = now or dt.datetime.now(dt.UTC)
        names: list[x509.GeneralName] = [x509.UniformResourceIdentifier(uri) for uri in uris]
        names += [_host_name(host) for host in hosts]
        builder = (
            x509.CertificateBuilder()
            .subject_name(_ca_name(common_name))
            .issuer_name(self.issuing.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - CLOCK_SKEW)
            .not_valid_after(now + dt.timedelta(days=365 * years))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(signing=True, commitment=False), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(_authority_key_identifier(self.issuing), critical=False)
        )
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        with self._lock:
            return builder.sign(self._keys.get(serial_of(self.issuing)), hashes.SHA256())

    def _issue(
        self,
        subject: x509.Name,
        now: dt.datetime,
        *,
        years: int = SEAL_YEARS,
        tsa: bool = False,
        own_key: bool = False,
        file_name: str | None = None,
    ) -> x509.Certificate:
        """A certificate of the issuing CA; `own_key`: its key kept with the CA's keys, not the holders'.

        Its file is named by its serial, or `file_name` for a certificate of the CA's own (the TSA, the
        checkpoints): written there at once, since a file renamed after it appears would vanish under a
        reader listing the directory (`seal_of` in another thread), which is what a FileNotFoundError in
        SignPdf once was."""
        serial_number = x509.random_serial_number()
        label = format(serial_number, "x")
        public_key: PublicKey | rsa.RSAPublicKey = (
            self._keys.generate_rsa(label) if tsa else (self._keys if own_key else self._holder_keys).generate(label)
        )
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.issuing.subject)
            .public_key(public_key)
            .serial_number(serial_number)
            .not_valid_before(now - CLOCK_SKEW)
            .not_valid_after(now + dt.timedelta(days=365 * years))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(signing=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(_authority_key_identifier(self.issuing), critical=False)
        )
        if self._crl_url:
            builder = builder.add_extension(
                x509.CRLDistributionPoints(
                    [x509.DistributionPoint([x509.UniformResourceIdentifier(self._crl_url)], None, None, None)]
                ),
                critical=False,
            )
        if tsa:  # RFC 3161 §2.3: a TSA certificate has exactly this one, critical, extended key usage
            builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        certificate = builder.sign(self._keys.get(serial_of(self.issuing)), hashes.SHA256())
        write_replacing(self._directory / (file_name or f"{serial_of(certificate)}.pem"), _pem(certificate))
        return certificate

    def _issued(self) -> list[x509.Certificate]:
        # The certificate files are the register: a dev CA issues few, so reading them all is cheap and
        # leaves no index to drift out of step.
        return [_load(path) for path in sorted(self._directory.glob("*.pem")) if path.name not in _CA_FILES]

    def _stored_crl(self, name: str = "crl.pem") -> x509.CertificateRevocationList | None:
        path = self._directory / name
        return x509.load_pem_x509_crl(path.read_bytes()) if path.exists() else None

    def _revoked_serials(self) -> set[int]:
        return {entry.serial_number for entry in self._stored_crl() or []}

    def _publish(
        self,
        entries: list[x509.RevokedCertificate],
        now: dt.datetime,
        *,
        issuer: x509.Certificate | None = None,
        name: str = "crl.pem",
    ) -> x509.CertificateRevocationList:
        issuer = issuer or self.issuing
        current = self._stored_crl(name)
        number = 1  # `if current` would be wrong: an empty CRL has len() 0, so it is falsy
        if current is not None:
            number = current.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number + 1
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(issuer.subject)
            .last_update(now)
            .next_update(now + dt.timedelta(days=CRL_DAYS))
            .add_extension(x509.CRLNumber(number), critical=False)
            .add_extension(_authority_key_identifier(issuer), critical=False)
        )
        for entry in entries:
            builder = builder.add_revoked_certificate(entry)
        crl = builder.sign(self._keys.get(serial_of(issuer)), hashes.SHA256())
        write_replacing(self._directory / name, crl.public_bytes(serialization.Encoding.PEM))
        return crl

    def _create(self, now: dt.datetime) -> None:
        root_serial, issuing_serial = x509.random_serial_number(), x509.random_serial_number()
        root_key = self._keys.generate(format(root_serial, "x"))
        root_name = _ca_name("lienthong development root CA")
        root = _ca_builder(root_name, root_name, root_key, root_key, root_serial, now, ROOT_YEARS, path_length=1)
        root_certificate = root.sign(self._keys.get(format(root_serial, "x")), hashes.SHA256())
        issuing_key = self._keys.generate(format(issuing_serial, "x"))
        issuing_name = _ca_name("lienthong development issuing CA")
        issuing = _ca_builder(
            issuing_name, root_name, issuing_key, root_key, issuing_serial, now, ISSUING_YEARS, path_length=0
        )
        issuing_certificate = issuing.sign(self._keys.get(format(root_serial, "x")), hashes.SHA256())
        write_replacing(self._directory / "issuing.pem", _pem(issuing_certificate))
        # Written last: its presence means the CA is complete.
        write_replacing(self._directory / "root.pem", _pem(root_certificate))

    def _create_tsa(self, now: dt.datetime) -> None:
        subject = _ca_name("lienthong development time-stamping unit")
        self._issue(subject, now, years=ISSUING_YEARS, tsa=True, file_name="tsa.pem")


def _next_whole_second(moment: dt.datetime) -> dt.datetime:
    """A CRL states revocation times in whole seconds. Rounding down would date the revocation before
    signatures timestamped in the same second, which were made while the certificate was still good."""
    if moment.microsecond == 0:
        return moment
    return moment.replace(microsecond=0) + dt.timedelta(seconds=1)


def _seal_subject(agency_code: str, agency_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, agency_name),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, agency_code),
            x509.NameAttribute(NameOID.COMMON_NAME, agency_name),
        ]
    )


def _load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _ca_name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "lienthong (development only)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*, signing: bool, commitment: bool = True) -> x509.KeyUsage:
    # A seal signs documents (digitalSignature + nonRepudiation, which PAdES verifiers expect); a TLS key
    # signs handshakes only (digitalSignature, no commitment); a CA signs only certificates and CRLs.
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=signing and commitment,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signing,
        crl_sign=not signing,
        encipher_only=False,
        decipher_only=False,
    )


def _host_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _authority_key_identifier(issuer: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
        issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    )


def _ca_builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: PublicKey,
    issuer_key: PublicKey,
    serial_number: int,
    now: dt.datetime,
    years: int,
    *,
    path_length: int,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(serial_number)
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_key_usage(signing=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key), critical=False)
    )
