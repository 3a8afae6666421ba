"""Signing keys on a PKCS#11 token (an HSM, a USB token, SoftHSM2 in tests): generated on the token, never
extractable, used through pyHanko's PKCS11Signer.

Selected by configuration (main.py): `LIENTHONG_SIGNING_PKCS11_MODULE` (the module's .so),
`LIENTHONG_SIGNING_PKCS11_TOKEN` (token label) and `LIENTHONG_SIGNING_PKCS11_PIN` (user PIN).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pkcs11
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pkcs11 import Attribute, KeyType, ObjectClass
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters
from pyhanko.sign import signers
from pyhanko.sign.pkcs11 import PKCS11Signer

from lienthong.signing.adapters.outbound.keystore import KeyNotFound, PublicKey, asn1_certificate

# secp256r1 (P-256), the curve of the file store's keys.
_P256 = "1.2.840.10045.3.1.7"


class Pkcs11KeyStore:
    """Keys on one token, each private key labelled with the certificate serial it belongs to."""

    def __init__(self, module: str, token_label: str, pin: str) -> None:
        self._lib = pkcs11.lib(module)
        if not self._lib.initialized:  # finalized by an earlier store's close(): start the module again
            self._lib.initialize()
        self._token = self._lib.get_token(token_label=token_label)
        # One logged-in session for the store's life: tokens limit sessions, and logging in per call is slow.
        # PKCS#11 sessions are not safe across threads, hence the lock around every use.
        self._session = self._token.open(user_pin=pin, rw=True)
        self._lock = threading.Lock()

    def generate(self, label: str) -> PublicKey:
        _check(label)
        with self._lock:
            parameters = self._session.create_domain_parameters(
                KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters(_P256)}, local=True
            )
            public, _ = parameters.generate_keypair(
                store=True,
                label=label,
                id=label.encode(),
                private_template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False},
            )
            der = encode_ec_public_key(public)
        key = serialization.load_der_public_key(der)
        assert isinstance(key, ec.EllipticCurvePublicKey)
        return key

    def signer(self, label: str, certificate: x509.Certificate, chain: Sequence[x509.Certificate]) -> signers.Signer:
        if label not in self:
            raise KeyNotFound(f"no key is stored under {label!r}")
        return _LockedSigner(
            self._lock,
            pkcs11_session=self._session,
            key_label=label,
            signing_cert=asn1_certificate(certificate),
            ca_chain=[asn1_certificate(c) for c in chain],
            # Hash here, sign the digest on the token (CKM_ECDSA): SoftHSM2 2.6 and many HSMs lack CKM_ECDSA_SHA256.
            use_raw_mechanism=True,
        )

    def __contains__(self, label: object) -> bool:
        if not isinstance(label, str):
            return False
        _check(label)
        with self._lock:
            found = list(self._session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: label}))
        return bool(found)

    def close(self) -> None:
        """Log out and finalize the module (the next store re-reads its configuration, e.g. SOFTHSM2_CONF)."""
        with self._lock:
            self._session.close()
            self._lib.finalize()


class _LockedSigner(PKCS11Signer):
    """PKCS11Signer that holds the store's lock while it talks to the shared session."""

    def __init__(self, lock: threading.Lock, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._store_lock = lock

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        with self._store_lock:
            return await super().async_sign_raw(data, digest_algorithm, dry_run)


def _check(label: str) -> None:
    if not label.isalnum() or not label.isascii():
        raise ValueError(f"{label!r} is not a key label")
