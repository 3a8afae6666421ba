"""The platform's TLS material in development: certificates of the dev CA for every service and caller.

Every gRPC server requires TLS with a client certificate, and the caller's identity is the principal its
certificate names (lienthong.grpcserver.principals). In development the signing service's dev CA
(devca.py, in `<data dir>/signing/ca`) issues them; production mounts certificates of a platform CA from
Kubernetes Secrets instead. `TlsDirectory` lays them out in one directory, `<data dir>/tls` for `make run`:

    ca.pem          the dev root CA certificate: what every server and client trusts
    <name>.pem      the certificate of <name>, then the issuing CA's (the chain a peer presents)
    <name>.key      its private key (EC P-256, unencrypted PKCS#8 PEM, readable by the owner only)

A service's certificate (`server(name)`) names `service:<name>` and the host names it is reached by, and
serves both as its server certificate and as its client certificate when it calls another service. A
caller's (`client(principal)`) is named by its principal, e.g. `clerk@000.00.12.H41.pem`. Certificates
are issued on first use and reused while they chain to the CA, cover the names asked for and are not
about to expire.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from lienthong.grpcserver.principals import check_principal, principal_of, principal_uri, service_principal
from lienthong.signing.adapters.outbound.files import write_replacing

if TYPE_CHECKING:  # the CA and its key store import pyHanko: loaded only when a certificate must be issued
    from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority

CA_FILE = "ca.pem"
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
# A certificate this close to its end is replaced rather than reused.
RENEW_BEFORE = dt.timedelta(days=30)


@dataclass(frozen=True)
class TlsFiles:
    """The three files a TLS server or client of the platform needs."""

    ca: Path  # the CA certificate(s) to trust
    cert: Path  # own certificate and its chain
    key: Path  # own private key

    def env(self) -> dict[str, str]:
        """The files as the environment variables services and the CLI read (grpcserver settings.py)."""
        return {
            "LIENTHONG_TLS_CA": str(self.ca),
            "LIENTHONG_TLS_CERT": str(self.cert),
            "LIENTHONG_TLS_KEY": str(self.key),
        }


class TlsIssuer(Protocol):
    """What a `TlsDirectory` needs of a CA: its two certificates, and a TLS certificate issued on demand."""

    @property
    def root(self) -> x509.Certificate: ...

    @property
    def issuing(self) -> x509.Certificate: ...

    def issue_tls(
        self,
        common_name: str,
        public_key: ec.EllipticCurvePublicKey,
        *,
        uris: Sequence[str] = (),
        hosts: Sequence[str] = (),
    ) -> x509.Certificate: ...


def platform_ca(data_dir: Path, passphrase: bytes | None = None) -> DevCertificateAuthority:
    """The dev CA the signing service uses with the same data directory (created if missing). Its keys
    are encrypted with `passphrase`, by default `LIENTHONG_SIGNING_KEY_PASSPHRASE` or the development one."""
    from lienthong.signing.adapters.inbound.config import DEVELOPMENT_PASSPHRASE
    from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority
    from lienthong.signing.adapters.outbound.keystore import EncryptedFileKeyStore

    if passphrase is None:
        passphrase = os.environ.get("LIENTHONG_SIGNING_KEY_PASSPHRASE", DEVELOPMENT_PASSPHRASE).encode()
    keys = EncryptedFileKeyStore(data_dir / "signing" / "keys", passphrase)
    return DevCertificateAuthority(data_dir / "signing" / "ca", keys)


class PlatformCaFiles:
    """The platform's dev CA as a client sees it: its certificates read from `<data_dir>/signing/ca`, and the
    CA itself (its key store, pyHanko) loaded only when a certificate must be issued. A CLI command whose
    certificate is already issued thus starts without them."""

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir
        directory = data_dir / "signing" / "ca"
        self.root = x509.load_pem_x509_certificate((directory / "root.pem").read_bytes())
        self.issuing = x509.load_pem_x509_certificate((directory / "issuing.pem").read_bytes())
        self._ca: DevCertificateAuthority | None = None

    def issue_tls(
        self,
        common_name: str,
        public_key: ec.EllipticCurvePublicKey,
        *,
        uris: Sequence[str] = (),
        hosts: Sequence[str] = (),
    ) -> x509.Certificate:
        if self._ca is None:
            self._ca = platform_ca(self._data_dir)
        return self._ca.issue_tls(common_name, public_key, uris=uris, hosts=hosts)


def kubernetes_names(service: str, release: str = "lienthong", namespace: str = "lienthong") -> list[str]:
    """The names the Helm chart's Service for `service` is reached by (release `lienthong` by default)."""
    name = f"{release}-{service}"
    return [name, f"{name}.{namespace}", f"{name}.{namespace}.svc", f"{name}.{namespace}.svc.cluster.local"]


