"""Keys at rest: encrypted PKCS#8, private to the owner, useless without the passphrase."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from lienthong.signing.adapters.outbound.keystore import EncryptedFileKeyStore, KeyNotFound, KeyStore, KeyUnreadable


@pytest.fixture
def keys(tmp_path: Path) -> EncryptedFileKeyStore:
    return EncryptedFileKeyStore(tmp_path / "keys", b"test passphrase")


def test_a_generated_key_is_stored_and_read_back(keys: EncryptedFileKeyStore) -> None:
    store: KeyStore = keys
    public = store.generate("0abc")
    assert "0abc" in store
    assert keys.get("0abc").public_key() == public


def test_a_key_file_is_encrypted_pkcs8_readable_by_its_owner_only(tmp_path: Path, keys: EncryptedFileKeyStore) -> None:
    keys.generate("0abc")
    path = tmp_path / "keys" / "0abc.key.pem"
    assert path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_key_does_not_load_with_a_wrong_passphrase(tmp_path: Path, keys: EncryptedFileKeyStore) -> None:
    keys.generate("0abc")
    wrong = EncryptedFileKeyStore(tmp_path / "keys", b"wrong passphrase")
    with pytest.raises(KeyUnreadable, match="passphrase is wrong or the key file is damaged"):
        wrong.get("0abc")


def test_every_wrong_passphrase_gives_the_same_clear_error(tmp_path: Path, keys: EncryptedFileKeyStore) -> None:
    # About one wrong passphrase in 256 passes PKCS#8's padding check and fails later, in ASN.1 parsing, with
    # another message from cryptography; the store must report both cases alike. 1,000 tries meet that case
    # with a probability of about 98%.
    keys.generate("0abc")
    for _ in range(1000):
        wrong = EncryptedFileKeyStore(tmp_path / "keys", os.urandom(16))
        with pytest.raises(KeyUnreadable):
            wrong.get("0abc")


def test_a_damaged_key_file_gives_the_same_clear_error(tmp_path: Path, keys: EncryptedFileKeyStore) -> None:
    keys.generate("0abc")
    path = tmp_path / "keys" / "0abc.key.pem"
    path.write_bytes(path.read_bytes().replace(b"-----END", b"AAAA-----END"))
    fresh = EncryptedFileKeyStore(tmp_path / "keys", b"test passphrase")
    with pytest.raises(KeyUnreadable):
        fresh.get("0abc")


def test_a_missing_key_is_reported(keys: EncryptedFileKeyStore) -> None:
    assert "0abc" not in keys
    with pytest.raises(KeyNotFound):
        keys.get("0abc")


def test_a_label_cannot_name_a_path(keys: EncryptedFileKeyStore) -> None:
    with pytest.raises(ValueError, match="not a key label"):
        keys.get("../0abc")


def test_an_empty_passphrase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        EncryptedFileKeyStore(tmp_path / "keys", b"")
