"""Envelope encryption of confidential documents (mật, tối mật, tuyệt mật), pure.

Each confidential document gets a fresh 256-bit data key. Everything secret about it is encrypted under
that key with AES-256-GCM, a random 96-bit nonce per encrypted item, and associated data naming the
document and the item (`lienthong/<document id>/<item>`), so a ciphertext moved to another document or
another item does not open: its free text (subject and file names, as one JSON "text" item), its PDF
("content"), each attachment ("attachment/<index>"), and the free text its events carry (comments,
reasons: "note", stored as `sealed:<base64>`). The data key itself is stored only wrapped, once
per agency that may read it (the sender, then each recipient), with RSA-OAEP-SHA256 under the agency's
public encryption key, whose private half the signing service keeps (see lienthong.signing.application.encryption).

What the events and read models hold for such a document is a placeholder subject ("[TUYỆT MẬT]"),
placeholder file names, and the sealed record: `{"scheme", "keys": {agency code: wrapped key}, "text"}`.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SCHEME = "A256GCM+RSA-OAEP-256"
SEALED_NOTE = "sealed:"  # how a sealed free-text field of an event (comment, reason) begins
_NONCE_BYTES = 12
_OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)

PLACEHOLDERS = {"MAT": "[MẬT]", "TOI_MAT": "[TỐI MẬT]", "TUYET_MAT": "[TUYỆT MẬT]"}


class AlteredCiphertext(RuntimeError):
    """A stored ciphertext does not open under its document's key: it was altered or moved."""


def is_confidential(confidentiality: str) -> bool:
    """Whether a document of this confidentiality (a Confidentiality name) is encrypted."""
    return confidentiality in PLACEHOLDERS


def placeholder(confidentiality: str) -> str:
    """What registers, events and mails show instead of a confidential document's subject."""
    return PLACEHOLDERS[confidentiality]


def placeholder_file_name(confidentiality: str, index: int) -> str:
    """What stands for a confidential document's file name outside its sealed text."""
    return f"{placeholder(confidentiality)} {index + 1}"


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def wrap(public_key_pem: str, data_key: bytes) -> str:
    """`data_key` wrapped for the holder of the RSA public key (base64 of the RSA-OAEP-SHA256 ciphertext)."""
    public = serialization.load_pem_public_key(public_key_pem.encode("ascii"))
    if not isinstance(public, rsa.RSAPublicKey):
        raise ValueError("an agency's encryption key must be an RSA public key")
    return base64.b64encode(public.encrypt(data_key, _OAEP)).decode("ascii")


def sealed_record(keys: dict[str, str], text: str) -> dict[str, Any]:
    return {"scheme": SCHEME, "keys": dict(sorted(keys.items())), "text": text}


def wrapped_key_of(sealed: dict[str, Any], agency_code: str) -> bytes | None:
    """The data key as wrapped for `agency_code`, or None when it was not wrapped for that agency."""
    wrapped = sealed.get("keys", {}).get(agency_code)
    return base64.b64decode(wrapped) if wrapped else None


@dataclass(frozen=True)
class OpenEnvelope:
    """A confidential document's data key in clear, in memory only, for the time of one request."""

    document_id: UUID
    data_key: bytes

    def _aad(self, item: str) -> bytes:
        return f"lienthong/{self.document_id}/{item}".encode()

    def encrypt(self, item: str, plaintext: bytes) -> bytes:
        """`nonce ‖ ciphertext ‖ tag` of `plaintext` as `item` of the document."""
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + AESGCM(self.data_key).encrypt(nonce, plaintext, self._aad(item))

    def decrypt(self, item: str, sealed: bytes) -> bytes:
        nonce, ciphertext = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
        try:
            return AESGCM(self.data_key).decrypt(nonce, ciphertext, self._aad(item))
        except InvalidTag:
            raise AlteredCiphertext(
                f"the encrypted {item} of document {self.document_id} does not open under its key: "
                f"it was altered or belongs elsewhere"
            ) from None

    def seal_text(self, fields: dict[str, Any]) -> str:
        """The document's free text (subject, file names, ...) encrypted as one item, base64."""
        plain = json.dumps(fields, ensure_ascii=False, sort_keys=True).encode()
        return base64.b64encode(self.encrypt("text", plain)).decode("ascii")

    def open_text(self, text: str) -> dict[str, Any]:
        fields: dict[str, Any] = json.loads(self.decrypt("text", base64.b64decode(text)))
        return fields

    def seal_note(self, note: str) -> str:
        """A free-text field (a leader's comment, a refusal's or recall's reason) sealed for an event; a
        blank one stays as it is, for the rule that wants it present to refuse it."""
        if not note.strip():
            return note
        return SEALED_NOTE + base64.b64encode(self.encrypt("note", note.strip().encode())).decode("ascii")

    def open_note(self, value: object) -> object:
        """A sealed note in clear; any other value as it is."""
        if not isinstance(value, str) or not value.startswith(SEALED_NOTE):
            return value
        return self.decrypt("note", base64.b64decode(value.removeprefix(SEALED_NOTE))).decode()
