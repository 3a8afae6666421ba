"""Private keys at rest: PKCS#8, encrypted with a passphrase from configuration; they never leave this service.

`KeyStore` is the seam where a PKCS#11 token or HSM replaces the files.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey


class KeyStore(Protocol):
    """Where signing keys live, by certificate serial."""

    def put(self, serial: str, key: EllipticCurvePrivateKey) -> None: ...

    def get(self, serial: str) -> EllipticCurvePrivateKey: ...


class EncryptedFileKeyStore:
    """One encrypted PEM file per key, readable only by the service's user."""

    def __init__(self, directory: Path, passphrase: bytes) -> None:
        if not passphrase:
            raise ValueError("the key store passphrase must not be empty")
        self._directory = directory
        self._passphrase = passphrase
        directory.mkdir(parents=True, exist_ok=True)

    def put(self, serial: str, key: EllipticCurvePrivateKey) -> None:
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._passphrase),
        )
        path = self._path(serial)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(pem)

    def get(self, serial: str) -> EllipticCurvePrivateKey:
        key = serialization.load_pem_private_key(self._path(serial).read_bytes(), password=self._passphrase)
        if not isinstance(key, EllipticCurvePrivateKey):
            raise TypeError(f"key {serial} is not an EC key")
        return key

    def _path(self, serial: str) -> Path:
        if not serial.isalnum():
            raise ValueError(f"{serial!r} is not a certificate serial")
        return self._directory / f"{serial}.key.pem"
