"""Private signing keys at rest: PKCS#8 PEM files encrypted with a passphrase the caller supplies.

`KeyStore` is shaped like a hardware token so that a PKCS#11 store (HSM, USB token) can replace the files:
a key is generated *inside* the store under a label and only its public half comes out at issuance.
Signing still needs the private key object (`get`); with PKCS#11 that one call becomes a token-backed
signer, the rest of the service is unchanged. The service reads the passphrase from the environment
variable `LIENTHONG_SIGNING_KEY_PASSPHRASE` (see main.py); a key file is useless without it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

# EC P-256: fast to generate (tests issue many), short signatures, supported by PAdES verifiers.
SigningKey = ec.EllipticCurvePrivateKey
PublicKey = ec.EllipticCurvePublicKey


class KeyNotFound(LookupError):
    """No key is stored under this label."""


class KeyStore(Protocol):
    """Where signing keys live, each under a label (the serial of the certificate that certifies it)."""

    def generate(self, label: str) -> PublicKey:
        """Create a new key pair under `label`, keep the private key, return the public key."""
        ...

    def get(self, label: str) -> SigningKey:
        """The private key stored under `label`; `KeyNotFound` if there is none."""
        ...

    def __contains__(self, label: object) -> bool: ...


class EncryptedFileKeyStore:
    """One `<label>.key.pem` file per key in `directory`: encrypted PKCS#8, readable by the owner only."""

    def __init__(self, directory: Path, passphrase: bytes) -> None:
        if not passphrase:
            raise ValueError("the key store passphrase must not be empty")
        self._directory = directory
        self._passphrase = passphrase
        directory.mkdir(parents=True, exist_ok=True)

    def generate(self, label: str) -> PublicKey:
        key = ec.generate_private_key(ec.SECP256R1())
        self.put(label, key)
        return key.public_key()

    def put(self, label: str, key: SigningKey) -> None:
        """Import an existing key (file store only: a token generates its keys itself)."""
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._passphrase),
        )
        path = self._path(label)
        temporary = path.with_suffix(".tmp")
        # Created 0600 from the start (not chmod-ed after), then renamed: never a readable or half-written key.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(pem)
        os.replace(temporary, path)

    def get(self, label: str) -> SigningKey:
        path = self._path(label)
        if not path.exists():
            raise KeyNotFound(f"no key is stored under {label!r}")
        # A wrong passphrase raises ValueError from cryptography ("Bad decrypt. Incorrect password?").
        key = serialization.load_pem_private_key(path.read_bytes(), password=self._passphrase)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TypeError(f"key {label!r} is not an EC key")
        return key

    def __contains__(self, label: object) -> bool:
        return isinstance(label, str) and self._path(label).exists()

    def _path(self, label: str) -> Path:
        # Labels become file names: hex serials and the like only, never a path.
        if not label.isalnum() or not label.isascii():
            raise ValueError(f"{label!r} is not a key label")
        return self._directory / f"{label}.key.pem"
