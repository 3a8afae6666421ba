"""Files of a document (tệp đính kèm) and what a document does to an earlier one (BussinessDocType)."""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

from lienthong.errors import InvalidArgument

MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024
MAX_ATTACHMENTS = 100
MAX_FILE_NAME_BYTES = 255
"""The longest file name in UTF-8 bytes that ext4 and the zip readers of the archive packages all accept."""
_MAX_EXTENSION_BYTES = 16
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


class AttachmentKind(enum.Enum):
    MAIN_TEXT = "main_text"
    APPENDIX = "appendix"
    ATTACHMENT = "attachment"


class BusinessType(enum.Enum):
    """edXML BussinessDocType: 0 new, 1 revoke (thu hồi), 2 update (sửa đổi), 3 replace (thay thế)."""

    NEW = 0
    REVOKE = 1
    UPDATE = 2
    REPLACE = 3


@dataclass(frozen=True)
class AttachmentRecord:
    """A stored file as the document's events record it: the digest proves it unchanged."""

    name: str
    content_type: str
    kind: AttachmentKind
    sha256: str
    size: int

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "content_type": self.content_type,
            "kind": self.kind.value,
            "sha256": self.sha256,
            "size": self.size,
        }


def safe_file_name(name: str) -> str:
    """A file name without directories, control or reserved characters, at most MAX_FILE_NAME_BYTES long in
    UTF-8; refused when nothing is left."""
    base = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", base).strip(" .")
    if not cleaned:
        raise InvalidArgument(f"attachment name {name!r} has no usable characters")
    if len(cleaned.encode()) <= MAX_FILE_NAME_BYTES:
        return cleaned
    # File systems and zip readers count bytes, and a Vietnamese letter is two or three of them: shorten the
    # stem on a character boundary and keep the extension, so the file still opens with the right program.
    stem, dot, extension = cleaned.rpartition(".")
    if not stem or len(extension.encode()) > _MAX_EXTENSION_BYTES:
        stem, dot, extension = cleaned, "", ""
    room = MAX_FILE_NAME_BYTES - len((dot + extension).encode())
    return stem.encode()[:room].decode(errors="ignore").rstrip(" .") + dot + extension


def check_attachment(name: str, content: bytes) -> None:
    if not content:
        raise InvalidArgument(f"attachment {name!r} is empty")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise InvalidArgument(f"attachment {name!r} has {len(content)} bytes; the limit is {MAX_ATTACHMENT_BYTES}")
