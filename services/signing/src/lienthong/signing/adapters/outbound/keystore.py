"""Private signing keys at rest: PKCS#8 PEM files encrypted with a passphrase the caller supplies.

`KeyStore` is shaped like a hardware token so that a PKCS#11 store (HSM, USB token; pkcs11store.py) can
replace the files: a key is generated *inside* the store under a label, only its public half comes out at
issuance, and signing goes through a pyHanko `Signer` the store hands out, so the private key never leaves
it. The service reads the passphrase from the environment variable `LIENTHONG_SIGNING_KEY_PASSPHRASE`
(see main.py); a key file is useless without it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from lienthong.signing.adapters.outbound.files import write_replacing

# EC P-256: fast to generate (tests issue many), short signatures, supported by PAdES verifiers.
SigningKey = ec.EllipticCurvePrivateKey
PublicKey = ec.EllipticCurvePublicKey
# The dev CA's time-stamping unit signs with RSA: pyHanko's timestamp responder is RSA-only.
StoredKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
RSA_BITS = 2048


class KeyNotFound(LookupError):
    """No key is stored under this label."""


class KeyUnreadable(ValueError):
    """A key file exists but does not decrypt with the store's passphrase: the passphrase is wrong or the file is
    damaged. PKCS#8 cannot tell the two apart: a wrong passphrase fails the CBC padding check most of the time,
    but about one time in 256 the padding happens to pass and the garbage then fails ASN.1 parsing instead."""


class KeyStore(Protocol):
    """Where signing keys live, each under a label (the serial of the certificate that certifies it)."""

    def generate(self, label: str) -> PublicKey:
        """Create a new key pair under `label`, keep the private key, return the public key."""
        ...

    def signer(self, label: str, certificate: x509.Certificate, chain: Sequence[x509.Certificate]) -> signers.Signer:
        """A pyHanko signer using the key under `label` for `certificate`, embedding `chain`;
        `KeyNotFound` if there is no such key. The private key stays in the store."""
        ...

    def __contains__(self, label: object) -> bool: ...


class EncryptedFileKeyStore:
    """One `<label>.key.pem` file per key in `directory`: encrypted PKCS#8, readable by the owner only."""

    def __init__(self, directory: Path, passphrase: bytes) -> None:
        if not passphrase:
            raise ValueError("the key store passphrase must not be empty")
        self._directory = directory
        self._passphrase = passphrase
        # Decrypted keys by label: a key file never changes under its label except through put(), and
        # decrypting PKCS#8 (scrypt/PBKDF2) per request cost the service 7% of its time under load.
        self._decrypted: dict[str, StoredKey] = {}
        self._lock = threading.Lock()
        directory.mkdir(parents=True, exist_ok=True)

    def generate(self, label: str) -> PublicKey:
        key = ec.generate_private_key(ec.SECP256R1())
        self.put(label, key)
        return key.public_key()

    def generate_rsa(self, label: str) -> rsa.RSAPublicKey:
        """An RSA key pair, for the dev CA's time-stamping unit only."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
        self.put(label, key)
        return key.public_key()

    def signer(self, label: str, certificate: x509.Certificate, chain: Sequence[x509.Certificate]) -> signers.Signer:
        key = self.get(label)
        if key.public_key() != certificate.public_key():
            raise ValueError("the key does not belong to the certificate")
        return signers.SimpleSigner(
            signing_cert=asn1_certificate(certificate),
            signing_key=private_key_info(key),
            cert_registry=SimpleCertificateStore.from_certs([asn1_certificate(c) for c in chain]),  # type: ignore[no-untyped-call]
        )

    def put(self, label: str, key: StoredKey) -> None:
        """Import an existing key (file store only: a token generates its keys itself)."""
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._passphrase),
        )
        # 0600 from the start, then renamed: never a readable or half-written key.
        write_replacing(self._path(label), pem, 0o600)
        with self._lock:
            self._decrypted[label] = key

    def get(self, label: str) -> StoredKey:
        """The private key itself: for the dev CA's own keys, which sign certificates, CRLs and timestamps.
        Decrypted once per label, then kept in memory."""
        with self._lock:
            cached = self._decrypted.get(label)
        if cached is not None:
            return cached
        path = self._path(label)
        if not path.exists():
            raise KeyNotFound(f"no key is stored under {label!r}")
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=self._passphrase)
        except ValueError as error:
            raise KeyUnreadable(
                f"key {label!r} ({path}) does not decrypt: the passphrase is wrong or the key file is damaged"
            ) from error
        if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise TypeError(f"key {label!r} is neither an EC nor an RSA key")
        with self._lock:
            self._decrypted[label] = key
        return key

    def __contains__(self, label: object) -> bool:
        return isinstance(label, str) and self._path(label).exists()

    def _path(self, label: str) -> Path:
        # Labels become file names: hex serials and the like only, never a path.
        if not label.isalnum() or not label.isascii():
            raise ValueError(f"{label!r} is not a key label")
        return self._directory / f"{label}.key.pem"


def asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    """The same certificate as asn1crypto, which pyHanko takes."""
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def private_key_info(key: StoredKey) -> asn1_keys.PrivateKeyInfo:
    # pyHanko takes asn1crypto key objects; the unencrypted DER lives only in memory.
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return asn1_keys.PrivateKeyInfo.load(der)
