"""Attachment file names: any name is refused or becomes one safe to store and to offer for download."""

from __future__ import annotations

import re

from lienthong.documents.domain.attachments import safe_file_name
from lienthong.errors import InvalidArgument

# What no stored name may hold: a directory separator, a control character or a Windows-reserved one.
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")
_MAX_NAME_BYTES = 255  # the longest file name ext4, NTFS (in UTF-16 units) and zip readers agree on


def check(data: bytes) -> None:
    name = data.decode("utf-8", errors="replace")
    try:
        safe = safe_file_name(name)
    except InvalidArgument:
        return
    if _FORBIDDEN.search(safe) or safe in (".", "..") or safe != safe.strip(" ."):
        raise AssertionError(f"{name!r} became the unsafe name {safe!r}")
    if len(safe.encode()) > _MAX_NAME_BYTES:
        raise AssertionError(f"{name!r} became {len(safe.encode())} bytes, over {_MAX_NAME_BYTES}")
    if safe_file_name(safe) != safe:
        raise AssertionError(f"{name!r}: cleaning {safe!r} again changes it")


def seeds() -> list[bytes]:
    return [b"Ph\xe1\xbb\xa5 l\xe1\xbb\xa5c 1.pdf", b"../../etc/passwd", b"C:\\Users\\x\\a.docx", b'b"k?.xlsx']
