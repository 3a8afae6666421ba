"""Files of a document (tệp đính kèm) and what a document does to an earlier one (BussinessDocType)."""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

from lienthong.errors import InvalidArgument

MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024
MAX_ATTACHMENTS = 100
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
    """A file name without directories, control or reserved characters; refused when nothing is left."""
    base = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", base).strip(" .")
    if not cleaned:
        raise InvalidArgument(f"attachment name {name!r} has no usable characters")
    return cleaned[:255]


def check_attachment(name: str, content: bytes) -> None:
    if not content:
        raise InvalidArgument(f"attachment {name!r} is empty")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise InvalidArgument(f"attachment {name!r} has {len(content)} bytes; the limit is {MAX_ATTACHMENT_BYTES}")
