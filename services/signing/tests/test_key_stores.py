"""The same signing runs with keys in encrypted files and with keys on a PKCS#11 token (SoftHSM2), each test
with a token of its own. SoftHSM2 missing is a failure with instructions, never a skip: `make setup`
installs it (Debian package softhsm2)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import pkcs11
import pytest
from pkcs11 import Attribute, ObjectClass

from lienthong.signing.adapters.outbound.devca import DevCertificateAuthority
from lienthong.signing.adapters.outbound.keystore import EncryptedFileKeyStore, KeyNotFound, KeyStore
from lienthong.signing.adapters.outbound.pades import TrustData, verify_pdf
from lienthong.signing.adapters.outbound.pkcs11store import Pkcs11KeyStore
from lienthong.signing.domain.verification import Indication


class SoftHsm(Protocol):  # conftest.SoftHsm, which a test module cannot import
    module: str
    label: str
    pin: str


AGENCY = "000.00.12.H41"
NAME = "Sở Thông tin và Truyền thông"


def test_a_b_lt_seal_signature_is_made_and_verified_with_either_key_store(
    tmp_path: Path, keys: EncryptedFileKeyStore, holder_keys: KeyStore, sign: Callable[..., bytes]
) -> None:
    ca = DevCertificateAuthority(tmp_path / "ca", keys, holder_keys=holder_keys)
    issued = ca.issue_seal(AGENCY, NAME)
    assert issued.serial in holder_keys
    signed = sign(ca, holder_keys, issued)
    report = verify_pdf(signed, trust=TrustData([ca.root]), expected_agency_code=AGENCY, strict=True)
    assert report.indication is Indication.TOTAL_PASSED, report.reason


def test_a_key_on_the_token_is_generated_there_and_cannot_be_extracted(
    tmp_path: Path, keys: EncryptedFileKeyStore, softhsm: SoftHsm, token: Pkcs11KeyStore
) -> None:
    ca = DevCertificateAuthority(tmp_path / "ca", keys, holder_keys=token)
    issued = ca.issue_seal(AGENCY, NAME)
    assert issued.serial not in keys  # nothing of the seal's key in the files
    # PKCS#11 logins are per process: this session shares the store's, so it sees the private objects.
    session = pkcs11.lib(softhsm.module).get_token(token_label=softhsm.label).open()
    try:
        [key] = session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: issued.serial})
        assert (key[Attribute.SENSITIVE], key[Attribute.EXTRACTABLE]) == (True, False)
    finally:
        session.close()


def test_a_label_without_a_key_on_the_token_is_reported(
    tmp_path: Path, keys: EncryptedFileKeyStore, token: Pkcs11KeyStore
) -> None:
    ca = DevCertificateAuthority(tmp_path / "ca", keys)
    issued = ca.issue_seal(AGENCY, NAME)  # its key is in the files, not on the token
    with pytest.raises(KeyNotFound):
        token.signer(issued.serial, issued.certificate, ca.chain)
