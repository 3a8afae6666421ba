"""Agencies' encryption keys for confidential documents, held like their seals: generated here, private
halves encrypted at rest in the key store, never handed out.

A document's data key is wrapped for an agency with RSA-OAEP (SHA-256, MGF1-SHA-256, no label) under the
agency's RSA-3072 key: the key transport of CMS (RFC 5652 KeyTransRecipientInfo, RFC 8017), which every
HSM offers as CKM_RSA_PKCS_OAEP. The keys stay in the passphrase-encrypted file store even when seals live
on a PKCS#11 token: SoftHSM2 (the test token) offers OAEP with SHA-1 only.
"""

from __future__ import annotations

import hashlib
import threading

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from lienthong.errors import InvalidArgument, NotFound
from lienthong.signing.adapters.outbound.keystore import EncryptedFileKeyStore, KeyNotFound
from lienthong.signing.domain.custody import check_agency_code

RSA_BITS = 3072
OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
DATA_KEY_BYTES = 32


def _label(agency_code: str) -> str:
    return "enc" + check_agency_code(agency_code).replace(".", "")


def key_id(public_key: rsa.RSAPublicKey) -> str:
    """SHA-256 (hex) of the DER SubjectPublicKeyInfo."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


class EncryptionKeys:
    """One RSA key pair per agency, created at the first request for its public key."""

    def __init__(self, store: EncryptedFileKeyStore) -> None:
        self._store = store
        # Creating a key twice would strand every data key wrapped for the first one: one creator at a time.
        self._creating = threading.Lock()

    def public_key(self, agency_code: str) -> rsa.RSAPublicKey:
        label = _label(agency_code)
        with self._creating:
            if label not in self._store:
                key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
                self._store.put(label, key)
                return key.public_key()
        return self._private(agency_code).public_key()

    def unwrap(self, agency_code: str, wrapped_key: bytes) -> bytes:
        """The data key; INVALID_ARGUMENT when it was not wrapped for this agency's key (or was altered)."""
        key = self._private(agency_code)
        try:
            data_key = key.decrypt(wrapped_key, OAEP)
        except ValueError:
            raise InvalidArgument(f"the wrapped key was not wrapped for agency {agency_code}'s key") from None
        if len(data_key) != DATA_KEY_BYTES:
            raise InvalidArgument(f"the wrapped key holds {len(data_key)} bytes, not a 256-bit data key")
        return data_key

    def _private(self, agency_code: str) -> rsa.RSAPrivateKey:
        try:
            key = self._store.get(_label(agency_code))
        except KeyNotFound:
            raise NotFound(f"agency {agency_code} has no encryption key: nothing was ever wrapped for it") from None
        if not isinstance(key, rsa.RSAPrivateKey):  # pragma: no cover - only this module writes these labels
            raise TypeError(f"the encryption key of {agency_code} is not an RSA key")
        return key