class TlsDirectory:
    """Certificates of `ca` and their keys in `path`, issued on first use, reused after that."""

    def __init__(self, path: Path, ca: TlsIssuer) -> None:
        self.path = path
        self._ca = ca
        path.mkdir(parents=True, exist_ok=True)
        os.chmod(path, 0o700)
        root = ca.root.public_bytes(serialization.Encoding.PEM)
        if not self.ca_file.exists() or self.ca_file.read_bytes() != root:
            write_replacing(self.ca_file, root, 0o644)

    @classmethod
    def of_platform(cls, data_dir: Path) -> TlsDirectory:
        """`<data_dir>/tls`, with certificates of the platform's dev CA."""
        return cls(data_dir / "tls", platform_ca(data_dir))

    @property
    def ca_file(self) -> Path:
        return self.path / CA_FILE

    def files(self, name: str) -> TlsFiles:
        """Where the files of `name` are (whether or not they exist yet)."""
        if not name or "/" in name or name.startswith("."):
            raise ValueError(f"{name!r} cannot name a certificate file")
        return TlsFiles(self.ca_file, self.path / f"{name}.pem", self.path / f"{name}.key")

    def server(self, service: str, hosts: Sequence[str] = ()) -> TlsFiles:
        """The certificate of the platform service `service` (`service:<service>`): its server certificate
        for the local host, `service`, the chart's Kubernetes names and `hosts`; and its client certificate."""
        names = [*LOCAL_HOSTS, service, *kubernetes_names(service), *hosts]
        return self.ensure(service, service_principal(service), list(dict.fromkeys(names)))

    def client(self, principal: str) -> TlsFiles:
        """A client certificate naming `principal` (`clerk@000.00.12.H41`, `service:e2e`, ...)."""
        return self.ensure(check_principal(principal), principal)

    def ensure(self, name: str, principal: str, hosts: Sequence[str] = ()) -> TlsFiles:
        """The files of `name`: a certificate naming `principal` and `hosts`, issued unless a usable one is there."""
        files = self.files(name)
        if self._usable(files, principal, hosts):
            return files
        key = ec.generate_private_key(ec.SECP256R1())
        certificate = self._ca.issue_tls(principal, key.public_key(), uris=[principal_uri(principal)], hosts=hosts)
        chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (certificate, self._ca.issuing))
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        write_replacing(files.key, key_pem, 0o600)
        write_replacing(files.cert, chain, 0o644)
        return files

    def _usable(self, files: TlsFiles, principal: str, hosts: Sequence[str]) -> bool:
        if not files.cert.exists() or not files.key.exists():
            return False
        certificate = x509.load_pem_x509_certificates(files.cert.read_bytes())[0]
        try:
            certificate.verify_directly_issued_by(self._ca.issuing)
        except (ValueError, TypeError, InvalidSignature):
            return False  # issued by a CA this data directory no longer has
        if dt.datetime.now(dt.UTC) + RENEW_BEFORE > certificate.not_valid_after_utc:
            return False
        if principal_of(certificate) != principal:
            return False
        # Two processes issuing the same name at once can leave one's key beside the other's certificate.
        key = serialization.load_pem_private_key(files.key.read_bytes(), None)
        if key.public_key() != certificate.public_key():
            return False
        return set(_hosts_of(certificate)) >= {_normal_host(host) for host in hosts}


def _hosts_of(certificate: x509.Certificate) -> list[str]:
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [*names.get_values_for_type(x509.DNSName), *(str(ip) for ip in names.get_values_for_type(x509.IPAddress))]


def _normal_host(host: str) -> str:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host
