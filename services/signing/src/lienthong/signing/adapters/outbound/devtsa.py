"""The development CA's time-stamping unit: pyHanko's DummyTimeStamper with its RSA key kept loaded.

pyHanko's DummyTimeStamper turns its asn1crypto key back into a cryptography key for every timestamp
(`load_der_private_key`), and cryptography checks an RSA key on every load: about 50 times the cost of the
signature itself (260 ms against 5 ms measured here on a loaded machine). In the platform every seal at B-T or
B-LT asks the dev TSA, which answers in the signing server's process: in the profile of the 64-sender exchange
that load was the largest share of the server's own work (`DummyTimeStamper._sign_tst_info`, 24 %), and it
holds the process's GIL. Here the signed attributes are built as pyHanko builds them, and signed with the key
loaded once (a cryptography key is safe to share between threads).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from asn1crypto import cms, core, keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko.sign import general
from pyhanko.sign.general import simple_cms_attribute
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.util import get_pyca_cryptography_hash


class LoadedKeyTimeStamper(DummyTimeStamper):
    """A DummyTimeStamper that signs with `key`, the same key as `tsa_key` already loaded."""

    def __init__(
        self, *, tsa_cert: asn1_x509.Certificate, tsa_key: keys.PrivateKeyInfo, key: RSAPrivateKey, **options: Any
    ) -> None:
        super().__init__(tsa_cert=tsa_cert, tsa_key=tsa_key, **options)
        self._key = key

    def _sign_tst_info(self, tst_info_data: bytes, md_algorithm: str, dt: datetime) -> tuple[bytes, cms.CMSAttributes]:
        digest = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
        digest.update(tst_info_data)
        signed_attrs = cms.CMSAttributes(
            [
                _attribute("content_type", "tst_info"),
                _attribute("signing_time", cms.Time({"utc_time": core.UTCTime(dt)})),
                _attribute("signing_certificate", general.as_signing_certificate(self.tsa_cert)),
                _attribute("message_digest", digest.finalize()),
            ]
        )
        signature = self._key.sign(signed_attrs.dump(), PKCS1v15(), get_pyca_cryptography_hash(md_algorithm.upper()))
        return signature, signed_attrs


def _attribute(kind: str, value: Any) -> cms.CMSAttribute:
    attribute: cms.CMSAttribute = simple_cms_attribute(kind, value)  # type: ignore[no-untyped-call]
    return attribute
