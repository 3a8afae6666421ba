"""The same signing runs with keys in encrypted files and with keys on a PKCS#11 token (SoftHSM2), each test
with a token of its own. SoftHSM2 missing is a failure with instructions, never a skip: `make setup`
installs it (Debian package softhsm2)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pkcs11
import pytest
from pkcs11 import Attribute, ObjectClass

from lienthong.signing.devca import DevCertificateAuthority
from lienthong.signing.domain.verification import Indication
from lienthong.signing.keystore import EncryptedFileKeyStore, KeyNotFound, KeyStore
from lienthong.signing.pades import TrustData, verify_pdf
from lienthong.signing.pkcs11store import Pkcs11KeyStore

AGENCY = "000.00.12.H41"
NAME = "Sở Thông tin và Truyền thông"
TOKEN = "lienthong-test"
PIN = "246810"
# Where Debian, Fedora and Homebrew put the module.
SOFTHSM_MODULES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",
)


def softhsm_module() -> str:
    found = [module for module in SOFTHSM_MODULES if Path(module).exists()]
    if not found or not shutil.which("softhsm2-util"):
        pytest.fail(
            "SoftHSM2 is not installed: run `make setup` (it installs the Debian package softhsm2 with "
            "apt-get), or install softhsm2 with your package manager"
        )
    return found[0]


@pytest.fixture
def token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pkcs11KeyStore]:
    """A fresh SoftHSM2 token in this test's directory, opened as a key store."""
    module = softhsm_module()
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", TOKEN, "--so-pin", "13579", "--pin", PIN],
        check=True,
        capture_output=True,
    )
    store = Pkcs11KeyStore(module, TOKEN, PIN)
    yield store
    store.close()


@pytest.fixture(params=["file", "softhsm2"])
def holder_keys(request: pytest.FixtureRequest, keys: EncryptedFileKeyStore) -> KeyStore:
    if request.param == "file":
        return keys
    store: Pkcs11KeyStore = request.getfixturevalue("token")
    return store


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
    tmp_path: Path, keys: EncryptedFileKeyStore, token: Pkcs11KeyStore
) -> None:
    ca = DevCertificateAuthority(tmp_path / "ca", keys, holder_keys=token)
    issued = ca.issue_seal(AGENCY, NAME)
    assert issued.serial not in keys  # nothing of the seal's key in the files
    # PKCS#11 logins are per process: this session shares the store's, so it sees the private objects.
    session = pkcs11.lib(softhsm_module()).get_token(token_label=TOKEN).open()
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
