"""Envelope encryption, pure: a ciphertext opens only under its key, as its own item of its own document."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from lienthong.documents.application.envelope import (
    AlteredCiphertext,
    OpenEnvelope,
    new_data_key,
    placeholder,
    sealed_record,
    wrap,
    wrapped_key_of,
)
from lienthong.signing.adapters.outbound.keystore import EncryptedFileKeyStore
from lienthong.signing.application.encryption import EncryptionKeys

SECRET = "Phương án tác chiến".encode()  # pragma: allowlist secret


def test_an_item_opens_only_as_itself_in_its_own_document() -> None:
    envelope = OpenEnvelope(uuid4(), new_data_key())
    sealed = envelope.encrypt("attachment/0", SECRET)
    assert SECRET not in sealed
    assert envelope.encrypt("attachment/0", SECRET) != sealed  # a fresh nonce every time
    assert envelope.decrypt("attachment/0", sealed) == SECRET
    with pytest.raises(AlteredCiphertext, match="attachment/1"):
        envelope.decrypt("attachment/1", sealed)  # moved to another item
    with pytest.raises(AlteredCiphertext):
        OpenEnvelope(uuid4(), envelope.data_key).decrypt("attachment/0", sealed)  # moved to another document
    with pytest.raises(AlteredCiphertext):
        envelope.decrypt("attachment/0", sealed[:-1] + bytes([sealed[-1] ^ 1]))  # altered
    with pytest.raises(AlteredCiphertext):
        OpenEnvelope(envelope.document_id, new_data_key()).decrypt("attachment/0", sealed)  # another key


def test_the_text_is_sealed_and_the_key_wrapped_per_agency(tmp_path: Path) -> None:
    keys = EncryptionKeys(EncryptedFileKeyStore(tmp_path, b"test passphrase"))
    pem = keys.public_key("000.00.00.H41").public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    envelope = OpenEnvelope(uuid4(), new_data_key())
    text = envelope.seal_text({"subject": "Kế hoạch mật", "attachments": ["a.pdf"]})
    assert "Kế hoạch" not in text
    sealed = sealed_record({"000.00.00.H41": wrap(pem, envelope.data_key)}, text)
    wrapped = wrapped_key_of(sealed, "000.00.00.H41")
    assert wrapped is not None
    assert keys.unwrap("000.00.00.H41", wrapped) == envelope.data_key
    assert wrapped_key_of(sealed, "000.00.12.H41") is None
    assert envelope.open_text(sealed["text"]) == {"subject": "Kế hoạch mật", "attachments": ["a.pdf"]}
    assert placeholder("TUYET_MAT") == "[TUYỆT MẬT]"
