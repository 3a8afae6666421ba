"""Content-addressed storage of document files: a file's name is the SHA-256 of its bytes.

Two stores behind one interface: a local directory (the default; a shared volume in production) and an
S3-compatible object store (`LIENTHONG_BLOB_STORE=s3://bucket/prefix`, see `configured_blobs.blob_store_from_env`).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol

from lienthong.errors import NotFound


class BlobStore(Protocol):
    def put(self, content: bytes) -> str:
        """Store `content`; return its SHA-256 (hex). Storing the same bytes twice is harmless."""
        ...

    def get(self, digest: str) -> bytes:
        """The bytes whose SHA-256 is `digest`; NOT_FOUND when none are stored."""
        ...


def checked_digest(digest: str) -> str:
    """`digest` when it is a lowercase hex SHA-256, else NOT_FOUND (no file can have that name)."""
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise NotFound(f"{digest!r} is not a SHA-256 digest")
    return digest


def verified(digest: str, content: bytes) -> bytes:
    """`content` if its SHA-256 is `digest`; a file changed in the store is never handed out as genuine."""
    actual = hashlib.sha256(content).hexdigest()
    if actual != digest:
        raise RuntimeError(f"the stored file {digest} has been altered: its bytes hash to {actual}")
    return content


class LocalBlobStore:
    """Files under a local directory (`<dir>/<first two hex>/<sha256>`), written atomically, never changed."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def put(self, content: bytes) -> str:
        digest = hashlib.sha256(content).hexdigest()
        path = self._path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
                tmp.write(content)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp.name, path)
        return digest

    def get(self, digest: str) -> bytes:
        path = self._path(digest)
        if not path.exists():
            raise NotFound(f"no stored file has SHA-256 {digest}")
        return verified(digest, path.read_bytes())

    def _path(self, digest: str) -> Path:
        checked_digest(digest)
        return self._directory / digest[:2] / digest
